"""The case desk under AppTest: the queue by SLA with highlighting, opening a case, moving it along
the workflow, logging a reply that changes its status, and cases the user may not see."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text
from sqlmodel import Session

from core.config import now
from core.models import Case, Contact
from tests.app.conftest import sign_in


def _cases(session: Session, owner) -> dict[str, Case]:  # type: ignore[no-untyped-def]
    moment = now()
    rows = {
        "Printer on fire": Case(subject="Printer on fire", priority="urgent", assignee_id=owner.id,
                                opened_at=moment - timedelta(hours=6),
                                sla_due_at=moment - timedelta(hours=2)),
        "Slow login": Case(subject="Slow login", priority="high", status="open", assignee_id=owner.id,
                           opened_at=moment - timedelta(hours=7), sla_due_at=moment + timedelta(hours=1)),
        "New logo": Case(subject="New logo", priority="low", assignee_id=owner.id, opened_at=moment,
                         sla_due_at=moment + timedelta(hours=72)),
    }
    session.add_all(rows.values())
    session.commit()
    return rows


def _desk(app_factory, case_id: int | None = None):  # type: ignore[no-untyped-def]
    at = sign_in(app_factory(), "sam")
    at.switch_page("../pages/case_desk.py")
    if case_id is not None:
        at.query_params["id"] = str(case_id)
    return at.run()


def _button(at, label: str):  # type: ignore[no-untyped-def]
    return next(b for b in at.button if b.label == label)


def _row(engine, sql: str):  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return tuple(connection.execute(text(sql)).one())


def test_the_queue_is_sorted_by_sla_with_breaches_highlighted(app_factory, session, staff) -> None:
    _cases(session, staff)
    at = _desk(app_factory)
    assert not at.exception
    queue = at.dataframe[-1].value
    assert list(zip(queue["subject"], queue["sla"], strict=True)) == [
        ("Printer on fire", "breached"), ("Slow login", "due soon"), ("New logo", "on time")]
    styles = at.dataframe[-1].proto.arrow_data.styler.styles
    assert "#fde2e1" in styles and "#fff1c2" in styles  # red for breached, amber for due soon
    figures = {m.label: m.value for m in at.metric}
    assert figures["Open cases"] == "3" and figures["SLA breached"] == "1"


def test_opening_a_case_from_the_desk(app_factory, session, staff, engine) -> None:
    contact = Contact(first_name="Ana", last_name="Alves", email="ana@x.io", owner_id=staff.id)
    session.add(contact)
    session.commit()
    at = _desk(app_factory)
    at.text_input(key="desk:new:find").input("ana").run()
    at.selectbox(key="desk:new:0:contact").select_index(0)
    at.text_input(key="desk:new:0:subject").input("Parcel lost")
    at.selectbox(key="desk:new:0:channel").set_value("phone")
    at.selectbox(key="desk:new:0:priority").set_value("high")
    _button(at, "Open case").click().run()
    assert not at.exception and "Case opened." in [s.value for s in at.success]
    assert _row(engine, "SELECT subject, channel, priority, status, contact_id FROM cases") == (
        "Parcel lost", "phone", "high", "new", contact.id)
    sql = "SELECT direction, channel, contact_id FROM activities WHERE case_id IS NOT NULL"
    assert _row(engine, sql) == ("inbound", "phone", contact.id)


def test_only_allowed_moves_are_offered_and_a_move_is_saved(app_factory, session, staff, engine) -> None:
    cases = _cases(session, staff)
    at = _desk(app_factory, cases["Printer on fire"].id)
    labels = {b.label for b in at.button}
    assert {"Open", "Waiting on customer", "Resolve"} <= labels and "Close" not in labels
    _button(at, "Resolve").click().run()
    assert not at.exception
    case_id = cases["Printer on fire"].id
    status, resolved = _row(engine, f"SELECT status, resolved_at FROM cases WHERE id = {case_id}")
    assert status == "resolved" and resolved is not None
    labels = {b.label for b in at.button}
    assert {"Close", "Reopen"} <= labels and "Resolve" not in labels
    assert any("Resolution time" in m.value for m in at.markdown)


def test_logging_a_reply_that_resolves_the_case(app_factory, session, staff, engine) -> None:
    case = _cases(session, staff)["Slow login"]
    at = _desk(app_factory, case.id)
    at.selectbox(key=f"desk:reply:{case.id}:0:channel").set_value("phone")
    at.text_area(key=f"desk:reply:{case.id}:0:notes").input("Cleared the cache with the customer")
    at.selectbox(key=f"desk:reply:{case.id}:0:then").set_value("resolved")
    _button(at, "Log").click().run()
    assert not at.exception
    assert _row(engine, "SELECT channel, direction, notes, case_id FROM activities") == (
        "phone", "outbound", "Cleared the cache with the customer", case.id)
    assert _row(engine, f"SELECT status FROM cases WHERE id = {case.id}") == ("resolved",)
    assert any("Cleared the cache" in m.value for m in at.markdown)  # the thread shows it


def test_a_case_of_someone_else_is_not_shown(app_factory, session, staff, other_staff) -> None:
    case = _cases(session, other_staff)["New logo"]
    at = _desk(app_factory, case.id)
    assert not at.exception
    assert any("that you may see" in e.value for e in at.error)
    assert at.dataframe[-1].value.empty if at.dataframe else True


def test_a_manager_assigns_a_case_to_a_team_member(app_factory, session, manager, staff, other_staff,
                                                   outsider, engine) -> None:
    case = _cases(session, staff)["New logo"]
    at = sign_in(app_factory(), "mia")
    at.switch_page("../pages/case_desk.py")
    at.query_params["id"] = str(case.id)
    at.run()
    assignee = at.selectbox(key=f"desk:assignee:{case.id}")
    assert set(assignee.options) == {"Mia", "Olga", "Sam"}  # the team, not Sven of the south team
    assignee.set_value(other_staff.id)
    _button(at, "Assign").click().run()
    assert not at.exception
    assert _row(engine, f"SELECT assignee_id FROM cases WHERE id = {case.id}") == (other_staff.id,)
    audit = _row(engine, "SELECT user_id, action FROM audit_log WHERE entity = 'cases'")
    assert audit == (manager.id, "update")
