"""A person's day: their open tasks by when they are due, the calls to make, and the quick actions
(complete, snooze, reassign) the "My day" page offers.

Sections, for the moment `at` (default: now) and its date:
- overdue: due before today (an earlier day);
- today: due today, at any time; a task whose time has passed is flagged `late`, not moved,
  so a call due at 09:00 stays on today's list after 09:00 (as in a paper diary);
- upcoming: due in the next 7 days (tomorrow through today + 7);
- no due date.
Only open tasks count: done, cancelled and deleted tasks never show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy import update as sql_update
from sqlmodel import Session

from core.config import now, start_of_day
from core.errors import PermissionDenied, ValidationError
from core.models import Activity, Contact, Task, User
from core.services.activities import complete_task, tasks
from core.services.permissions import require_active, visible_clause
from core.services.records import batch, use_case

UPCOMING_DAYS = 7
ROW_LIMIT = 500  # a day plan is a to-do list, not an export
CALL_WORDS = ("call", "phone", "ring")  # a task whose title says one of these is a call to make
WORK_STARTS = time(9, 0)  # "tomorrow" and "next Monday" mean the start of that working day

__all__ = ["CallRow", "DayPlan", "TaskRow", "assignable_users", "complete_task", "day_plan",
           "reassign_task", "snooze_options", "snooze_until", "viewable_people"]


@dataclass(frozen=True)
class TaskRow:
    id: int
    title: str
    due_at: datetime | None
    priority: str
    recurrence: str
    version: int
    contact_id: int | None
    contact: str | None  # None when there is no contact, or the viewer may not see it
    late: bool  # its due time has passed


@dataclass(frozen=True)
class CallRow:
    task_id: int
    title: str
    due_at: datetime | None
    version: int
    contact_id: int
    contact: str
    phone: str
    best_time_to_call: str | None
    last_at: datetime | None  # the contact's last interaction the viewer may see
    last_channel: str | None
    last_subject: str | None


@dataclass(frozen=True)
class DayPlan:
    person: User
    at: datetime
    overdue: list[TaskRow]
    today: list[TaskRow]
    upcoming: list[TaskRow]
    undated: list[TaskRow]
    calls: list[CallRow]


# ---- whose day ---------------------------------------------------------------------------------


def may_act_for(viewer: User, person: User) -> bool:
    """The same reach as record permissions: oneself; a manager their team; an admin anyone."""
    if viewer.id == person.id or viewer.role == "admin":
        return True
    return viewer.role == "manager" and viewer.team is not None and person.team == viewer.team


def viewable_people(session: Session, viewer: User) -> list[User]:
    """Whose day the viewer may look at (themselves first), active users only."""
    require_active(viewer)
    query = select(User).where(User.active, User.deleted_at.is_(None)).order_by(User.display_name)
    others = [u for u in session.scalars(query) if u.id != viewer.id and may_act_for(viewer, u)]
    return [viewer, *others]


def assignable_users(session: Session, user: User) -> list[User]:
    """Whom the user may hand a task to (the permission rules of core decide on save as well)."""
    return viewable_people(session, user)


def _person(session: Session, viewer: User, person_id: int | None) -> User:
    require_active(viewer)
    person = viewer if person_id in (None, viewer.id) else session.get(User, person_id)
    if person is None or person.deleted_at is not None or not may_act_for(viewer, person):
        raise PermissionDenied("You may only look at your own day, or your team's if you manage it.")
    return person


# ---- the plan ----------------------------------------------------------------------------------


def day_plan(session: Session, viewer: User, person_id: int | None = None,
             at: datetime | None = None) -> DayPlan:
    """The open tasks assigned to the person (the viewer by default), by section, and their calls."""
    person = _person(session, viewer, person_id)
    at = at or now()
    start, tomorrow = day_bounds(at.date())
    rows = [_task_row(row, at) for row in session.execute(_tasks_query(viewer, person, tomorrow, at))]
    return DayPlan(
        person=person, at=at,
        overdue=[r for r in rows if r.due_at is not None and r.due_at < start],
        today=[r for r in rows if r.due_at is not None and start <= r.due_at < tomorrow],
        upcoming=[r for r in rows if r.due_at is not None and r.due_at >= tomorrow],
        undated=[r for r in rows if r.due_at is None],
        calls=calls_to_make(session, viewer, person, tomorrow),
    )


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = start_of_day(day)
    return start, start + timedelta(days=1)


def _open_tasks_of(viewer: User, person: User) -> ColumnElement[bool]:
    return and_(Task.assignee_id == person.id, Task.status == "open", Task.deleted_at.is_(None),
                visible_clause(viewer, Task))


def _contact_join(viewer: User) -> ColumnElement[bool]:
    # A contact the viewer may not read is left out (the task still shows, without its details).
    return and_(Contact.id == Task.contact_id, Contact.deleted_at.is_(None),
                visible_clause(viewer, Contact))


def _tasks_query(viewer: User, person: User, tomorrow: datetime, at: datetime) -> Any:
    horizon = tomorrow + timedelta(days=UPCOMING_DAYS)
    return (select(Task.id, Task.title, Task.due_at, Task.priority, Task.recurrence, Task.version,
                   Task.contact_id, _full_name().label("contact"))
            .select_from(Task).outerjoin(Contact, _contact_join(viewer))
            .where(_open_tasks_of(viewer, person), or_(Task.due_at.is_(None), Task.due_at < horizon))
            .order_by(Task.due_at.is_(None), Task.due_at, Task.id).limit(ROW_LIMIT))


def _task_row(row: Any, at: datetime) -> TaskRow:
    return TaskRow(id=row.id, title=row.title, due_at=row.due_at, priority=row.priority,
                   recurrence=row.recurrence, version=row.version, contact_id=row.contact_id,
                   contact=row.contact, late=row.due_at is not None and row.due_at <= at)


def _full_name() -> Any:
    return func.trim(Contact.first_name + " " + func.coalesce(Contact.last_name, ""))


def calls_to_make(session: Session, viewer: User, person: User, tomorrow: datetime) -> list[CallRow]:
    """Open call tasks due by the end of today (or undated) on a contact with a phone number, with
    the contact's best time to call and last interaction: one query (a ranked subquery)."""
    phone = func.coalesce(func.nullif(Contact.phone, ""), func.nullif(Contact.mobile, ""))
    is_call = or_(*[func.lower(Task.title).contains(word) for word in CALL_WORDS])
    where = and_(_open_tasks_of(viewer, person), is_call,
                 or_(Task.due_at.is_(None), Task.due_at < tomorrow))
    last = _last_interactions(viewer, select(Task.contact_id).where(where).scalar_subquery())
    query = (select(Task.id, Task.title, Task.due_at, Task.version, Task.contact_id,
                    _full_name().label("contact"), phone.label("phone"), Contact.best_time_to_call,
                    last.c.occurred_at, last.c.channel, last.c.subject)
             .select_from(Task).join(Contact, _contact_join(viewer))
             .outerjoin(last, and_(last.c.contact_id == Task.contact_id, last.c.rank == 1))
             .where(where, phone.is_not(None))
             .order_by(Task.due_at.is_(None), Task.due_at, Task.id).limit(ROW_LIMIT))
    return [CallRow(task_id=r.id, title=r.title, due_at=r.due_at, version=r.version,
                    contact_id=r.contact_id, contact=r.contact, phone=r.phone,
                    best_time_to_call=r.best_time_to_call, last_at=r.occurred_at,
                    last_channel=r.channel, last_subject=r.subject)
            for r in session.execute(query)]


