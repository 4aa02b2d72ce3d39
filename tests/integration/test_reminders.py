"""Reminders: which are due (pinned today, Monday 15 June 2026), in-app delivery once, snoozing
re-arms, email digests through the outbox or a real SMTP server on 127.0.0.1, and `crm reminders`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session

from core import config
from core.models import Contact, Task, User
from core.services.my_day import snooze_until
from core.services.reminders import deliver_in_app, due_reminders, send_reminders
from tests.integration.conftest import SENDER, free_port

AT = datetime(2026, 6, 15, 10, 0)


def _add(session: Session, *rows):  # type: ignore[no-untyped-def]
    session.add_all(rows)
    session.commit()
    return rows


def _task(user: User | None, title: str, due: datetime | None, **extra) -> Task:  # type: ignore[no-untyped-def]
    return Task(title=title, due_at=due, assignee_id=user.id if user else None, **extra)


def _rows(engine, sql: str) -> list[tuple]:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def _with_email(session: Session, user: User, email: str) -> User:
    user.email = email
    session.add(user)
    session.commit()
    return user


def test_due_reminders_edges(session: Session, staff, other_staff, engine) -> None:
    inactive = _add(session, User(username="ina", display_name="Ina", active=False))[0]
    _add(session,
         _task(staff, "due at ten", AT),
         _task(staff, "due last week", datetime(2026, 6, 8, 9)),
         _task(staff, "a second too early", datetime(2026, 6, 15, 10, 0, 1)),
         _task(staff, "no due date", None),
         _task(staff, "done", AT, status="done"),
         _task(staff, "deleted", AT, deleted_at=AT),
         _task(staff, "already reminded", datetime(2026, 6, 15, 9),
               reminder_sent_at=datetime(2026, 6, 15, 9)),
         _task(staff, "snoozed after reminder", datetime(2026, 6, 15, 9, 30),
               reminder_sent_at=datetime(2026, 6, 15, 9)),
         _task(other_staff, "olga's", datetime(2026, 6, 15, 0, 0)),
         _task(inactive, "inactive assignee", AT),
         _task(None, "nobody's", AT))
    assert [r.title for r in due_reminders(session, AT)] == [
        "due last week", "olga's", "snoozed after reminder", "due at ten"]
    assert [r.title for r in due_reminders(session, AT, user_id=other_staff.id)] == ["olga's"]


def test_in_app_reminders_become_notifications_once(session: Session, engine, staff) -> None:
    ana = _add(session, Contact(first_name="Ana", last_name="Alves", owner_id=staff.id))[0]
    [task] = _add(session, _task(staff, "Call back Ana", datetime(2026, 6, 15, 9), contact_id=ana.id))
    added = deliver_in_app(session, staff, AT)
    assert [n.text for n in added] == ["Reminder: Call back Ana (Ana Alves), due Mon 15 Jun 2026 09:00"]
    assert deliver_in_app(session, staff, AT) == []
    assert _rows(engine, "SELECT user_id, kind, entity, entity_id, read_at FROM notifications") == [
        (staff.id, "reminder", "tasks", task.id, None)]
    # The stamp is bookkeeping: nobody editing the task gets a conflict because of it.
    assert [(v, str(at)[:16]) for v, at in _rows(engine, "SELECT version, reminder_sent_at FROM tasks")] == [
        (1, "2026-06-15 10:00")]


def test_snoozing_arms_the_reminder_again(session: Session, engine, staff) -> None:
    [task] = _add(session, _task(staff, "Chase invoice", datetime(2026, 6, 15, 9)))
    assert len(deliver_in_app(session, staff, AT)) == 1
    snooze_until(session=session, user=staff, task_id=task.id, until=datetime(2026, 6, 16, 9),
                 expected_version=1)
    assert due_reminders(session, datetime(2026, 6, 15, 23, 59)) == []
    assert [r.title for r in due_reminders(session, datetime(2026, 6, 16, 9))] == ["Chase invoice"]
    assert len(deliver_in_app(session, staff, datetime(2026, 6, 16, 9, 5))) == 1
    assert _rows(engine, "SELECT count(*) FROM notifications") == [(2,)]


def test_digests_go_to_the_outbox_without_smtp(session: Session, engine, staff, other_staff,
                                               manager) -> None:
    _with_email(session, staff, "sam@example.com")
    _with_email(session, other_staff, "olga@example.com")
    _add(session, _task(staff, "Call Ana", datetime(2026, 6, 12, 9)), _task(staff, "Send quote", AT),
         _task(other_staff, "Book demo", AT), _task(manager, "Review pipeline", AT))
    report = send_reminders(session, AT)
    assert (report.emails_sent, report.reminders_sent, report.failed) == (2, 3, [])
    assert report.without_email == ["mia"]
    outbox = _rows(engine, "SELECT kind, to_address, subject, status, body FROM outbox_messages "
                           "ORDER BY to_address")
    assert [row[:4] for row in outbox] == [
        ("reminder", "olga@example.com", "CRM: 1 task due", "queued"),
        ("reminder", "sam@example.com", "CRM: 2 tasks due", "queued")]
    assert "- overdue: Call Ana, due Fri 12 Jun 2026 09:00" in outbox[1][4]
    assert "- Send quote, due Mon 15 Jun 2026 10:00" in outbox[1][4]
    assert _rows(engine, "SELECT count(*) FROM notifications WHERE kind = 'reminder'") == [(3,)]
    # Mia has no address: her reminder waits for the app rather than being lost.
    assert [r.title for r in due_reminders(session, AT)] == ["Review pipeline"]
    again = send_reminders(session, AT)
    assert (again.emails_sent, again.reminders_sent) == (0, 0)
    assert _rows(engine, "SELECT count(*) FROM outbox_messages") == [(2,)]


def test_digests_go_through_smtp(session: Session, engine, staff, other_staff, smtp) -> None:
    _with_email(session, staff, "sam@example.com")
    _with_email(session, other_staff, "olga@example.com")
    _add(session, _task(staff, "Call Ana", datetime(2026, 6, 12, 9)), _task(staff, "Send quote", AT),
         _task(other_staff, "Book demo", AT))
    report = send_reminders(session, AT)
    assert (report.emails_sent, report.reminders_sent, report.failed) == (2, 3, [])
    received = {tuple(rcpt): message for rcpt, message in smtp.messages}
    assert set(received) == {("sam@example.com",), ("olga@example.com",)}
    sam = received[("sam@example.com",)]
    assert (sam["From"], sam["Subject"]) == (SENDER, "CRM: 2 tasks due")
    body = sam.get_payload(decode=True).decode()
    assert "Hello Sam," in body and "Call Ana" in body and "Send quote" in body and "Book demo" not in body
    assert _rows(engine, "SELECT status, count(*) FROM outbox_messages GROUP BY status") == [("sent", 2)]
    assert send_reminders(session, AT).emails_sent == 0 and len(smtp.messages) == 2


def test_a_refused_connection_is_reported_and_retried_next_run(session: Session, engine, staff,
                                                              monkeypatch) -> None:
    monkeypatch.setenv("CRM_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CRM_SMTP_PORT", str(free_port()))  # nobody listens there
    config.get_settings.cache_clear()
    _with_email(session, staff, "sam@example.com")
    _add(session, _task(staff, "Call Ana", AT))
    report = send_reminders(session, AT)
    assert report.emails_sent == 0 and len(report.failed) == 1 and report.failed[0].startswith("sam: ")
    assert _rows(engine, "SELECT status FROM outbox_messages") == [("failed",)]
    assert _rows(engine, "SELECT reminder_sent_at FROM tasks") == [(None,)]
    assert _rows(engine, "SELECT count(*) FROM notifications") == [(0,)]


def test_cli_lists_then_sends_once(cli, session: Session, engine, staff, manager) -> None:
    _with_email(session, staff, "sam@example.com")
    ana = _add(session, Contact(first_name="Ana", last_name="Alves", owner_id=staff.id))[0]
    _add(session, _task(staff, "Call back Ana", datetime(2026, 6, 12, 9), contact_id=ana.id),
         _task(manager, "Review pipeline", datetime(2026, 6, 15, 0, 0)))
    listed = cli("reminders")
    assert listed.exit_code == 0, listed.output
    assert "Call back Ana" in listed.output and "Ana Alves" in listed.output and "Sam" in listed.output
    assert "2026-06-12 09:00" in listed.output and "2 reminder(s) due." in listed.output
    assert _rows(engine, "SELECT count(*) FROM outbox_messages") == [(0,)]  # listing sends nothing
    sent = cli("reminders", "--send")
    assert sent.exit_code == 0, sent.output
    assert "Sent 1 email(s) covering 1 reminder(s); 0 failed." in sent.output
    assert "mia has no email address" in sent.output
    assert _rows(engine, "SELECT to_address, status FROM outbox_messages") == [("sam@example.com", "queued")]
    again = cli("reminders", "--send")
    assert "Sent 0 email(s)" in again.output
    assert _rows(engine, "SELECT count(*) FROM outbox_messages") == [(1,)]


def test_cli_send_fails_loudly_for_cron_when_smtp_is_down(cli, session: Session, engine, staff,
                                                          monkeypatch) -> None:
    monkeypatch.setenv("CRM_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CRM_SMTP_PORT", str(free_port()))
    config.get_settings.cache_clear()
    _with_email(session, staff, "sam@example.com")
    _add(session, _task(staff, "Call Ana", datetime(2026, 6, 12, 9)))
    result = cli("reminders", "--send")
    assert result.exit_code == 1
    assert "Sent 0 email(s) covering 0 reminder(s); 1 failed." in result.output
    assert "failed: sam: " in result.output and "retried on the next run" in result.output
    assert _rows(engine, "SELECT reminder_sent_at FROM tasks") == [(None,)]
