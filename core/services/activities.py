"""Interactions on every channel, and tasks/reminders."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlmodel import Session

from core.config import now
from core.models import Activity, Case, Company, Contact, Deal, Task, User
from core.services.records import EntityRules, EntityService, check_references, use_case
from core.services.schemas import ActivityIn, TaskIn


def _check_activity(session: Session, user: User, activity: Activity, values: dict[str, Any]) -> None:
    check_references(session, activity, {"contact_id": Contact, "company_id": Company,
                                         "deal_id": Deal, "case_id": Case, "owner_id": User}, user)
    if activity.occurred_at is None:
        activity.occurred_at = now()
    if activity.company_id is None and activity.contact_id is not None:
        contact = session.get(Contact, activity.contact_id)
        activity.company_id = contact.company_id if contact else None


def _check_task(session: Session, user: User, task: Task, values: dict[str, Any]) -> None:
    check_references(session, task, {"assignee_id": User, "contact_id": Contact,
                                     "deal_id": Deal, "case_id": Case}, user)
    if task.status == "done" and task.completed_at is None:
        task.completed_at = now()
    elif task.status != "done":
        task.completed_at = None


activities = EntityService(EntityRules("activities", ActivityIn, before_save=_check_activity))
tasks = EntityService(EntityRules("tasks", TaskIn, before_save=_check_task))

RECURRENCE_STEP = {
    "daily": relativedelta(days=1),
    "weekly": relativedelta(weeks=1),
    "monthly": relativedelta(months=1),
}


@use_case
def complete_task(*, session: Session, user: User, task_id: int,
                  expected_version: int | None = None, source: str = "app") -> Task:
    """Mark a task done; a recurring task schedules its next occurrence."""
    task = tasks.update(session=session, user=user, record_id=task_id, changes={"status": "done"},
                        expected_version=expected_version, source=source)
    step = RECURRENCE_STEP.get(task.recurrence)
    if step is not None:
        due = (task.due_at or now()) + step
        tasks.create(session=session, user=user, source=source, data={
            "title": task.title, "notes": task.notes, "due_at": due,
            "assignee_id": task.assignee_id, "contact_id": task.contact_id,
            "deal_id": task.deal_id, "priority": task.priority, "recurrence": task.recurrence,
        })
    return task


@use_case
def snooze_task(*, session: Session, user: User, task_id: int, delay: timedelta,
                source: str = "app") -> Task:
    task = tasks.get(session=session, user=user, record_id=task_id)
    due = max(task.due_at or now(), now()) + delay
    return tasks.update(session=session, user=user, record_id=task_id, changes={"due_at": due},
                        source=source)
