"""A grid page's rows come from the driver's cursor: the values must be what the ORM loads.

The page's statement is compiled once and run on the DBAPI cursor, with SQLAlchemy's type
processors applied by hand (SQLite's dates and datetimes, booleans, JSON). Each value of every
entity's page is compared, value and Python type, with the record the ORM loads by id, and each
lookup label with the looked-up record; the editor's frame of a few columns with the full frame.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlalchemy import literal_column, select
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from core.demo import generate_demo
from core.models import ENTITIES, Contact, CustomFieldDefinition
from core.query.filters import Filter
from core.services.listing import LABEL_TO_KEY, LOOKUPS, list_page
from core.services.statements import Prepared
from tests.conftest import insert_user


@pytest.fixture
def demo(engine) -> None:  # type: ignore[no-untyped-def]
    """A small demo world (every entity has rows), plus a contact with every typed field set and a
    custom field, and one with all of them empty."""
    generate_demo(engine, contacts=12, seed=3)
    with Session(engine) as session:
        session.add(CustomFieldDefinition(entity="contacts", name="tier", label="Tier"))
        session.add(Contact(first_name="Typed", last_name="Everything", birth_date=date(1980, 2, 29),
                            household_income=51234.5, consent_email=True, consent_sms=False,
                            tags=["vip", "näh"], custom={"tier": "gold"}))
        session.add(Contact(first_name="Empty", last_name="Nothing"))
        session.commit()


def expected_value(session: Session, record: object, name: str, custom: set[str]) -> object:
    """What the grid should show in column `name` of `record`, read through the ORM."""
    if name in LABEL_TO_KEY:
        key = LABEL_TO_KEY[name]
        _, target, shown = LOOKUPS[key]
        foreign = getattr(record, key)
        return None if foreign is None else getattr(session.get(target, foreign), shown)
    if name in custom:
        return (record.custom or {}).get(name)  # type: ignore[attr-defined]
    return getattr(record, name)


def test_every_entity_page_holds_the_orm_values(engine, session: Session, demo) -> None:  # type: ignore[no-untyped-def]
    admin = insert_user(engine, "grid-root", "admin")
    custom = {"tier"}
    checked, filled = 0, set()
    for entity, model in ENTITIES.items():
        page = list_page(session, admin, entity, page_size=500)
        assert len(page.rows) == page.total or page.total > 500, entity
        session.expire_all()
        for row in page.rows:
            assert len(row) == len(page.columns)
            values = dict(zip(page.columns, row, strict=True))
            record = session.get(model, values["id"])
            filled.add(entity)
            for name, value in values.items():
                expected = expected_value(session, record, name, custom if entity == "contacts" else set())
                assert value == expected, (entity, name, value, expected)
                assert type(value) is type(expected), (entity, name, type(value), type(expected))
                checked += 1
    assert filled >= {"users", "companies", "contacts", "deals", "products", "orders", "activities",
                      "tasks", "cases", "campaigns", "stages"}, filled
    assert checked > 2_000


def test_the_typed_contact_and_its_frames(engine, session: Session, demo) -> None:  # type: ignore[no-untyped-def]
    admin = insert_user(engine, "grid-root", "admin")
    page = list_page(session, admin, "contacts", filters=[Filter(field="last_name", op="in",
                                                                  value=["Everything", "Nothing"])])
    by_name = {row[page.columns.index("last_name")]: dict(zip(page.columns, row, strict=True))
               for row in page.rows}
    typed, empty = by_name["Everything"], by_name["Nothing"]
    assert (typed["birth_date"], typed["household_income"], typed["tags"], typed["tier"]) == (
        date(1980, 2, 29), 51234.5, ["vip", "näh"], "gold")
    assert typed["consent_email"] is True and typed["consent_sms"] is False
    assert (empty["birth_date"], empty["tags"], empty["tier"], empty["owner"]) == (None, [], None, None)
    # The editor's frame of some columns is the full frame's columns, with a range index.
    shown = ["id", "version", "last_name", "birth_date", "household_income", "consent_email", "created_at"]
    full = page.frame
    assert list(full.index) == list(full["id"])
    pd.testing.assert_frame_equal(page.frame_of(shown), full[shown].reset_index(drop=True))
    plain = pd.DataFrame([dict(zip(page.columns, row, strict=True)) for row in page.rows])
    pd.testing.assert_frame_equal(full.reset_index(drop=True), plain)
    assert str(full["created_at"].dtype).startswith("datetime64")


def test_pending_edits_are_on_the_page(engine, session: Session, demo) -> None:  # type: ignore[no-untyped-def]
    """As an ORM query would (autoflush), the page shows what the session holds unflushed."""
    admin = insert_user(engine, "grid-root", "admin")
    session.add(Contact(first_name="Unflushed", last_name="Zzyzx"))
    page = list_page(session, admin, "contacts", filters=[Filter(field="last_name", value="Zzyzx")])
    assert page.total == 1 and page.rows[0][page.columns.index("first_name")] == "Unflushed"
    session.rollback()


def test_a_database_error_is_sqlalchemys(session: Session) -> None:
    """The driver's error reaches callers as SQLAlchemy's own exception, as before."""
    broken = Prepared(select(literal_column("no_such_column")).select_from(Contact),
                      session.get_bind().dialect)
    with pytest.raises(DBAPIError):
        broken.rows(session.connection(), {})
    session.rollback()
    assert session.scalar(select(literal_column("1"))) == 1


def test_with_sql_echo_on_the_page_statements_are_logged(engine, session: Session, demo,  # type: ignore[no-untyped-def]
                                                         caplog: pytest.LogCaptureFixture) -> None:
    """CRM_ECHO_SQL promises every statement in the log: a page read on the driver's cursor would
    skip SQLAlchemy's logging, so with echo on it goes through SQLAlchemy, rows unchanged."""
    admin = insert_user(engine, "grid-root", "admin")
    quiet = list_page(session, admin, "contacts", page_size=20)
    engine.echo = True  # as CRM_ECHO_SQL sets it; a connection takes it when opened
    try:
        with caplog.at_level("INFO", logger="sqlalchemy.engine"), Session(engine) as echoing:
            logged = list_page(echoing, admin, "contacts", page_size=20)
    finally:
        engine.echo = False
    assert logged.rows == quiet.rows
    assert any("FROM contacts" in record.getMessage() for record in caplog.records)
