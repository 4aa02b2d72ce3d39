"""Test data for the campaign tests, written straight to the tables (not through the services)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.models import Campaign, Company, Contact, Segment, User


def add_contact(engine: Engine, owner: User | None, first: str, last: str, **values: Any) -> Contact:
    defaults = {"email": f"{first.lower()}@example.com", "consent_email": True, "consent_phone": True,
                "consent_sms": True, "phone": "+39 02 1234", "city": "Milano"}
    with Session(engine, expire_on_commit=False) as session:
        contact = Contact(first_name=first, last_name=last, owner_id=owner.id if owner else None,
                          **{**defaults, **values})
        session.add(contact)
        session.commit()
        return contact


def add_company(engine: Engine, name: str) -> Company:
    with Session(engine, expire_on_commit=False) as session:
        company = Company(name=name)
        session.add(company)
        session.commit()
        return company


def add_segment(engine: Engine, name: str, filters: list[dict[str, Any]],
                owner: User | None = None) -> Segment:
    with Session(engine, expire_on_commit=False) as session:
        segment = Segment(name=name, spec={"filters": filters}, shared=True,
                          owner_id=owner.id if owner else None)
        session.add(segment)
        session.commit()
        return segment


def add_campaign(engine: Engine, owner: User, name: str = "Spring offer", **values: Any) -> Campaign:
    defaults = {"channel": "email", "subject": "Hello {first_name}",
                "body": "Dear {first_name} {last_name} of {company},\nour spring offer is here."}
    with Session(engine, expire_on_commit=False) as session:
        campaign = Campaign(name=name, owner_id=owner.id, **{**defaults, **values})
        session.add(campaign)
        session.commit()
        return campaign
