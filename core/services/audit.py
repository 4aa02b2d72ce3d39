"""Reading the audit log (admins), and restoring a deleted record from it."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlmodel import Session

from core.audit_batches import is_bulk_creation
from core.config import start_of_day
from core.models import ENTITIES, AuditIdRange, AuditLog, User
from core.services import SERVICES
from core.services.listing import Page
from core.services.permissions import require_role
from core.services.records import SECRET_FIELDS, to_json

COLUMNS = ["id", "at", "user", "source", "action", "entity", "entity_id", "before", "after", "file"]


def audit_page(session: Session, user: User, *, entity: str | None = None, entity_id: int | None = None,
               username: str | None = None, action: str | None = None, since: date | None = None,
               page: int = 1, page_size: int = 50) -> Page:
    """Newest first: who changed what, when, with the values before and after. `file` names the
    file of an import's one entry for the records it created (audit_batches). Asked for one
    record, that entry is shown as the record's creation, with its values as created."""
    require_role(user, "admin", action="read the audit log")
    query = select(AuditLog.id, AuditLog.at, User.username.label("user"), AuditLog.source,
                   AuditLog.action, AuditLog.entity, AuditLog.entity_id, AuditLog.before,
                   AuditLog.after).outerjoin(User, User.id == AuditLog.user_id)
    conditions: list[Any] = []
    if entity:
        conditions.append(AuditLog.entity == entity)
    if username:
        conditions.append(func.lower(User.username) == username.lower())
    if action:
        conditions.append(AuditLog.action == action)
    if since:
        conditions.append(AuditLog.at >= start_of_day(since))
    if entity_id:
        return _record_page(session, query.where(*conditions), entity, entity_id, page, page_size)
    query = query.where(*conditions)
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    page = _clamp(page, total, page_size)
    rows = session.execute(query.order_by(AuditLog.id.desc()).offset((page - 1) * page_size).limit(page_size))
    return _page([dict(row) for row in rows.mappings()], total, page, page_size)


def _record_page(session: Session, query: Select[Any], entity: str | None, entity_id: int,
                 page: int, page_size: int) -> Page:
    """One record's entries (a record has few: all are read), with its bulk creation if any."""
    rows = [dict(row) for row in session.execute(query.where(AuditLog.entity_id == entity_id)).mappings()]
    for entry_id in _bulk_creations(session, entity, entity_id):
        for row in session.execute(query.where(AuditLog.id == entry_id)).mappings():
            rows.append({**row, "entity_id": entity_id, "file": (row["after"] or {}).get("file"),
                         "after": initial_values(session, row["entity"], entity_id, since_entry=row["id"])})
    rows.sort(key=lambda row: row["id"], reverse=True)
    page = _clamp(page, len(rows), page_size)
    return _page(rows[(page - 1) * page_size:page * page_size], len(rows), page, page_size)


def _bulk_creations(session: Session, entity: str | None, entity_id: int) -> list[int]:
    """The import entries that created record `entity_id` (of `entity`, or of any entity): per
    entity the id range starting nearest at or below it, when it reaches the id (an entity's
    ranges never overlap, so no other range can hold it)."""
    found = []
    for name in [entity] if entity else sorted(ENTITIES):
        nearest = session.execute(
            select(AuditIdRange.entry_id, AuditIdRange.last_id)
            .where(AuditIdRange.entity == name, AuditIdRange.first_id <= entity_id)
            .order_by(AuditIdRange.first_id.desc()).limit(1)).first()
        if nearest is not None and nearest.last_id >= entity_id:
            found.append(nearest.entry_id)
    return found


def _page(rows: list[dict[str, Any]], total: int, page: int, page_size: int) -> Page:
    """The entries as a Page of COLUMNS; a bulk creation's file name gets a column of its own."""
    for row in rows:
        if "file" not in row:
            bulk = is_bulk_creation(row["action"], row["entity_id"]) and isinstance(row["after"], dict)
            row["file"] = row["after"].get("file") if bulk else None
    values = [tuple(row[name] for name in COLUMNS) for row in rows]
    return Page(tuple(COLUMNS), values, total, page, page_size)


def _clamp(page: int, total: int, page_size: int) -> int:
    return max(1, min(page, max(1, -(-total // page_size))))


def initial_values(session: Session, entity: str, entity_id: int,
                   *, since_entry: int = 0) -> dict[str, Any] | None:
    """A record's columns as they were created, from its row now with every change audited after
    entry `since_entry` undone, newest first (each entry keeps the changed columns' values before
    it). For records created in bulk by an import, whose creation entry lists ids, not values.
    None when the row is not there."""
    table = ENTITIES[entity].__table__  # type: ignore[attr-defined]
    row = session.execute(select(table).where(table.c.id == entity_id)).mappings().first()
    if row is None:
        return None
    values = {name: to_json(value) for name, value in row.items() if name not in SECRET_FIELDS}
    later = (select(AuditLog.before).where(AuditLog.entity == entity, AuditLog.entity_id == entity_id,
                                           AuditLog.id > since_entry).order_by(AuditLog.id.desc()))
    for before in session.execute(later).scalars():
        values.update({name: value for name, value in (before or {}).items() if name in values})
    return values


def restore_deleted(session: Session, user: User, entity: str, entity_id: int) -> Any:
    """Bring back a soft-deleted record (audited as a restore)."""
    require_role(user, "admin", action="restore deleted records")
    return SERVICES[entity].restore(session=session, user=user, record_id=entity_id, source="audit")