def _last_interactions(viewer: User, contact_ids: Any) -> Any:
    """Each listed contact's interactions ranked newest first (rank 1 = the last one)."""
    rank = func.row_number().over(partition_by=Activity.contact_id,
                                  order_by=(Activity.occurred_at.desc(), Activity.id.desc()))
    return (select(Activity.contact_id, Activity.occurred_at, Activity.channel, Activity.subject,
                   rank.label("rank"))
            .where(Activity.contact_id.in_(contact_ids), Activity.deleted_at.is_(None),
                   visible_clause(viewer, Activity))
            .subquery("last_interaction"))


# ---- actions -----------------------------------------------------------------------------------


def snooze_options(due_at: datetime | None, at: datetime | None = None) -> dict[str, datetime]:
    """The snooze menu: an hour later, tomorrow at 9:00, next Monday at 9:00."""
    at = at or now()
    day = at.date()
    next_monday = day + timedelta(days=7 - day.weekday())  # on a Monday: the Monday after
    return {
        "1 hour": max(due_at or at, at) + timedelta(hours=1),
        "Tomorrow 9:00": datetime.combine(day + timedelta(days=1), WORK_STARTS),
        "Next Monday 9:00": datetime.combine(next_monday, WORK_STARTS),
    }


@use_case
def snooze_until(*, session: Session, user: User, task_id: int, until: datetime | date,
                 expected_version: int | None = None, source: str = "app") -> Task:
    """Move a task's due time to `until` (a date means 9:00 that day); its reminder fires again
    then, because a reminder is due whenever the due time is after the last one sent."""
    if not isinstance(until, datetime):
        until = datetime.combine(until, WORK_STARTS)
    if until <= now():
        raise ValidationError.single("due_at", "snooze to a time in the future")
    return tasks.update(session=session, user=user, record_id=task_id, changes={"due_at": until},
                        expected_version=expected_version, source=source)


@use_case
def reassign_task(*, session: Session, user: User, task_id: int, assignee_id: int,
                  expected_version: int | None = None, source: str = "app") -> Task:
    """Hand a task to someone else (core checks the user may assign to them; the change is
    audited). The new assignee gets the reminder again, even if the old one already had it."""
    with batch(session):
        task = tasks.update(session=session, user=user, record_id=task_id,
                            changes={"assignee_id": assignee_id}, expected_version=expected_version,
                            source=source)
        # Bookkeeping, not an edit: a plain UPDATE, so the version (and the audit) stay as they are.
        session.execute(sql_update(Task.__table__).where(Task.__table__.c.id == task_id)
                        .values(reminder_sent_at=None))
    session.expire(task, ["reminder_sent_at"])
    return task
