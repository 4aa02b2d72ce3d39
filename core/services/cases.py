"""Support cases: SLA due time by priority, resolution time stamped on resolve."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import inspect
from sqlmodel import Session

from core.config import now
from core.models import Case, Company, Contact, User
from core.services.records import EntityRules, EntityService, check_references
from core.services.schemas import CaseIn

SLA_BY_PRIORITY = {
    "urgent": timedelta(hours=4),
    "high": timedelta(hours=8),
    "normal": timedelta(hours=24),
    "low": timedelta(hours=72),
}
CLOSED_STATUSES = ("resolved", "closed")


def _prepare_case(session: Session, user: User, case: Case, values: dict[str, Any]) -> None:
    check_references(session, case, {"contact_id": Contact, "company_id": Company,
                                     "assignee_id": User})
    case.opened_at = case.opened_at or now()
    changed = inspect(case).attrs
    priority_changed = changed.priority.history.has_changes()
    # A new priority brings its SLA, unless the person set the due time in the same edit.
    if case.sla_due_at is None or (priority_changed and not changed.sla_due_at.history.has_changes()):
        case.sla_due_at = case.opened_at + SLA_BY_PRIORITY[case.priority]
    if case.status in CLOSED_STATUSES:
        case.resolved_at = case.resolved_at or now()
    else:
        case.resolved_at = None


cases = EntityService(EntityRules("cases", CaseIn, before_save=_prepare_case))
