"""Campaign templates: "Dear {first_name}, ..." filled in per recipient from the contact's fields.

Placeholders are contact fields, a few derived ones (full_name, company, owner) and the contacts'
custom fields by name. An unknown placeholder is a validation error naming it and listing the
available ones, raised when the campaign is saved or previewed, never halfway through a send.
Write {{ and }} for literal braces. A field the contact has no value for renders as empty text.
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from core.errors import FieldError, ValidationError
from core.models import Company, Contact, User
from core.services import custom_fields

CONTACT_FIELDS = ("first_name", "last_name", "email", "phone", "mobile", "job_title", "address",
                  "postal_code", "city", "country", "gender", "lifecycle_stage")
DERIVED_FIELDS = ("full_name", "company", "owner")


def placeholders(session: Session) -> list[str]:
    """Every name a template may use, in the order the editor lists them."""
    custom = [d.name for d in custom_fields.definitions(session, "contacts")]
    return [*CONTACT_FIELDS, *DERIVED_FIELDS, *[name for name in custom if name not in CONTACT_FIELDS]]


def used_names(text: str | None, field: str = "body") -> list[str]:
    """The placeholder names in `text`, in order; a malformed template is a ValidationError."""
    names: list[str] = []
    try:
        parts = list(string.Formatter().parse(text or ""))
    except ValueError as error:
        raise ValidationError.single(field, f"{error}; write {{{{ and }}}} for literal braces") from None
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if spec or conversion:
            raise ValidationError.single(field, f"placeholder {{{name}}} must be a bare name, "
                                                "without ':' or '!'")
        names.append(name)
    return names


def check_templates(session: Session, texts: dict[str, str | None],
                    available: Iterable[str] | None = None) -> None:
    """Raise ValidationError naming each unknown placeholder of each text, with the known ones."""
    known = list(available) if available is not None else placeholders(session)
    errors = []
    for field, text in texts.items():
        for name in dict.fromkeys(used_names(text, field)):
            if name not in known:
                shown = "{}" if name == "" else f"{{{name}}}"
                errors.append(FieldError(field, f"unknown placeholder {shown}; available: "
                                                f"{', '.join('{' + k + '}' for k in known)}"))
    if errors:
        raise ValidationError(errors, summary="The message cannot be filled in")


def contact_values(session: Session, contact: Contact) -> dict[str, str]:
    """The text each placeholder stands for, for one contact."""
    values = {name: _text(getattr(contact, name)) for name in CONTACT_FIELDS}
    values["full_name"] = contact.full_name
    company = session.get(Company, contact.company_id) if contact.company_id else None
    values["company"] = company.name if company is not None else ""
    owner = session.get(User, contact.owner_id) if contact.owner_id else None
    values["owner"] = owner.display_name if owner is not None else ""
    for name, value in (contact.custom or {}).items():
        values.setdefault(name, _text(value))
    return values


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def render(text: str | None, values: dict[str, str]) -> str:
    """`text` with each placeholder replaced; names missing from `values` become empty text."""
    out = []
    for literal, name, _spec, _conversion in string.Formatter().parse(text or ""):
        out.append(literal)
        if name is not None:
            out.append(values.get(name, ""))
    return "".join(out)


@dataclass(frozen=True)
class Preview:
    contact_id: int
    name: str
    to: str  # the address or number the message goes to ("" when the contact has none)
    subject: str
    body: str


def preview(session: Session, *, subject: str | None, body: str | None, channel: str,
            contact: Contact) -> Preview:
    """The message as `contact` would receive it; unknown placeholders raise ValidationError."""
    check_templates(session, {"subject": subject, "body": body})
    values = contact_values(session, contact)
    to = contact.email if channel == "email" else (contact.mobile or contact.phone)
    return Preview(contact.id or 0, contact.full_name, to or "", render(subject, values),
                   render(body, values))


def contacts_by_id(session: Session, ids: list[int]) -> dict[int, Contact]:
    if not ids:
        return {}
    return {c.id: c for c in session.scalars(select(Contact).where(Contact.id.in_(ids)))}
