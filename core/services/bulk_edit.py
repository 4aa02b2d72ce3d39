"""Saving a grid: every edit, addition and deletion through the services, in one transaction.

All rows are checked; if any is refused, nothing is written and every refusal comes back with its
row and column, so the person can fix the cells and save again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from core.errors import ConflictError, CRMError, FieldError, NotFound, PermissionDenied, ValidationError
from core.models import ENTITIES, Company, Contact, Pipeline, Product, Stage, User
from core.services import SERVICES, custom_fields
from core.services.collector import collector_paused
from core.services.deals import ensure_default_pipeline
from core.services.listing import LABEL_TO_KEY
from core.services.records import batch


@dataclass(frozen=True)
class RowEdit:
    row: int  # the row's position in the grid, for messages
    record_id: int
    version: int
    changes: dict[str, Any]


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str
    action: str  # edit, add, delete

    def __str__(self) -> str:
        return f"row {self.row + 1}, {self.column}: {self.message}"


@dataclass
class SaveSummary:
    updated: int = 0
    created: int = 0
    deleted_ids: list[int] = field(default_factory=list)


class GridSaveRejected(CRMError):
    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__(
            f"Nothing was saved: {len(errors)} cell(s) need attention. "
            + "; ".join(str(e) for e in errors[:5])
        )


def save_grid(
    *,
    session: Session,
    user: User,
    entity: str,
    edits: list[RowEdit],
    added: list[dict[str, Any]],
    deleted: list[tuple[int, int, int]],
    source: str = "grid",
) -> SaveSummary:
    """Apply a grid's changes; `deleted` holds (row, record_id, version)."""
    service, summary, errors = SERVICES[entity], SaveSummary(), []
    try:
        with collector_paused(), batch(session):
            for edit in edits:
                errors += _attempt("edit", edit.row, lambda e=edit: _apply_edit(session, user, entity, e))
            for row, values in enumerate(added):
                errors += _attempt(
                    "add",
                    row,
                    lambda v=values: service.create(
                        session=session, user=user, data=to_fields(session, entity, v), source=source
                    ),
                )
            for row, record_id, version in deleted:
                errors += _attempt(
                    "delete",
                    row,
                    lambda r=record_id, v=version: service.delete(
                        session=session, user=user, record_id=r, expected_version=v, source=source
                    ),
                )
            if errors:
                raise GridSaveRejected(errors)
    except ConflictError as error:  # raised by the final flush/commit: someone saved meanwhile
        raise GridSaveRejected([RowError(0, "record", str(error), "edit")]) from None
    summary.updated, summary.created = len(edits), len(added)
    summary.deleted_ids = [record_id for _, record_id, _ in deleted]
    return summary


def _attempt(action: str, row: int, write: Any) -> list[RowError]:
    try:
        write()
    except ValidationError as error:
        return [RowError(row, e.field, e.message, action) for e in error.errors]
    except (PermissionDenied, NotFound, ConflictError) as error:
        return [RowError(row, "record", str(error), action)]
    return []


def _apply_edit(session: Session, user: User, entity: str, edit: RowEdit) -> None:
    service = SERVICES[entity]
    record = service.get(session=session, user=user, record_id=edit.record_id)
    changes = to_fields(session, entity, edit.changes, current=record)
    service.update(
        session=session,
        user=user,
        record_id=edit.record_id,
        changes=changes,
        expected_version=edit.version,
        source="grid",
    )


def to_fields(session: Session, entity: str, values: dict[str, Any], current: Any = None) -> dict[str, Any]:
    """Grid columns -> service fields: labels become ids, custom columns go into `custom`."""
    model = ENTITIES[entity]
    custom_names = (
        {d.name for d in custom_fields.definitions(session, entity)} if model.has_custom_fields else set()
    )
    fields: dict[str, Any] = {}
    custom: dict[str, Any] = dict(getattr(current, "custom", None) or {})
    errors: list[FieldError] = []
    for column, value in values.items():
        if column in custom_names:
            custom[column] = value
        elif column in LABEL_TO_KEY:
            try:
                fields[LABEL_TO_KEY[column]] = resolve_label(session, column, value, values, current)
            except ValueError as exc:
                errors.append(FieldError(column, str(exc)))
        else:
            fields[column] = value
    if errors:
        raise ValidationError(errors)
    if custom_names and (custom or current is None):
        fields["custom"] = custom
    return fields


def resolve_label(session: Session, column: str, value: Any, row: dict[str, Any], current: Any) -> int | None:
    """The id behind a label typed in a grid (a username, a company name, a stage name...)."""
    text = str(value).strip() if value is not None else ""
    if not text:
        return None
    if column in ("owner", "assignee"):
        return _find(session, User, User.username, text, "user")
    if column == "company":
        return _find(session, Company, Company.name, text, "company")
    if column == "contact":
        return _find(session, Contact, Contact.email, text, "contact with email")
    if column == "product":
        return _find(session, Product, Product.sku, text, "product with SKU")
    if column == "pipeline":
        return _find(session, Pipeline, Pipeline.name, text, "pipeline")
    return _find_stage(session, text, row, current)


def _find(session: Session, model: Any, column: Any, text: str, what: str) -> int:
    query = select(model.id).where(func.lower(column) == text.lower(), model.deleted_at.is_(None))
    found = session.scalars(query.order_by(model.id).limit(1)).first()
    if found is None:
        raise ValueError(f"there is no {what} {text!r}")
    return found


def _find_stage(session: Session, text: str, row: dict[str, Any], current: Any) -> int:
    pipeline_id = getattr(current, "pipeline_id", None)
    if row.get("pipeline"):
        pipeline_id = _find(session, Pipeline, Pipeline.name, str(row["pipeline"]), "pipeline")
    pipeline_id = pipeline_id or ensure_default_pipeline(session).id
    stages = session.scalars(
        select(Stage)
        .where(Stage.pipeline_id == pipeline_id, Stage.deleted_at.is_(None))
        .order_by(Stage.position)
    )
    names = []
    for stage in stages:
        if stage.name.lower() == text.lower():
            return stage.id
        names.append(stage.name)
    raise ValueError(f"there is no stage {text!r} in this pipeline (stages: {', '.join(names)})")
