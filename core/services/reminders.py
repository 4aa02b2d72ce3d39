"""Task reminders: due when a task's due time has come and no reminder went out since.

A reminder is due for an open, undeleted task with an active assignee when `due_at <= at` and
`reminder_sent_at` is empty or earlier than `due_at`. Sending stamps `reminder_sent_at`, so it is
not sent twice; snoozing moves `due_at` past that stamp, which arms the reminder again (and so
does reassigning, which clears it). One stamp for both ways of delivery: the app turns a person's
due reminders into notifications when they open it, and `crm reminders --send` (cron) emails each
assignee one digest and adds the same notifications.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy import update as sql_update
from sqlmodel import Session

from core.config import now
from core.models import Contact, Notification, Task, User
from core.services.mailer import Mailer
from core.services.notifications import notify

DIGEST_LINES = 50  # a digest lists this many tasks, then says how many more there are
_tasks = Task.__table__.c


@dataclass(frozen=True)
class Reminder:
    task_id: int
    title: str
    due_at: datetime
    assignee_id: int
    assignee: str
    email: str | None
    contact: str | None
    sent_before: datetime | None  # the previous stamp, restored when sending fails

    def line(self) -> str:
        named = self.contact and self.contact.lower() not in self.title.lower()
        about = f" ({self.contact})" if named else ""
        return f"{self.title}{about}, due {self.due_at:%a %d %b %Y %H:%M}"


@dataclass
class SendReport:
    emails_sent: int = 0
    reminders_sent: int = 0
    failed: list[str] = field(default_factory=list)  # "username: the server's answer"
    without_email: list[str] = field(default_factory=list)  # usernames, left for the app


def is_due(at: datetime) -> ColumnElement[bool]:
    return and_(Task.status == "open", Task.deleted_at.is_(None), Task.due_at.is_not(None),
                Task.due_at <= at,
                or_(Task.reminder_sent_at.is_(None), Task.reminder_sent_at < Task.due_at))


def due_reminders(session: Session, at: datetime | None = None, *,
                  user_id: int | None = None) -> list[Reminder]:
    """The reminders due at `at` (default: now), oldest due first; one person's with `user_id`."""
    at = at or now()
    name = func.trim(Contact.first_name + " " + func.coalesce(Contact.last_name, ""))
    query = (select(Task.id, Task.title, Task.due_at, Task.assignee_id, User.display_name,
                    User.email, name.label("contact"), Task.reminder_sent_at)
             .join(User, and_(User.id == Task.assignee_id, User.active, User.deleted_at.is_(None)))
             .outerjoin(Contact, and_(Contact.id == Task.contact_id, Contact.deleted_at.is_(None)))
             .where(is_due(at), *([Task.assignee_id == user_id] if user_id is not None else []))
             .order_by(Task.due_at, Task.id))
    return [Reminder(task_id=r.id, title=r.title, due_at=r.due_at, assignee_id=r.assignee_id,
                     assignee=r.display_name, email=r.email or None, contact=r.contact,
                     sent_before=r.reminder_sent_at)
            for r in session.execute(query)]


def _claim(session: Session, reminder: Reminder, at: datetime) -> bool:
    """Stamp the task unless someone else (another run, another browser tab) just did.

    A plain UPDATE: the stamp is bookkeeping, so the task's version stays and nobody editing it
    gets a conflict because a reminder went out."""
    result = session.execute(sql_update(Task.__table__)
                             .where(_tasks.id == reminder.task_id, is_due(at).self_group())
                             .values(reminder_sent_at=at))
    return bool(result.rowcount)


def _release(session: Session, reminders: list[Reminder], at: datetime) -> None:
    for reminder in reminders:
        session.execute(sql_update(Task.__table__)
                        .where(_tasks.id == reminder.task_id, _tasks.reminder_sent_at == at)
                        .values(reminder_sent_at=reminder.sent_before))


def _notify(session: Session, reminder: Reminder) -> Notification:
    return notify(session, user_id=reminder.assignee_id, kind="reminder", entity="tasks",
                  entity_id=reminder.task_id, text=f"Reminder: {reminder.line()}")


def deliver_in_app(session: Session, user: User, at: datetime | None = None) -> list[Notification]:
    """Turn the user's due reminders into notifications, once each; commits."""
    at = at or now()
    added = [_notify(session, r) for r in due_reminders(session, at, user_id=user.id)
             if _claim(session, r, at)]
    session.commit()
    return added


def send_reminders(session: Session, at: datetime | None = None) -> SendReport:
    """Email each assignee one digest of their due reminders (SMTP, or the outbox without it).

    Each person's digest commits on its own, so a failure later in the run does not resend it.
    A person without an email address is reported and left for the app to remind."""
    at = at or now()
    report = SendReport()
    by_person: dict[int, list[Reminder]] = defaultdict(list)
    for reminder in due_reminders(session, at):
        by_person[reminder.assignee_id].append(reminder)
    with Mailer(session) as mailer:
        for reminders in by_person.values():
            _send_digest(session, mailer, reminders, at, report)
            session.commit()
    return report


def _send_digest(session: Session, mailer: Mailer, reminders: list[Reminder], at: datetime,
                 report: SendReport) -> None:
    person = reminders[0]
    username = session.scalar(select(User.username).where(User.id == person.assignee_id)) or ""
    if person.email is None:
        report.without_email.append(username)
        return
    claimed = [r for r in reminders if _claim(session, r, at)]
    if not claimed:
        return
    message = mailer.send(to=person.email, subject=digest_subject(claimed),
                          body=digest_body(person.assignee, claimed, at), kind="reminder",
                          user_id=person.assignee_id)
    if message.status == "failed":
        _release(session, claimed, at)
        report.failed.append(f"{username}: {message.error}")
        return
    for reminder in claimed:
        _notify(session, reminder)
    report.emails_sent += 1
    report.reminders_sent += len(claimed)


def digest_subject(reminders: list[Any]) -> str:
    count = len(reminders)
    return f"CRM: {count} task{'s' if count != 1 else ''} due"


def digest_body(name: str, reminders: list[Reminder], at: datetime) -> str:
    lines = [f"Hello {name},", "", "These tasks of yours are due:", ""]
    for reminder in reminders[:DIGEST_LINES]:
        late = "overdue: " if reminder.due_at.date() < at.date() else ""
        lines.append(f"- {late}{reminder.line()}")
    if len(reminders) > DIGEST_LINES:
        lines.append(f"- and {len(reminders) - DIGEST_LINES} more")
    lines += ["", 'Open "My day" in the CRM to complete, snooze or reassign them.']
    return "\n".join(lines)
