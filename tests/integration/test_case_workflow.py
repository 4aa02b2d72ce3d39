"""Support cases: the status workflow, SLA breach and due-soon, replies on the case and the contact's
timeline, assignment and permissions, audit, resolution time. Today is pinned to 2026-06-15."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session

from core.config import now
from core.errors import NotFound, PermissionDenied, ValidationError
from core.models import Case, Contact
from core.services.case_desk import breached_count, case_queue, case_view, resolution_summary
from core.services.cases import (
    assign_case,
    cases,
    change_case_status,
    log_case_interaction,
    open_case,
    sla_state,
)
from core.services.overview360 import contact_360


def _contact(session: Session, owner) -> Contact:  # type: ignore[no-untyped-def]
    contact = Contact(first_name="Ana", last_name="Alves", email="ana@x.io", owner_id=owner.id)
    session.add(contact)
    session.commit()
    return contact


def _insert_case(session: Session, assignee, subject: str, **values) -> Case:  # type: ignore[no-untyped-def]
    """Set up a case directly (not through the services under test)."""
    case = Case(subject=subject, assignee_id=assignee.id, **values)
    session.add(case)
    session.commit()
    return case


def _json(value):  # type: ignore[no-untyped-def]
    return json.loads(value) if isinstance(value, str) else value


def _row(session: Session, sql: str, **params):  # type: ignore[no-untyped-def]
    return session.execute(text(sql), params).one()


def test_a_case_moves_along_the_workflow_and_resolution_is_stamped(session: Session, staff) -> None:
    case = open_case(session=session, user=staff, subject="Broken zip", channel="email")
    for status in ("open", "waiting", "open", "resolved"):
        change_case_status(session=session, user=staff, case_id=case.id, status=status)
    status, resolved_at = _row(session, "SELECT status, resolved_at FROM cases WHERE id = :id", id=case.id)
    assert status == "resolved" and resolved_at is not None
    change_case_status(session=session, user=staff, case_id=case.id, status="closed")
    status, kept = _row(session, "SELECT status, resolved_at FROM cases WHERE id = :id", id=case.id)
    assert status == "closed" and kept == resolved_at  # closing keeps the resolution time


def test_an_illegal_move_is_refused_and_names_the_allowed_ones(session: Session, staff) -> None:
    case = open_case(session=session, user=staff, subject="Broken zip", channel="chat")
    with pytest.raises(ValidationError) as error:
        change_case_status(session=session, user=staff, case_id=case.id, status="closed")
    assert "a new case can move to open or waiting or resolved, not to closed" in str(error.value)
    change_case_status(session=session, user=staff, case_id=case.id, status="open")
    with pytest.raises(ValidationError, match="an open case can move to waiting or resolved, not to new"):
        change_case_status(session=session, user=staff, case_id=case.id, status="new")
    assert _row(session, "SELECT status FROM cases")[0] == "open"


def test_reopening_clears_the_resolution(session: Session, staff) -> None:
    case = open_case(session=session, user=staff, subject="Login fails", channel="phone")
    change_case_status(session=session, user=staff, case_id=case.id, status="resolved")
    change_case_status(session=session, user=staff, case_id=case.id, status="closed")
    change_case_status(session=session, user=staff, case_id=case.id, status="open")
    assert _row(session, "SELECT status, resolved_at FROM cases") == ("open", None)


def test_the_grid_obeys_the_workflow_too(session: Session, staff) -> None:
    case = _insert_case(session, staff, "Old", status="closed", priority="low",
                        opened_at=datetime(2026, 6, 1), resolved_at=datetime(2026, 6, 2))
    with pytest.raises(ValidationError, match="a closed case can move to open, not to waiting"):
        cases.update(session=session, user=staff, record_id=case.id, changes={"status": "waiting"})


def test_sla_states_at_fixed_moments() -> None:
    moment = datetime(2026, 6, 15, 12, 0)
    assert sla_state("open", datetime(2026, 6, 15, 11, 59), moment) == "breached"
    assert sla_state("new", datetime(2026, 6, 15, 13, 59), moment) == "due soon"
    assert sla_state("waiting", datetime(2026, 6, 15, 14, 0), moment) == "on time"
    assert sla_state("resolved", datetime(2026, 6, 1), moment) == "done"
    assert sla_state("open", None, moment) == "on time"


def test_the_queue_puts_breached_cases_first_and_flags_due_soon(session: Session, staff) -> None:
    moment = now()
    _insert_case(session, staff, "Later", priority="low", opened_at=moment,
                 sla_due_at=moment + timedelta(hours=72))
    _insert_case(session, staff, "Late", priority="urgent", opened_at=moment - timedelta(hours=5),
                 sla_due_at=moment - timedelta(hours=1))
    _insert_case(session, staff, "Soon", priority="urgent", status="open",
                 opened_at=moment - timedelta(hours=3),
                 sla_due_at=moment + timedelta(hours=1))
    _insert_case(session, staff, "Done late", priority="urgent", status="resolved",
                 opened_at=moment - timedelta(days=2),
                 sla_due_at=moment - timedelta(days=1), resolved_at=moment - timedelta(hours=2))
    queue = case_queue(session, staff)
    assert list(zip(queue["subject"], queue["sla"], strict=True)) == [
        ("Late", "breached"), ("Soon", "due soon"), ("Later", "on time")]
    assert breached_count(session, staff) == 1  # the resolved one breached once but is not open


def test_sla_due_time_is_set_from_priority_when_opened(session: Session, staff) -> None:
    case = open_case(session=session, user=staff, subject="Down", channel="phone", priority="high")
    opened_at, due = _row(session, "SELECT opened_at, sla_due_at FROM cases WHERE id = :id", id=case.id)
    assert datetime.fromisoformat(str(due)) - datetime.fromisoformat(str(opened_at)) == timedelta(hours=8)


def test_the_queue_filters_mine_team_priority_and_status(session: Session, manager, staff, other_staff,
                                                         outsider) -> None:
    _insert_case(session, staff, "Sam's", priority="high")
    _insert_case(session, other_staff, "Olga's", priority="low")
    _insert_case(session, outsider, "Sven's", priority="high")
    _insert_case(session, staff, "Sam's old", status="closed", priority="high")
    assert set(case_queue(session, manager, scope="team")["subject"]) == {"Sam's", "Olga's"}
    assert list(case_queue(session, manager, scope="mine")["subject"]) == []
    assert set(case_queue(session, manager, priorities=("high",))["subject"]) == {"Sam's"}
    assert set(case_queue(session, staff, statuses=())["subject"]) == {"Sam's", "Sam's old"}
    assert set(case_queue(session, staff, statuses=("closed",))["subject"]) == {"Sam's old"}


def test_opening_logs_the_first_message_on_the_case_and_the_contact(session: Session, staff) -> None:
    contact = _contact(session, staff)
    case = open_case(session=session, user=staff, subject="Invoice wrong", channel="web",
                     contact_id=contact.id, description="Billed twice in May")
    rows = session.execute(text("SELECT case_id, contact_id, channel, direction, subject, notes, owner_id "
                                "FROM activities")).all()
    assert [tuple(r) for r in rows] == [
        (case.id, contact.id, "web", "inbound", "Invoice wrong", "Billed twice in May", staff.id)]


def test_replies_and_calls_show_on_the_case_and_the_contact_timeline(session: Session, staff) -> None:
    contact = _contact(session, staff)
    case = open_case(session=session, user=staff, subject="Invoice wrong", channel="email",
                     contact_id=contact.id)
    log_case_interaction(session=session, user=staff, case_id=case.id, channel="email",
                         notes="Looking into it", new_status="open")
    log_case_interaction(session=session, user=staff, case_id=case.id, channel="phone", notes="Refund issued",
                         duration_minutes=7, new_status="resolved")
    assert _row(session, "SELECT status FROM cases")[0] == "resolved"
    thread = case_view(session, staff, case.id).thread
    assert list(thread["channel"]) == ["email", "email", "phone"]
    assert list(thread["direction"]) == ["inbound", "outbound", "outbound"]
    timeline = contact_360(session, staff, contact.id).timeline
    assert sorted(timeline["notes"].dropna()) == ["Looking into it", "Refund issued"]
    assert set(timeline["subject"]) == {"Invoice wrong", "Re: Invoice wrong"}


def test_a_reply_with_an_illegal_move_writes_nothing(session: Session, staff) -> None:
    case = open_case(session=session, user=staff, subject="Slow", channel="chat")
    with pytest.raises(ValidationError, match="not to closed"):
        log_case_interaction(session=session, user=staff, case_id=case.id, channel="chat", notes="Hi",
                             new_status="closed")
    assert _row(session, "SELECT count(*) FROM activities")[0] == 1  # only the opening message
    assert _row(session, "SELECT status FROM cases")[0] == "new"


def test_staff_cannot_act_on_a_case_they_do_not_own(session: Session, staff, other_staff) -> None:
    case = _insert_case(session, other_staff, "Olga's")
    with pytest.raises((NotFound, PermissionDenied)):
        change_case_status(session=session, user=staff, case_id=case.id, status="open")
    with pytest.raises((NotFound, PermissionDenied)):
        log_case_interaction(session=session, user=staff, case_id=case.id, channel="phone", notes="x")
    with pytest.raises((NotFound, PermissionDenied)):
        assign_case(session=session, user=staff, case_id=case.id, assignee_id=staff.id)
    with pytest.raises(NotFound):
        case_view(session, staff, case.id)
    assert _row(session, "SELECT count(*) FROM activities")[0] == 0
    assert _row(session, "SELECT status, assignee_id FROM cases") == ("new", other_staff.id)


def test_staff_may_not_hand_a_case_to_a_colleague(session: Session, staff, other_staff) -> None:
    case = _insert_case(session, staff, "Mine")
    with pytest.raises(PermissionDenied, match="only assign records to yourself"):
        assign_case(session=session, user=staff, case_id=case.id, assignee_id=other_staff.id)


def test_a_manager_assigns_within_the_team_and_it_is_audited(session: Session, manager, staff,
                                                             other_staff, outsider) -> None:
    case = _insert_case(session, staff, "Sam's")
    assign_case(session=session, user=manager, case_id=case.id, assignee_id=other_staff.id)
    assert _row(session, "SELECT assignee_id FROM cases")[0] == other_staff.id
    user_id, action, before, after = _row(
        session, "SELECT user_id, action, before, after FROM audit_log WHERE entity = 'cases'")
    assert (user_id, action) == (manager.id, "update")
    assert _json(before)["assignee_id"] == staff.id and _json(after)["assignee_id"] == other_staff.id
    with pytest.raises(PermissionDenied):
        assign_case(session=session, user=manager, case_id=case.id, assignee_id=outsider.id)


def test_opening_and_status_changes_are_audited(session: Session, staff) -> None:
    case = open_case(session=session, user=staff, subject="Audit me", channel="sms")
    change_case_status(session=session, user=staff, case_id=case.id, status="waiting")
    rows = session.execute(text("SELECT entity, action FROM audit_log ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [("cases", "create"), ("activities", "create"), ("cases", "update")]


def test_resolution_time_per_case_and_by_priority(session: Session, admin, staff) -> None:
    day = datetime(2026, 6, 10, 9, 0)
    first = _insert_case(session, staff, "A", priority="high", status="resolved", opened_at=day,
                         resolved_at=day + timedelta(hours=12), sla_due_at=day + timedelta(hours=8))
    _insert_case(session, staff, "B", priority="high", status="closed", opened_at=day + timedelta(days=1),
                 resolved_at=day + timedelta(days=2, hours=12), sla_due_at=day + timedelta(days=1, hours=8))
    _insert_case(session, staff, "C", priority="low", status="resolved", opened_at=day,
                 resolved_at=day + timedelta(hours=6), sla_due_at=day + timedelta(hours=72))
    _insert_case(session, staff, "D", priority="low", status="open", opened_at=day,
                 sla_due_at=day + timedelta(hours=72))  # breached: due 13 June, today is 15 June
    assert case_view(session, staff, first.id).resolution_hours == 12.0
    summary = resolution_summary(session, admin).set_index("priority")
    assert summary.loc["high", "average_resolution_days"] == 1.0  # (12 h + 36 h) / 2 = 24 h
    assert summary.loc["low", "average_resolution_days"] == 0.25  # 6 h
    assert summary.loc["low", "open_cases"] == 1 and summary.loc["low", "breached_cases"] == 1
    assert summary.loc["high", "breached_cases"] == 0 and summary.loc["high", "cases"] == 2
