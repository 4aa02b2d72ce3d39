"""Report builder and segments pages under AppTest."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import text

from core.models import Contact, Order, OrderLine, Product
from tests.app.conftest import sign_in


def _orders(session, owner) -> None:  # type: ignore[no-untyped-def]
    product = Product(sku="A", name="A", price=10)
    contact = Contact(first_name="Ana", city="Milano", owner_id=owner.id)
    session.add_all([product, contact])
    session.flush()
    for number, (month, amount) in enumerate([(3, 100.0), (3, 20.0), (5, 40.0)]):
        order = Order(
            order_number=f"O{number}",
            contact_id=contact.id,
            owner_id=owner.id,
            ordered_at=datetime(2026, month, 2),
            status="paid",
            total=amount,
        )
        session.add(order)
        session.flush()
        session.add(OrderLine(order_id=order.id, product_id=product.id, quantity=1, unit_price=amount))
    session.commit()


def _button(at, label: str):  # type: ignore[no-untyped-def]
    return next(b for b in at.button if b.label == label)


def _open(app_factory, page: str, user: str = "ada"):  # type: ignore[no-untyped-def]
    at = sign_in(app_factory(), user)
    at.switch_page(f"../pages/{page}.py")
    return at.run()


def test_default_report_is_revenue_by_month_with_its_sql(app_factory, admin, session) -> None:
    _orders(session, admin)
    at = _open(app_factory, "reports")
    assert not at.exception
    table = next(df.value for df in at.dataframe if "Revenue" in df.value.columns)
    assert table.values.tolist() == [["2026-03", 120.0], ["2026-05", 40.0]]
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["data"][0]["x"] == ["2026-03", "2026-05"]
    assert any("SELECT" in code.value for code in at.code)


def test_report_is_saved_and_listed(app_factory, admin, session, engine) -> None:
    _orders(session, admin)
    at = _open(app_factory, "reports")
    at.text_input[-1].input("Monthly revenue")
    _button(at, "Save report").click().run()
    assert "Saved 'Monthly revenue'" in at.success[0].value
    with engine.connect() as connection:
        saved = connection.execute(text("SELECT name, chart_type FROM saved_reports")).one()
    assert tuple(saved) == ("Monthly revenue", "bar")


def test_segment_is_built_from_rules_and_lists_its_members(app_factory, admin, session) -> None:
    session.add_all(
        [
            Contact(first_name="Ana", city="Milano", owner_id=admin.id),
            Contact(first_name="Bo", city="Roma", owner_id=admin.id),
        ]
    )
    session.commit()
    at = _open(app_factory, "saved_segments")
    at.selectbox[0].select("city")
    next(t for t in at.text_input if t.label == "Value").input("Milano")
    _button(at, "Add rule").click().run()
    next(t for t in at.text_input if t.label == "Name").input("Milanesi")
    _button(at, "Save segment").click().run()
    assert not at.exception and "saved" in at.success[0].value
    at.run()
    members = next(df.value for df in at.dataframe if "first_name" in df.value.columns)
    assert list(members["first_name"]) == ["Ana"]
