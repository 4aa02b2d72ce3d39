"""Hostile input through every entity service: random and malicious values (huge and odd unicode
text, control characters, SQL and HTML/JS fragments, NaN and huge numbers, impossible dates, wrong
types) are either stored and read back unchanged, or refused with a domain error. Never a raw
SQLAlchemy, driver, pydantic or Python error, and the tables are all still there afterwards.

Runs on SQLite and, with CRM_TEST_DATABASE_URL, on PostgreSQL (which refuses NUL bytes in text and
NaN in JSON: those must be refused as ValidationError before they reach the database).
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.errors import CRMError, ValidationError
from core.models import Company, Contact, Pipeline, Product, Stage, User, metadata
from core.services import SERVICES
from tests.hostile_values import (
    HOSTILE,
    TEXTS,
    count,
    hostile_date,
    hostile_json,
    hostile_number,
    hostile_text,
    hostile_value,
    wrong_type,
)


@pytest.fixture
def world(engine: Engine, admin: User) -> dict[str, int]:
    """Records the base payloads point at, inserted directly (not through the services under test)."""
    with Session(engine, expire_on_commit=False) as session:
        pipeline = Pipeline(name="Sales", is_default=True)
        company = Company(name="Acme", owner_id=admin.id)
        product = Product(sku="SKU-1", name="Widget", price=10.0)
        session.add_all([pipeline, company, product])
        session.flush()
        stage = Stage(pipeline_id=pipeline.id, name="New", position=1, probability=10)
        contact = Contact(first_name="Ana", last_name="Rossi", company_id=company.id, owner_id=admin.id)
        session.add_all([stage, contact])
        session.commit()
        return {"pipeline": pipeline.id, "stage": stage.id, "company": company.id, "product": product.id,
                "contact": contact.id, "admin": admin.id}


def base_payload(entity: str, ids: dict[str, int], n: int) -> dict[str, Any]:
    """A valid record of `entity`; `n` keeps the unique fields unique across examples."""
    return {
        "users": {"username": f"user{n}", "display_name": "User"},
        "companies": {"name": f"Company {n}"},
        "contacts": {"first_name": "Ana", "email": f"ana{n}@example.com"},
        "pipelines": {"name": f"Pipeline {n}"},
        "stages": {"pipeline_id": ids["pipeline"], "name": f"Stage {n}"},
        "deals": {"title": "Deal", "contact_id": ids["contact"], "amount": 10},
        "products": {"sku": f"SKU-{n}-x", "name": "Product"},
        "product_options": {"product_id": ids["product"], "name": "Colour", "value": f"Red {n}"},
        "orders": {"contact_id": ids["contact"]},
        "activities": {"channel": "phone", "contact_id": ids["contact"], "subject": "Call"},
        "tasks": {"title": "Task"},
        "cases": {"subject": "Case"},
        "campaigns": {"name": f"Campaign {n}"},
        "custom_field_definitions": {"entity": "contacts", "name": f"field_{n}", "label": "Field"},
        "saved_views": {"entity": "contacts", "name": f"View {n}"},
        "saved_reports": {"name": f"Report {n}", "spec": {"metrics": ["revenue"]}},
        "segments": {"name": f"Segment {n}", "spec": {"filters": []}},
        "automation_rules": {"name": f"Rule {n}", "entity": "contacts", "trigger": "created",
                             "actions": [{"type": "notify", "to": "owner", "text": "Hi"}]},
    }[entity]


def value_for(field: str, annotation: str) -> st.SearchStrategy[Any]:
    """Mostly values of the field's own kind, plus anything at all (wrong types included)."""
    if "date" in annotation or field.endswith("_at") or field in ("expected_close", "birth_date"):
        own = hostile_date
    elif any(kind in annotation for kind in ("int", "float")):
        own = hostile_number
    elif "dict" in annotation or "list" in annotation:
        own = hostile_json
    elif "bool" in annotation:
        own = wrong_type
    else:
        own = hostile_text
    return st.one_of(own, own, hostile_value)


def fields_of(entity: str) -> list[tuple[str, str]]:
    schema = SERVICES[entity].rules.schema
    return [(name, str(info.annotation)) for name, info in schema.model_fields.items()]


def hostile_changes(entity: str) -> st.SearchStrategy[dict[str, Any]]:
    """One or two fields of `entity`, each set to a hostile value."""
    strategies = {name: value_for(name, annotation) for name, annotation in fields_of(entity)}
    names = st.lists(st.sampled_from(sorted(strategies)), min_size=1, max_size=2, unique=True)
    return names.flatmap(lambda chosen: st.fixed_dictionaries({n: strategies[n] for n in chosen}))


def stored_row(engine: Engine, entity: str, record_id: int) -> dict[str, Any]:
    """The row as the database returns it, read on a connection of its own."""
    table = metadata.tables[entity]
    with engine.connect() as connection:
        row = connection.execute(table.select().where(table.c.id == record_id)).mappings().one()
    return dict(row)


def same(stored: Any, sent: Any) -> bool:
    if isinstance(sent, float) and isinstance(stored, float):
        return stored == sent or (math.isnan(stored) and math.isnan(sent))
    if isinstance(sent, datetime) and isinstance(stored, datetime):
        return stored.replace(tzinfo=None) == sent.replace(tzinfo=None)
    return bool(stored == sent)


