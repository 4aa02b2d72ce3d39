"""The app shell: first-run admin, sign-in, the home page's key figures, sign-out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text

from core.models import Contact, Order, OrderLine, Product, Task
from core.services import contacts
from tests.app.conftest import sign_in


def _metrics(at) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {metric.label: metric.value for metric in at.metric}


def test_first_run_creates_the_admin_and_opens_home(app_factory, engine) -> None:
    at = app_factory()
    at.run()
    assert "no users yet" in at.info[0].value
    at.text_input[0].input("boss")
    at.text_input[1].input("Bo Boss")
    at.text_input[2].input("long-password")
    at.button[0].click()
    at.run()
    assert not at.exception
    assert at.title[0].value == "Good day, Bo Boss"
    with engine.connect() as connection:
        assert connection.execute(text("SELECT username, role FROM users")).one() == ("boss", "admin")


def test_wrong_password_is_refused_without_detail(app_factory, staff) -> None:
    at = sign_in(app_factory(), "sam", "wrong-password")
    assert at.error[0].value == "Wrong username or password."
    assert not at.metric


def test_home_shows_only_what_the_user_may_see(app_factory, session, staff, other_staff) -> None:
    contacts.create(session=session, user=staff, data={"first_name": "Mine", "lifecycle_stage": "customer"})
    contacts.create(session=session, user=other_staff, data={"first_name": "Theirs"})
    at = sign_in(app_factory(), "sam")
    assert not at.exception
    figures = _metrics(at)
    assert figures["Contacts"] == "1" and figures["Customers"] == "1"


def test_sign_out_returns_to_the_form(app_factory, staff) -> None:
    at = sign_in(app_factory(), "sam")
    at.sidebar.button[0].click()
    at.run()
    assert at.button[0].label == "Sign in"


def test_home_charts_this_years_revenue_and_lists_my_due_tasks(app_factory, session, staff,
                                                                 other_staff) -> None:
    """Rows added directly (not through the services): orders in March and May 2026 and one in 2025
    that must not show; the task list holds Sam's overdue and today's tasks, not Olga's and not
    next week's."""
    ana = Contact(first_name="Ana", last_name="Rossi", owner_id=staff.id, lifecycle_stage="customer")
    product = Product(sku="P1", name="Plan", price=1.0)
    session.add_all([ana, product])
    session.flush()
    for number, day, amount in (("A1", "2026-03-10", 100.0), ("A2", "2026-05-02", 250.0),
                                ("A0", "2025-12-30", 999.0)):
        order = Order(order_number=number, contact_id=ana.id, owner_id=staff.id, status="paid",
                      ordered_at=datetime.fromisoformat(day))
        session.add(order)
        session.flush()
        session.add(OrderLine(order_id=order.id, product_id=product.id, quantity=1, unit_price=amount))
    for title, due, owner in (("Call Ana back", "2026-06-12 10:00", staff.id),
                              ("Send the offer", "2026-06-15 16:00", staff.id),
                              ("Next week's call", "2026-06-22 10:00", staff.id),
                              ("Olga's task", "2026-06-15 09:00", other_staff.id)):
        session.add(Task(title=title, due_at=datetime.fromisoformat(due), assignee_id=owner))
    session.commit()
    at = sign_in(app_factory(), "sam")
    assert not at.exception
    chart = at.get("plotly_chart")[0].proto.spec
    assert '"2026-03"' in chart and '"2026-05"' in chart and "999" not in chart
    listed = " ".join(element.value for element in at.text)
    assert "Call Ana back" in listed and "Send the offer" in listed
    assert "Next week's call" not in listed and "Olga's task" not in listed
