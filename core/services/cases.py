"""Support cases: the status workflow, SLA due time by priority, assignment, replies and calls
logged as activities on the case (and so on the contact's timeline), resolution time.

Workflow: new -> open | waiting | resolved; open -> waiting | resolved; waiting -> open | resolved;
resolved -> closed | open (reopen); closed -> open (reopen). Any status change, from the desk or
the grid, must be one of these. Resolving stamps resolved_at; reopening clears it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import inspect
from sqlmodel import Session

from core.config import now
from core.errors import ValidationError
from core.models import Activity, Case, Company, Contact, User
from core.services import permissions
from core.services.activities import activities
from core.services.records import EntityRules, EntityService, batch, check_references, use_case
from core.services.schemas import CaseIn

SLA_BY_PRIORITY = {
    "urgent": timedelta(hours=4),
    "high": timedelta(hours=8),
    "normal": timedelta(hours=24),
    "low": timedelta(hours=72),
}
CLOSED_STATUSES = ("resolved", "closed")
OPEN_STATUSES = ("new", "open", "waiting")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("open", "waiting", "resolved"),
    "open": ("waiting", "resolved"),
    "waiting": ("open", "resolved"),
    "resolved": ("closed", "open"),
    "closed": ("open",),
}
DUE_SOON = timedelta(hours=2)  # an open case due within this is flagged before it breaches


def allowed_statuses(status: str) -> tuple[str, ...]:
    return TRANSITIONS.get(status, ())


def sla_state(status: str, sla_due_at: datetime | None, at: datetime | None = None) -> str:
    """"breached", "due soon", "on time" for an open case; "done" once resolved or closed."""
    if status not in OPEN_STATUSES:
        return "done"
    moment = at or now()
    if sla_due_at is None or sla_due_at >= moment + DUE_SOON:
        return "on time"
    return "breached" if sla_due_at < moment else "due soon"


def resolution_hours(case: Case) -> float | None:
    """Hours from opening to resolution (None while the case is not resolved)."""
    if case.resolved_at is None or case.opened_at is None:
        return None
    return round((case.resolved_at - case.opened_at).total_seconds() / 3600, 2)


def _check_transition(case: Case) -> None:
    before = inspect(case).attrs.status.history.deleted
    if case.id is None or not before or before[0] == case.status:
        return
    allowed = allowed_statuses(before[0])
    if case.status not in allowed:
        article = "an" if before[0][0] in "aeiou" else "a"
        raise ValidationError.single(
            "status", f"{article} {before[0]} case can move to {' or '.join(allowed)}, not to {case.status}")


def _prepare_case(session: Session, user: User, case: Case, values: dict[str, Any]) -> None:
    check_references(session, case, {"contact_id": Contact, "company_id": Company,
                                     "assignee_id": User}, user)
    _check_transition(case)
    case.opened_at = case.opened_at or now()
    changed = inspect(case).attrs
    priority_changed = changed.priority.history.has_changes()
    # A new priority brings its SLA, unless the person set the due time in the same edit.
    if case.sla_due_at is None or (priority_changed and not changed.sla_due_at.history.has_changes()):
        case.sla_due_at = case.opened_at + SLA_BY_PRIORITY[case.priority]
    if case.status in CLOSED_STATUSES:
        case.resolved_at = case.resolved_at or now()
    else:
        case.resolved_at = None  # reopened: it is no longer resolved
    if case.company_id is None and case.contact_id is not None:
        contact = session.get(Contact, case.contact_id)
        case.company_id = contact.company_id if contact else None


cases = EntityService(EntityRules("cases", CaseIn, before_save=_prepare_case))


@use_case
def open_case(*, session: Session, user: User, subject: str, channel: str, contact_id: int | None = None,
              priority: str = "normal", description: str | None = None, assignee_id: int | None = None,
              source: str = "app") -> Case:
    """A case from any channel, with the customer's first message as an inbound activity on it."""
    with batch(session):
        case = cases.create(session=session, user=user, source=source, data={
            "subject": subject, "channel": channel, "contact_id": contact_id, "priority": priority,
            "description": description, "assignee_id": assignee_id})
        activities.create(session=session, user=user, source=source, data={
            "case_id": case.id, "contact_id": case.contact_id, "company_id": case.company_id,
            "channel": channel, "direction": "inbound", "subject": subject, "notes": description})
    return case


@use_case
def log_case_interaction(*, session: Session, user: User, case_id: int, channel: str,
                         notes: str | None = None, direction: str = "outbound", subject: str | None = None,
                         outcome: str | None = None, duration_minutes: int | None = None,
                         new_status: str | None = None, source: str = "app") -> Activity:
    """A reply, call or chat on a case, logged on the case and the contact's timeline; with
    `new_status`, the case moves in the same transaction (both are saved, or neither)."""
    case = cases.get(session=session, user=user, record_id=case_id)
    permissions.require_write(session, user, "cases", case)
    with batch(session):
        activity = activities.create(session=session, user=user, source=source, data={
            "case_id": case.id, "contact_id": case.contact_id, "company_id": case.company_id,
            "channel": channel, "direction": direction, "subject": subject or f"Re: {case.subject}",
            "notes": notes, "outcome": outcome, "duration_minutes": duration_minutes})
        if new_status and new_status != case.status:
            cases.update(session=session, user=user, record_id=case.id, changes={"status": new_status},
                         source=source)
    return activity


@use_case
def change_case_status(*, session: Session, user: User, case_id: int, status: str,
                       expected_version: int | None = None, source: str = "app") -> Case:
    """Move a case along the workflow (a move it does not allow is refused, naming the allowed ones)."""
    return cases.update(session=session, user=user, record_id=case_id, changes={"status": status},
                        expected_version=expected_version, source=source)


@use_case
def assign_case(*, session: Session, user: User, case_id: int, assignee_id: int | None,
                expected_version: int | None = None, source: str = "app") -> Case:
    """Hand a case to someone (staff: only to themselves; managers: within their team)."""
    return cases.update(session=session, user=user, record_id=case_id, changes={"assignee_id": assignee_id},
                        expected_version=expected_version, source=source)
