"""Reading the audit log (admins), and restoring a deleted record from it."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from core.config import start_of_day
from core.models import AuditLog, User
from core.services import SERVICES
from core.services.listing import Page
from core.services.permissions import require_role


def audit_page(session: Session, user: User, *, entity: str | None = None, entity_id: int | None = None,
               username: str | None = None, action: str | None = None, since: date | None = None,
               page: int = 1, page_size: int = 50) -> Page:
    """Newest first: who changed what, when, with the values before and after."""
    require_role(user, "admin", action="read the audit log")
    query = select(AuditLog.id, AuditLog.at, User.username.label("user"), AuditLog.source,
                   AuditLog.action, AuditLog.entity, AuditLog.entity_id, AuditLog.before,
                   AuditLog.after).outerjoin(User, User.id == AuditLog.user_id)
    conditions: list[Any] = []
    if entity:
        conditions.append(AuditLog.entity == entity)
    if entity_id:
        conditions.append(AuditLog.entity_id == entity_id)
    if username:
        conditions.append(func.lower(User.username) == username.lower())
    if action:
        conditions.append(AuditLog.action == action)
    if since:
        conditions.append(AuditLog.at >= start_of_day(since))
    query = query.where(*conditions)
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    page = max(1, min(page, max(1, -(-total // page_size))))
    rows = session.execute(query.order_by(AuditLog.id.desc()).offset((page - 1) * page_size).limit(page_size))
    return Page(tuple(rows.keys()), [tuple(row) for row in rows], total, page, page_size)


def restore_deleted(session: Session, user: User, entity: str, entity_id: int) -> Any:
    """Bring back a soft-deleted record (audited as a restore)."""
    require_role(user, "admin", action="restore deleted records")
    return SERVICES[entity].restore(session=session, user=user, record_id=entity_id, source="audit")