def check_round_trip(engine: Engine, entity: str, record: Any, sent: dict[str, Any]) -> None:
    """Every column equals what the service says it stored; sent texts are kept exactly (trimmed)."""
    row = stored_row(engine, entity, record.id)
    for column, stored in row.items():
        if column in ("password_hash",):
            continue
        assert same(stored, getattr(record, column)), (column, stored, getattr(record, column))
    for name, value in sent.items():
        if isinstance(value, str) and isinstance(row.get(name), str) and value.strip():
            assert row[name] in (value.strip(), value.strip().lower()), (name, row[name], value)


def check_outcome(engine: Engine, attempt: Any) -> Any:
    """Run `attempt`: a record, or a domain error; anything else fails the test."""
    try:
        record = attempt()
    except CRMError as error:
        assert str(error)  # a message a person can act on
        count("refused with a domain error")
        return None
    count("stored")
    return record


def check_tables(engine: Engine) -> None:
    names = set(inspect(engine).get_table_names())
    assert set(metadata.tables) <= names
    with engine.connect() as connection:
        for table in ("contacts", "users", "deals", "audit_log"):
            connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


ENTITIES = sorted(SERVICES)
PER_ENTITY = settings(HOSTILE, max_examples=40)


@pytest.mark.parametrize("entity", ENTITIES)
def test_hostile_values_are_stored_exactly_or_refused(
    entity: str, engine: Engine, admin: User, world: dict[str, int]
) -> None:
    service = SERVICES[entity]
    serial = iter(range(1, 10**6))

    @PER_ENTITY
    @given(changes=hostile_changes(entity))
    def create_with(changes: dict[str, Any]) -> None:
        count(f"create {entity}")
        data = {**base_payload(entity, world, next(serial)), **changes}
        with Session(engine, expire_on_commit=False) as session:
            record = check_outcome(engine, lambda: service.create(session=session, user=admin, data=data))
        if record is not None:
            check_round_trip(engine, entity, record, changes)

    create_with()
    check_tables(engine)


@pytest.mark.parametrize("entity", ENTITIES)
def test_hostile_edits_are_stored_exactly_or_refused(
    entity: str, engine: Engine, admin: User, world: dict[str, int]
) -> None:
    service = SERVICES[entity]
    with Session(engine, expire_on_commit=False) as session:
        record_id = service.create(session=session, user=admin, data=base_payload(entity, world, 0)).id

    @PER_ENTITY
    @given(changes=hostile_changes(entity))
    def update_with(changes: dict[str, Any]) -> None:
        count(f"update {entity}")
        with Session(engine, expire_on_commit=False) as session:
            before = stored_row(engine, entity, record_id)
            record = check_outcome(engine, lambda: service.update(
                session=session, user=admin, record_id=record_id, changes=changes))
        if record is not None:
            check_round_trip(engine, entity, record, changes)
        else:
            assert stored_row(engine, entity, record_id) == before  # a refused edit changes nothing

    update_with()
    check_tables(engine)


# ---- regressions found by the properties above -----------------------------------------------------


@pytest.mark.parametrize("value", ["a\x00b", "\x00"])
def test_a_nul_byte_is_a_validation_error_on_every_backend(session: Session, admin: User,
                                                            value: str) -> None:
    with pytest.raises(ValidationError, match="first_name"):
        SERVICES["contacts"].create(session=session, user=admin, data={"first_name": value})
    with pytest.raises(ValidationError, match="config"):
        SERVICES["saved_views"].create(session=session, user=admin, data={
            "entity": "contacts", "name": "v", "config": {"search": value}})


def test_texts_of_every_kind_are_read_back_exactly(engine: Engine, session: Session, admin: User) -> None:
    """The fixed hostile texts, each as a contact's notes-like field (address allows 300 chars)."""
    for sample in TEXTS:
        if "\x00" in sample:
            continue
        record = SERVICES["companies"].create(session=session, user=admin,
                                              data={"name": "Acme", "address": sample})
        assert stored_row(engine, "companies", record.id)["address"] == (sample.strip() or None)


def test_a_duplicate_unique_value_is_a_validation_error(session: Session, admin: User) -> None:
    for entity, data in (("pipelines", {"name": "Renewals"}), ("products", {"sku": "A-1", "name": "A"})):
        SERVICES[entity].create(session=session, user=admin, data=data)
        with pytest.raises(ValidationError):
            SERVICES[entity].create(session=session, user=admin, data=data)


def test_huge_numbers_and_far_dates_are_refused_or_kept(engine: Engine, session: Session,
                                                        admin: User) -> None:
    for value in (2**63, 10**100, -(2**63) - 1):
        with pytest.raises(ValidationError):
            SERVICES["pipelines"].create(session=session, user=admin, data={"name": "P", "position": value})
    task = SERVICES["tasks"].create(session=session, user=admin,
                                    data={"title": "far", "due_at": datetime(9999, 12, 31, 23, 59, 59)})
    assert stored_row(engine, "tasks", task.id)["due_at"] == datetime(9999, 12, 31, 23, 59, 59)
    with pytest.raises(ValidationError):
        SERVICES["contacts"].create(session=session, user=admin,
                                    data={"first_name": "Old", "birth_date": date(1, 1, 1)})
