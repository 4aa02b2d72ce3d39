"""My day's actions: the snooze menu, snoozing to a time, reassigning (permissions, audit, the
reminder re-armed for the new assignee) and conflicts with a colleague's newer save."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from sqlalchemy import text
from sqlmodel import Session

from core.errors import ConflictError, PermissionDenied, ValidationError
from core.models import Task, User
from core.services.my_day import reassign_task, snooze_options, snooze_until
from core.services.reminders import due_reminders

AT = datetime(2026, 6, 15, 10, 0)  # Monday


def _task(session: Session, user: User, due: datetime | None, **extra) -> Task:  # type: ignore[no-untyped-def]
    task = Task(title="Call Ana", due_at=due, assignee_id=user.id, **extra)
    session.add(task)
    session.commit()
    return task


def _row(engine, sql: str, **params) -> tuple:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return tuple(connection.execute(text(sql), params).one())


def _audit(engine, task_id: int) -> list[tuple]:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT action, user_id, before, after FROM audit_log "
                                       "WHERE entity = 'tasks' AND entity_id = :id ORDER BY id"),
                                  {"id": task_id})
        return [(a, u, _json(b), _json(c)) for a, u, b, c in rows]


def _json(value):  # type: ignore[no-untyped-def]
    return json.loads(value) if isinstance(value, str) else value


def test_snooze_menu_on_a_monday_and_on_a_sunday() -> None:
    assert snooze_options(datetime(2026, 6, 15, 9), AT) == {
        "1 hour": datetime(2026, 6, 15, 11), "Tomorrow 9:00": datetime(2026, 6, 16, 9),
        "Next Monday 9:00": datetime(2026, 6, 22, 9)}
    sunday = snooze_options(datetime(2026, 6, 14, 18), datetime(2026, 6, 14, 17))
    assert sunday["1 hour"] == datetime(2026, 6, 14, 19)  # an hour after it is due, not earlier
    assert sunday["Next Monday 9:00"] == datetime(2026, 6, 15, 9)


def test_snooze_to_a_date_means_nine_that_morning_and_is_audited(session: Session, engine, staff) -> None:
    task = _task(session, staff, datetime(2026, 6, 12, 9))
    snooze_until(session=session, user=staff, task_id=task.id, until=date(2026, 6, 19), expected_version=1)
    due, version = _row(engine, "SELECT due_at, version FROM tasks WHERE id = :id", id=task.id)
    assert (str(due)[:16], version) == ("2026-06-19 09:00", 2)
    [(action, user_id, before, after)] = _audit(engine, task.id)
    assert (action, user_id) == ("update", staff.id)
    assert before["due_at"].startswith("2026-06-12T09:00") and after["due_at"].startswith("2026-06-19T09:00")


def test_snooze_into_the_past_is_refused(session: Session, engine, staff) -> None:
    task = _task(session, staff, datetime(2026, 6, 12, 9))
    with pytest.raises(ValidationError, match="future"):
        snooze_until(session=session, user=staff, task_id=task.id, until=date(2026, 6, 14))
    assert _row(engine, "SELECT version FROM tasks") == (1,)


def test_a_stale_version_is_a_conflict_not_an_overwrite(session: Session, engine, staff) -> None:
    task = _task(session, staff, datetime(2026, 6, 12, 9))
    with engine.begin() as connection:  # a colleague saved in the meantime
        connection.execute(text("UPDATE tasks SET title = 'Call Ana today', version = 2"))
    with pytest.raises(ConflictError, match="Reload"):
        snooze_until(session=session, user=staff, task_id=task.id, until=date(2026, 6, 19),
                     expected_version=1)
    assert _row(engine, "SELECT title, version, due_at FROM tasks")[:2] == ("Call Ana today", 2)


def test_staff_may_not_hand_a_task_to_a_colleague(session: Session, engine, staff, other_staff) -> None:
    task = _task(session, staff, AT)
    with pytest.raises(PermissionDenied, match="only assign records to yourself"):
        reassign_task(session=session, user=staff, task_id=task.id, assignee_id=other_staff.id)
    assert _row(engine, "SELECT assignee_id, version FROM tasks") == (staff.id, 1)
    assert _audit(engine, task.id) == []


def test_a_manager_reassigns_within_the_team_audited_and_reminded_again(
        session: Session, engine, manager, staff, other_staff, outsider) -> None:
    task = _task(session, staff, datetime(2026, 6, 15, 9), reminder_sent_at=datetime(2026, 6, 15, 9, 1))
    with pytest.raises(PermissionDenied):
        reassign_task(session=session, user=manager, task_id=task.id, assignee_id=outsider.id)
    reassign_task(session=session, user=manager, task_id=task.id, assignee_id=other_staff.id,
                  expected_version=1)
    after_reassign = _row(engine, "SELECT assignee_id, version, reminder_sent_at FROM tasks")
    assert after_reassign == (other_staff.id, 2, None)
    [(action, user_id, before, after)] = _audit(engine, task.id)
    assert (action, user_id) == ("update", manager.id)
    assert (before["assignee_id"], after["assignee_id"]) == (staff.id, other_staff.id)
    assert [r.assignee_id for r in due_reminders(session, AT)] == [other_staff.id]


def test_reassigning_to_an_inactive_user_is_refused(session: Session, engine, admin, staff) -> None:
    gone = User(username="gone", display_name="Gone", active=False)
    session.add(gone)
    session.commit()
    task = _task(session, staff, AT)
    with pytest.raises(ValidationError, match="inactive"):
        reassign_task(session=session, user=admin, task_id=task.id, assignee_id=gone.id)
    assert _row(engine, "SELECT assignee_id FROM tasks") == (staff.id,)
