"""The My day page under AppTest: sections, completing and snoozing a task from the page, a
conflict message, a reminder pop-up after sign-in, marking a notification read, a manager's view."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session

from core.models import Activity, Contact, Task, User
from tests.app.conftest import sign_in


def _add(session: Session, *rows):  # type: ignore[no-untyped-def]
    session.add_all(rows)
    session.commit()
    return rows


def _rows(engine, sql: str) -> list[tuple]:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def _my_day(app_factory, username: str = "sam"):  # type: ignore[no-untyped-def]
    at = sign_in(app_factory(), username)
    at.switch_page("../pages/my_day.py")
    return at.run()


def _plain(markdown: str) -> str:
    """Markdown as read: the backslash escapes of user text removed."""
    return re.sub(r"\\(.)", r"\1", markdown)


def _texts(at) -> str:  # type: ignore[no-untyped-def]
    return _plain("\n".join(m.value for m in [*at.markdown, *at.caption, *at.subheader]))


def _button(at, key: str):  # type: ignore[no-untyped-def]
    return next(b for b in at.button if b.key == key)


def _seed(session: Session, user: User) -> dict[str, Task]:
    ana = _add(session, Contact(first_name="Ana", last_name="Alves", phone="+39 02 1234",
                                best_time_to_call="mornings", owner_id=user.id))[0]
    _add(session, Activity(contact_id=ana.id, channel="email", occurred_at=datetime(2026, 6, 10, 9),
                           subject="Sent the quote", owner_id=user.id))
    tasks = _add(session,
                 Task(title="Call back Ana", due_at=datetime(2026, 6, 12, 9), assignee_id=user.id,
                      contact_id=ana.id, reminder_sent_at=datetime(2026, 6, 12, 9)),
                 Task(title="Weekly report", due_at=datetime(2026, 6, 15, 0, 0), assignee_id=user.id,
                      recurrence="weekly", reminder_sent_at=datetime(2026, 6, 15, 0, 0)),
                 Task(title="Plan the fair", due_at=datetime(2026, 6, 18, 9), assignee_id=user.id),
                 Task(title="Old and done", due_at=datetime(2026, 6, 1, 9), assignee_id=user.id,
                      status="done"))
    return {task.title: task for task in tasks}


def test_page_shows_the_sections_and_calls(app_factory, session, staff) -> None:
    _seed(session, staff)
    at = _my_day(app_factory)
    assert not at.exception
    figures = {metric.label: metric.value for metric in at.metric}
    assert (figures["Overdue"], figures["Due today"], figures["Next 7 days"], figures["Calls to make"]) == (
        "1", "1", "1", "1")
    shown = _texts(at)
    assert "Call back Ana" in shown and "Weekly report" in shown and "Plan the fair" in shown
    assert "Old and done" not in shown
    calls = at.dataframe[0].value
    assert list(calls["name"]) == ["Ana Alves"] and list(calls["best_time"]) == ["mornings"]
    assert list(calls["last_subject"]) == ["Sent the quote"] and list(calls["open"]) == ["contact?id=1"]


def test_completing_a_recurring_task_from_the_page(app_factory, session, engine, staff) -> None:
    task = _seed(session, staff)["Weekly report"]
    at = _my_day(app_factory)
    _button(at, f"done:{task.id}").click()
    at.run()
    assert not at.exception
    assert "Done: Weekly report (the next one is scheduled)" in _plain(at.success[0].value)
    assert [(s, str(d)[:16]) for s, d in _rows(engine, "SELECT status, due_at FROM tasks WHERE title = "
                                                       "'Weekly report' ORDER BY id")] == [
        ("done", "2026-06-15 00:00"), ("open", "2026-06-22 00:00")]


def test_snooze_until_tomorrow_from_the_page(app_factory, session, engine, staff) -> None:
    task = _seed(session, staff)["Call back Ana"]
    at = _my_day(app_factory)
    _button(at, f"snooze:{task.id}:Tomorrow 9:00").click()
    at.run()
    assert not at.exception and "Snoozed: Call back Ana" in _plain(at.success[0].value)
    assert [str(d)[:16] for (d,) in _rows(engine, f"SELECT due_at FROM tasks WHERE id = {task.id}")] == [
        "2026-06-16 09:00"]


def test_a_colleagues_newer_save_is_reported(app_factory, session, engine, staff) -> None:
    task = _seed(session, staff)["Call back Ana"]
    at = _my_day(app_factory)
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE tasks SET title = 'Call Ana now', version = version + 1 "
                                f"WHERE id = {task.id}"))
    _button(at, f"done:{task.id}").click()
    at.run()
    assert not at.exception and "Reload" in _plain(at.error[0].value)
    assert _rows(engine, f"SELECT status FROM tasks WHERE id = {task.id}") == [("open",)]


def test_a_due_reminder_pops_up_once_and_can_be_marked_read(app_factory, session, engine, staff) -> None:
    _add(session, Task(title="Chase invoice", due_at=datetime(2026, 6, 15, 0, 0), assignee_id=staff.id))
    at = sign_in(app_factory(), "sam")
    assert not at.exception
    assert [_plain(t.value) for t in at.toast] == ["Reminder: Chase invoice, due Mon 15 Jun 2026 00:00"]
    assert _rows(engine, "SELECT kind, read_at FROM notifications") == [("reminder", None)]
    at.switch_page("../pages/my_day.py")
    at.run()
    assert not at.toast  # shown once, not on every rerun
    assert "Reminder: Chase invoice" in _texts(at)
    [note_id] = [row[0] for row in _rows(engine, "SELECT id FROM notifications")]
    _button(at, f"read:{note_id}").click()
    at.run()
    assert not at.exception and "No unread notifications." in _texts(at)
    assert _rows(engine, "SELECT count(*) FROM notifications WHERE read_at IS NULL") == [(0,)]


def test_a_manager_looks_at_a_team_members_day_and_reassigns(app_factory, session, engine, manager, staff,
                                                              other_staff, outsider) -> None:
    task, _ = _add(session, Task(title="Sam's call", due_at=datetime(2026, 6, 15, 11), assignee_id=staff.id),
                   Task(title="Sven's call", due_at=datetime(2026, 6, 15, 11), assignee_id=outsider.id))
    at = _my_day(app_factory, "mia")
    whose = at.selectbox(key="whose_day")
    assert whose.options == ["Mia", "Olga", "Sam"]  # not Sven, of another team
    whose.set_value(staff.id)
    at.run()
    assert not at.exception
    shown = _texts(at)
    assert "Sam's call" in shown and "Sven's call" not in shown
    assert at.selectbox(key=f"assignee:{task.id}").options == ["Mia", "Olga"]
    at.selectbox(key=f"assignee:{task.id}").set_value(other_staff.id)
    _button(at, f"reassign:{task.id}").click()
    at.run()
    assert not at.exception and "Sam's call now belongs to Olga" in _plain(at.success[0].value)
    assert _rows(engine, f"SELECT assignee_id FROM tasks WHERE id = {task.id}") == [(other_staff.id,)]
    audit = f"SELECT user_id FROM audit_log WHERE entity = 'tasks' AND entity_id = {task.id}"
    assert _rows(engine, audit) == [(manager.id,)]
