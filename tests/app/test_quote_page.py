"""The quote page under AppTest: options with their deltas, the live price, lines saved as a quote
or an order, and converting an open quote."""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlmodel import Session

from core.models import Contact, Product, ProductOption
from tests.app.conftest import sign_in


def _catalogue(session: Session, owner) -> tuple[Contact, Product]:  # type: ignore[no-untyped-def]
    contact = Contact(first_name="Ana", last_name="Alves", email="ana@x.io", owner_id=owner.id)
    chair = Product(sku="CH-1", name="Chair", price=100.0)
    session.add_all([contact, chair])
    session.flush()
    session.add_all([ProductOption(product_id=chair.id, name=n, value=v, price_delta=d) for n, v, d in (
        ("colour", "red", 0.0), ("colour", "blue", 12.5), ("size", "L", 20.0))])
    session.commit()
    return contact, chair


def _page(app_factory):  # type: ignore[no-untyped-def]
    at = sign_in(app_factory(), "sam")
    at.switch_page("../pages/quote.py")
    return at.run()


def _with_customer(app_factory):  # type: ignore[no-untyped-def]
    at = _page(app_factory)
    at.text_input(key="quote:find").input("ana").run()
    at.selectbox(key="quote:pick:ana").select_index(0).run()
    return at


def _button(at, label: str):  # type: ignore[no-untyped-def]
    return next(b for b in at.button if b.label == label)


def _metrics(at) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {m.label: m.value for m in at.metric}


def test_without_a_customer_the_page_asks_for_one(app_factory, staff) -> None:
    at = _page(app_factory)
    assert not at.exception
    assert "choose the customer" in at.info[0].value


def test_the_price_follows_the_chosen_options(app_factory, session, staff) -> None:
    _, chair = _catalogue(session, staff)
    at = _with_customer(app_factory)
    assert not at.exception
    assert _metrics(at)["Line total"] == "€100.00"
    colour = at.selectbox(key=f"quote:opt:{chair.id}:colour")
    assert colour.options == ["— none —", "red (€+0.00)", "blue (€+12.50)"]
    colour.set_value("blue")
    at.selectbox(key=f"quote:opt:{chair.id}:size").set_value("L")
    at.number_input(key=f"quote:qty:{chair.id}").set_value(3)
    at.run()
    assert _metrics(at)["Line total"] == "€397.50"  # (100 + 12.50 + 20) x 3
    breakdown = at.dataframe[0].value  # the line breakdown (no lines added yet)
    assert list(breakdown["price"]) == ["€100.00", "€+12.50", "€+20.00", "€132.50", "", "€397.50"]


def test_lines_saved_as_a_quote_then_converted(app_factory, session, staff, engine) -> None:
    contact, chair = _catalogue(session, staff)
    at = _with_customer(app_factory)
    at.selectbox(key=f"quote:opt:{chair.id}:colour").set_value("blue")
    _button(at, "Add to quote").click().run()
    at.number_input(key=f"quote:qty:{chair.id}").set_value(2)
    at.selectbox(key=f"quote:opt:{chair.id}:colour").set_value("")
    _button(at, "Add to quote").click().run()
    assert _metrics(at)["Quote total"] == "€312.50"  # 112.50 + 2 x 100
    _button(at, "Save as quote").click().run()
    assert not at.exception
    assert any("saved (€312.50)" in s.value for s in at.success)
    with engine.connect() as connection:
        assert tuple(connection.execute(text("SELECT status, total, contact_id FROM orders")).one()) == (
            "quote", 312.5, contact.id)
        lines = connection.execute(text("SELECT quantity, unit_price FROM order_lines ORDER BY id")).all()
    assert [tuple(line) for line in lines] == [(1, 112.5), (2, 100.0)]
    assert any("1 x Chair (colour: blue); 2 x Chair" in re.sub(r"\\(.)", r"\1", m.value) for m in at.markdown)
    next(b for b in at.button if b.label == "Convert to order").click().run()
    assert not at.exception
    with engine.connect() as connection:
        assert connection.execute(text("SELECT status FROM orders")).scalar() == "placed"
    assert not any(b.label == "Convert to order" for b in at.button)


def test_saving_as_an_order_directly(app_factory, session, staff, engine) -> None:
    _catalogue(session, staff)
    at = _with_customer(app_factory)
    _button(at, "Add to quote").click().run()
    _button(at, "Save as order").click().run()
    assert not at.exception
    with engine.connect() as connection:
        assert tuple(connection.execute(text("SELECT status, total FROM orders")).one()) == ("placed", 100.0)
