"""Hostile input through the semantic layer, the grid listing and the search boxes: unknown names,
hostile filter values and operators, huge limits and nonsense periods give a result or a domain
error; values are always bound, never executed (`x' OR '1'='1` matches nothing)."""

from __future__ import annotations

import contextlib
from typing import Any

import pydantic
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot import people
from core.errors import CRMError
from core.models import Contact, User, metadata
from core.query.catalog import METRICS
from core.query.dimensions import DIMENSIONS
from core.query.engine import run_query
from core.query.filters import OPERATORS, Filter
from core.query.spec import QuerySpec
from core.services.listing import list_page
from core.services.overview360 import search_contacts
from tests.hostile_values import HOSTILE, TEXTS, count, hostile_number, hostile_text, hostile_value
from tests.integration.test_query_data import insert_crm

PERIODS = ["this year", "last quarter", "since March", "last 30 days", "last 99999999999 days",
           "since 0001-01-01", "between 9999-12-31 and 0001-01-01", "next 10**100 years"]
names = st.one_of(st.sampled_from(sorted(METRICS)), hostile_text)
dimension_names = st.one_of(st.sampled_from([*sorted(DIMENSIONS), "custom.tier", "custom.x'--"]),
                            hostile_text)
filters = st.builds(dict, field=dimension_names, op=st.one_of(st.sampled_from(OPERATORS), hostile_text),
                    value=hostile_value)
specs = st.fixed_dictionaries({
    "metrics": st.lists(names, min_size=1, max_size=2),
    "dimensions": st.lists(dimension_names, max_size=2),
    "filters": st.lists(filters, max_size=2),
    "period": st.one_of(st.none(), st.sampled_from(PERIODS), hostile_text),
    "limit": st.one_of(st.none(), hostile_number),
})


@pytest.fixture
def crm(engine: Engine, admin: User, manager: User, staff: User, other_staff: User,
        outsider: User) -> dict[str, User]:
    return insert_crm(engine, admin, manager, staff, other_staff, outsider)


def contacts_alive(engine: Engine) -> int:
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Contact)) or 0


def test_hostile_query_specs_answer_or_refuse(engine: Engine, crm: dict[str, User]) -> None:
    before = contacts_alive(engine)

    @HOSTILE
    @given(raw=specs, who=st.sampled_from(["ada", "mia", "sam"]))
    def ask(raw: dict[str, Any], who: str) -> None:
        count("query spec")
        try:
            spec = QuerySpec.model_validate(raw)  # the schema boundary: reports wrap this error
        except pydantic.ValidationError:
            return
        with Session(engine) as session:
            try:
                result = run_query(session, spec, crm[who])
            except CRMError as error:
                assert str(error)
                return
        assert all(len(row) == len(result.columns) for row in result.rows)

    ask()
    assert contacts_alive(engine) == before


@pytest.mark.parametrize("value", ["x' OR '1'='1", "' OR 1=1 --", "Milano' --", "%", "_", "*"])
def test_injection_shaped_filter_values_match_nothing(session: Session, crm: dict[str, User],
                                                      value: str) -> None:
    for op in ("=", "contains", "starts with", "in"):
        spec = QuerySpec(metrics=["contacts"], filters=[Filter(field="city", op=op, value=value)])
        assert run_query(session, spec, crm["ada"]).rows in ([[0]], [[None]], []), (op, value)
    page = list_page(session, crm["ada"], "contacts", filters=[Filter(field="city", value=value)],
                     search=value)
    assert page.total == 0
    assert people.find_contacts(session, crm["ada"], value) == []


def test_hostile_grid_listing_and_search(engine: Engine, crm: dict[str, User]) -> None:
    entities = ["contacts", "companies", "deals", "activities", "tasks", "orders", "products"]

    @HOSTILE
    @given(entity=st.sampled_from(entities), raw=st.lists(filters, max_size=2),
           search=st.one_of(st.none(), hostile_text),
           sort=st.lists(st.tuples(dimension_names, st.booleans()), max_size=2),
           page=hostile_number, size=st.integers(1, 500))
    def browse(entity: str, raw: list[dict[str, Any]], search: str | None,
               sort: list[tuple[str, bool]], page: Any, size: int) -> None:
        count("grid listing")
        with Session(engine) as session:
            try:
                items = [Filter.model_validate(item) for item in raw]
            except pydantic.ValidationError:
                items = []
            try:
                list_page(session, crm["sam"], entity, filters=items, search=search, sort=sort,
                          page=page if isinstance(page, int) else 1, page_size=size)
            except CRMError as error:
                assert str(error)

    browse()


def test_hostile_search_boxes(engine: Engine, crm: dict[str, User]) -> None:
    @HOSTILE
    @given(typed=st.one_of(hostile_text, st.sampled_from(TEXTS), st.just("\U0010ffff")))
    @example(typed="é" * 25_000)  # found in CI: a 50 kB LIKE pattern is "too complex" for SQLite
    def search(typed: str) -> None:
        count("search box")
        with Session(engine) as session:
            for find in (people.find_contacts, people.find_companies, people.find_deals,
                         people.find_campaigns):
                for match in find(session, crm["sam"], typed):
                    assert match.id is not None
            search_contacts(session, crm["sam"], typed)

    search()
    assert contacts_alive(engine) > 0


def test_huge_limits_and_numbers_are_refused_or_answered(session: Session, crm: dict[str, User]) -> None:
    for limit in (2**31, 2**63, 10**30):
        with pytest.raises(pydantic.ValidationError, match="limit"):
            QuerySpec(metrics=["revenue"], limit=limit)
    for metrics in (["revenue"], ["contacts"]):
        assert run_query(session, QuerySpec(metrics=metrics, dimensions=["city"], limit=1_000_000),
                         crm["ada"]).rows
    for value in (2**63, 10**30, float("inf"), float("nan"), "1e999"):
        spec = QuerySpec(metrics=["deals"], filters=[Filter(field="stage", op="=", value=value)])
        with contextlib.suppress(CRMError):
            assert run_query(session, spec, crm["ada"]).rows in ([[0]], [])  # no stage has that name
        try:
            page = list_page(session, crm["ada"], "companies",
                             filters=[Filter(field="employees", value=value)])
        except CRMError:
            continue
        assert page.total == 0
