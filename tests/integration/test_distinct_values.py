"""The assistant's vocabulary reads distinct values by skipping through an index: the values must
be exactly those plain SQL finds among live rows (deleted rows, nulls and case all matter)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from core.models import Contact, Deal
from core.query.distinct import distinct_live_values

COUNTRIES = ["Italy", "Germany", "italy", "Österreich", None, "Spain", "Italy", "Zambia", "Germany"]


def plain_distinct(session: Session, table: str, column: str) -> list[str]:
    sql = f"SELECT DISTINCT {column} FROM {table} WHERE deleted_at IS NULL AND {column} IS NOT NULL"
    return sorted(session.execute(text(sql)).scalars())


@pytest.fixture
def contacts(session: Session) -> Session:
    for number, country in enumerate(COUNTRIES):
        session.add(Contact(first_name="Ann", last_name=f"Doe {number}", country=country,
                            city=country and f"{country} city", source=["web", "fair", None][number % 3]))
    # The only Spanish and the only Zambian contacts are in the trash: their countries are gone.
    session.add(Contact(first_name="Del", last_name="Eted", country="Portugal", city="Lisboa",
                        deleted_at=datetime.now(UTC)))
    session.commit()
    for contact in session.exec(select(Contact).where(Contact.country.in_(["Spain", "Zambia"]))):
        contact.deleted_at = datetime.now(UTC)
    session.commit()
    return session


@pytest.mark.parametrize("column", ["country", "city", "source"])
def test_live_values_match_plain_sql(contacts: Session, column: str) -> None:
    found = distinct_live_values(contacts, getattr(Contact, column))
    assert found == plain_distinct(contacts, "contacts", column)
    assert "Spain" not in found and "Portugal" not in found


def test_an_indexed_column_is_walked_value_by_value(contacts: Session) -> None:
    assert distinct_live_values(contacts, Contact.country) == ["Germany", "Italy", "italy", "Österreich"]


def test_no_rows_give_no_values(session: Session) -> None:
    assert distinct_live_values(session, Contact.country) == []
    assert distinct_live_values(session, Deal.source) == []
