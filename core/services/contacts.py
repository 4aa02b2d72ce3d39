"""Contacts and companies."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from core.errors import FieldError, ValidationError
from core.models import Company, Contact, User
from core.services.records import EntityRules, EntityService, check_references
from core.services.schemas import CompanyIn, ContactIn


def _check_company(session: Session, user: User, company: Company, values: dict[str, Any]) -> None:
    check_references(session, company, {"owner_id": User})


def _check_contact(session: Session, user: User, contact: Contact, values: dict[str, Any]) -> None:
    check_references(session, contact, {"company_id": Company, "owner_id": User}, user)
    if contact.email:
        _check_email_unique(session, contact)


def _check_email_unique(session: Session, contact: Contact) -> None:
    query = select(Contact.id, Contact.first_name, Contact.last_name).where(
        Contact.email == contact.email, Contact.deleted_at.is_(None)
    )
    if contact.id is not None:
        query = query.where(Contact.id != contact.id)
    other = session.execute(query.limit(1)).first()
    if other is not None:
        name = f"{other.first_name} {other.last_name}".strip()
        raise ValidationError(
            [FieldError("email", f"{contact.email} is already used by {name} (#{other.id})")]
        )


companies = EntityService(EntityRules("companies", CompanyIn, before_save=_check_company))
contacts = EntityService(EntityRules("contacts", ContactIn, before_save=_check_contact))


def find_contact_by_email(session: Session, email: str) -> Contact | None:
    query = select(Contact).where(
        func.lower(Contact.email) == email.strip().lower(), Contact.deleted_at.is_(None)
    )
    return session.scalars(query.limit(1)).first()


def find_company_by_name(session: Session, name: str) -> Company | None:
    query = select(Company).where(
        func.lower(Company.name) == name.strip().lower(), Company.deleted_at.is_(None)
    )
    return session.scalars(query.order_by(Company.id).limit(1)).first()
