"""Tasks (completion, recurrence, snooze) and cases (SLA by priority, resolution time)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text
from sqlmodel import Session

from core.services import activities, cases, contacts, tasks
from core.services.activities import complete_task, snooze_task


def test_completing_a_weekly_task_schedules_the_next_one(session: Session, staff) -> None:
    task = tasks.create(
        session=session,
        user=staff,
        data={"title": "Call Ana", "due_at": datetime(2026, 6, 15, 10, 0), "recurrence": "weekly"},
    )
    complete_task(session=session, user=staff, task_id=task.id)
    rows = session.execute(
        text("SELECT status, due_at, completed_at IS NOT NULL FROM tasks ORDER BY id")
    ).all()
    assert [(r[0], str(r[1])[:16], bool(r[2])) for r in rows] == [
        ("done", "2026-06-15 10:00", True),
        ("open", "2026-06-22 10:00", False),
    ]


def test_snooze_moves_the_due_time_forward_from_now(session: Session, staff) -> None:
    task = tasks.create(session=session, user=staff, data={"title": "x", "due_at": datetime(2026, 6, 1)})
    snoozed = snooze_task(session=session, user=staff, task_id=task.id, delay=timedelta(days=1))
    assert snoozed.due_at.date() == datetime(2026, 6, 16).date()  # today (pinned 15 June) + 1 day


def test_case_sla_follows_priority_and_resolution_is_stamped(session: Session, staff) -> None:
    case = cases.create(
        session=session,
        user=staff,
        data={"subject": "Printer on fire", "priority": "urgent", "opened_at": datetime(2026, 6, 15, 9, 0)},
    )
    assert str(session.scalar(text("SELECT sla_due_at FROM cases")))[:16] == "2026-06-15 13:00"
    cases.update(session=session, user=staff, record_id=case.id, changes={"priority": "low"})
    assert str(session.scalar(text("SELECT sla_due_at FROM cases")))[:16] == "2026-06-18 09:00"
    cases.update(session=session, user=staff, record_id=case.id, changes={"status": "resolved"})
    assert session.scalar(text("SELECT resolved_at FROM cases")) is not None


def test_activity_takes_the_contacts_company_and_now(session: Session, staff) -> None:
    contact = contacts.create(session=session, user=staff, data={"first_name": "Ana"})
    activity = activities.create(
        session=session,
        user=staff,
        data={"contact_id": contact.id, "channel": "Phone", "subject": "Renewal", "outcome": "call back"},
    )
    assert activity.channel == "phone" and activity.occurred_at.date().isoformat() == "2026-06-15"
