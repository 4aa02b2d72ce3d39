"""Text templates of automation actions: "Onboard {title}" filled with the record's fields."""

from __future__ import annotations

import string
from typing import Any

from sqlmodel import Session

from core.models import ENTITIES, Editable
from core.services import custom_fields
from core.services.records import snapshot


def template_fields(session: Session, entity: str) -> list[str]:
    """The names a template of `entity` may use: its columns and custom fields."""
    names = [column.name for column in ENTITIES[entity].__table__.columns]
    return names + [d.name for d in custom_fields.definitions(session, entity)]


def check_template(session: Session, entity: str, text: Any, name: str) -> list[str]:
    """Problems with a template (required, well formed, known fields), each saying what to fix."""
    if not isinstance(text, str) or not text.strip():
        return [f"{name} is required"]
    try:
        used = [field for _, field, _, _ in string.Formatter().parse(text) if field is not None]
    except ValueError as error:
        return [f"{name}: {error} (write a field as {{first_name}}; a brace as {{{{ or }}}})"]
    known = template_fields(session, entity)
    unknown = [field for field in used if field not in known]
    if unknown:
        return [f"{name} uses unknown field(s) {', '.join(unknown)}; fields of {entity}: {', '.join(known)}"]
    return []


def render(record: Editable, text: str) -> str:
    """Fill {field} placeholders with the record's values (custom fields too; empty when unset)."""
    values = {key: "" if value is None else value for key, value in snapshot(record).items()}
    values.update(getattr(record, "custom", None) or {})
    return string.Formatter().vformat(text, (), _Blank(values))


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""
