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


def add_baskets(engine: Engine, owner: User, baskets: dict[int, list[list[str]]]) -> None:
    """Orders per contact id, each a list of product names (products made as needed)."""
    from core.models import Order, OrderLine, Product

    with Session(engine) as session:
        products: dict[str, Product] = {}
        number = 0
        for contact_id, orders in baskets.items():
            for names in orders:
                number += 1
                order = Order(order_number=f"B-{number}", contact_id=contact_id, owner_id=owner.id,
                              total=10.0 * len(names))
                session.add(order)
                session.flush()
                for name in names:
                    if name not in products:
                        products[name] = Product(sku=name.upper(), name=name, price=10)
                        session.add(products[name])
                        session.flush()
                    session.add(OrderLine(order_id=order.id, product_id=products[name].id, unit_price=10))
        session.commit()
