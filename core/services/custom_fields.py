"""Admin-defined fields: their definitions, and the check of a record's custom values."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from core.errors import FieldError, ValidationError
from core.models import CustomFieldDefinition
from core.services.batch_memo import remembered


def definitions(session: Session, entity: str) -> list[CustomFieldDefinition]:
    """The entity's live custom fields in order (read once per open batch: see batch_memo)."""
    query = (
        select(CustomFieldDefinition)
        .where(CustomFieldDefinition.entity == entity, CustomFieldDefinition.deleted_at.is_(None))
        .order_by(CustomFieldDefinition.position, CustomFieldDefinition.id)
    )
    kept = remembered(session, ("custom field definitions", entity), lambda: list(session.scalars(query)))
    return list(kept)


def validate_values(session: Session, entity: str, values: dict[str, Any]) -> dict[str, Any]:
    """Check custom values against the entity's definitions; return them typed for storage."""
    defs = {d.name: d for d in definitions(session, entity)}
    errors = [FieldError(name, "is not a custom field of " + entity) for name in values if name not in defs]
    clean: dict[str, Any] = {}
    for name, definition in defs.items():
        raw = values.get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()) or raw != raw:  # None, "", NaN
            if definition.required:
                errors.append(FieldError(name, f"{definition.label} is required"))
            continue
        try:
            clean[name] = coerce(definition, raw)
        except ValueError as exc:
            errors.append(FieldError(name, str(exc)))
    if errors:
        raise ValidationError(errors)
    return clean


def coerce(definition: CustomFieldDefinition, raw: Any) -> Any:
    """Turn a typed or pasted value into the field's type, or raise ValueError saying why."""
    kind = definition.field_type
    if kind == "number":
        try:
            number = float(str(raw).replace(",", "")) if not isinstance(raw, int | float) else raw
        except ValueError:
            raise ValueError(f"{definition.label} must be a number, not {str(raw)[:40]!r}") from None
        if isinstance(number, float) and not math.isfinite(number):  # "nan", "1e400": JSON cannot hold them
            raise ValueError(f"{definition.label} must be a finite number, not {str(raw)[:40]!r}")
        return number
    if kind == "date":
        if isinstance(raw, date):
            return raw.isoformat()
        try:
            return date.fromisoformat(str(raw).strip()[:10]).isoformat()
        except ValueError:
            raise ValueError(f"{definition.label} must be a date like 2026-03-31") from None
    if kind == "checkbox":
        return parse_bool(raw, definition.label)
    if kind == "select":
        text = str(raw).strip()
        if text not in definition.options:
            raise ValueError(f"{definition.label} must be one of: {', '.join(definition.options)}")
        return text
    return str(raw).strip()[:2000]


TRUE_WORDS = {"true", "yes", "y", "1", "x", "on"}
FALSE_WORDS = {"false", "no", "n", "0", "", "off"}


def parse_bool(raw: Any, label: str = "value") -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError(f"{label} must be yes or no")
