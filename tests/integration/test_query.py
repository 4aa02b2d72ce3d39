"""The semantic layer end to end: every metric, per role, against figures computed independently
with pandas (tests/integration/test_query_data.py). Each test runs on SQLite and, when
CRM_TEST_DATABASE_URL is set, on PostgreSQL, against the same expected values: so both databases
return identical results.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.models import User
from core.query.catalog import METRICS, describe_catalog, resolve_dimension, resolve_metric
from core.query.compiler import compile_query
from core.query.engine import QueryResult, run_query
from core.query.filters import Filter
from core.query.spec import OrderBy, QuerySpec
from tests.integration.test_query_data import expected_totals, insert_crm

NOON = datetime(2026, 6, 15, 12)


@pytest.fixture
def crm(engine: Engine, admin: User, manager: User, staff: User, other_staff: User,
        outsider: User) -> dict[str, User]:
    """The dataset of test_query_data, inserted directly; the users by username."""
    return insert_crm(engine, admin, manager, staff, other_staff, outsider)


def query(session: Session, user: User, metrics: list[str], dimensions: list[str] | None = None,
          **options: Any) -> QueryResult:
    spec = QuerySpec(metrics=metrics, dimensions=dimensions or [], **options)
    return run_query(session, spec, user)


def same(actual: Any, expected: Any) -> bool:
    """Equal, numbers to 6 decimals (the precision rates are returned with)."""
    if expected is None or actual is None:
        return actual is expected
    if isinstance(expected, int | float):
        return actual == pytest.approx(expected, abs=1e-6)
    return bool(actual == expected)


def test_every_metric_at_once_for_an_admin(session: Session, crm: dict[str, User]) -> None:
    """All metrics in one spec: one SELECT per fact table and date, merged into one row."""
    result = query(session, crm["ada"], list(METRICS))
    expected = expected_totals("admin", NOON)
    assert result.ids == list(METRICS)
    assert len(result.rows) == 1
    got = dict(zip(result.ids, result.rows[0], strict=True))
    assert {k: v for k, v in got.items() if not same(v, expected[k])} == {}
    assert got["revenue"] == 5560.5 and got["orders"] == 8 and got["win_rate"] == 0.6


def test_each_metric_alone(session: Session, crm: dict[str, User]) -> None:
    expected = expected_totals("admin", NOON)
    for metric in METRICS:
        result = query(session, crm["ada"], [metric])
        assert result.columns == [METRICS[metric].label]
        assert same(result.rows[0][0], expected[metric]), (metric, result.rows, result.sql)


@pytest.mark.parametrize(("role", "username"), [("manager", "mia"), ("staff", "sam")])
def test_metrics_only_count_what_the_user_may_see(session: Session, crm: dict[str, User], role: str,
                                                  username: str) -> None:
    result = query(session, crm[username], list(METRICS))
    expected = expected_totals(role, NOON)
    got = dict(zip(result.ids, result.rows[0], strict=True))
    assert {k: (v, expected[k]) for k, v in got.items() if not same(v, expected[k])} == {}


def test_staff_see_only_their_own_rows_in_a_breakdown(session: Session, crm: dict[str, User]) -> None:
    by_owner = query(session, crm["sam"], ["revenue", "deals"], ["owner"])
    assert by_owner.rows == [["Sam", 1660.5, 4]]  # orders 1, 2, 7; deals 1, 2, 3, 9
    manager = query(session, crm["mia"], ["won_amount"], ["owner"])
    assert manager.rows == [["Olga", 3000], ["Sam", 1000]]  # sven's (south) win is not visible
    admin = query(session, crm["ada"], ["won_amount"], ["owner"])
    assert admin.rows == [["Sven", 4000], ["Olga", 3000], ["Sam", 1000]]


def test_an_inactive_user_sees_nothing(session: Session, crm: dict[str, User]) -> None:
    sam = session.get(User, crm["sam"].id)
    assert sam is not None
    sam.active = False
    result = query(session, sam, ["contacts", "revenue", "win_rate"])
    assert result.rows == [[0, 0, None]]


def test_names_resolve_by_label_and_synonym_in_any_case() -> None:
    assert resolve_metric("Sales").id == "revenue"
    assert resolve_metric("turnover").id == "revenue"
    assert resolve_metric("Close Rate").id == "win_rate"
    assert resolve_metric("conversion_rate").id == "win_rate"
    assert resolve_metric("opportunities").id == "deals"
    assert resolve_metric("Clients").id == "customers"
    assert resolve_metric("interactions").id == "activities"
    assert resolve_metric("people").id == "contacts"
    assert resolve_metric("average order value").id == "average_order_value"
    assert resolve_dimension("Age Band").id == "age_band"
    assert resolve_dimension("salesperson").id == "owner"
    assert resolve_dimension("months").id == "month"
    assert resolve_dimension("custom.tier").custom == "tier"


def test_the_catalogue_describes_every_metric_and_dimension() -> None:
    catalog = describe_catalog()
    metrics = {item["id"]: item for item in catalog if item["kind"] == "metric"}
    dimensions = {item["id"]: item for item in catalog if item["kind"] == "dimension"}
    assert set(metrics) == set(METRICS)
    assert {"currency", "count", "percent", "days"} == {m["unit"] for m in metrics.values()}
    assert "category" in metrics["revenue"]["dimensions"]
    assert "month" not in metrics["contacts"]["dimensions"]  # a current count has no date
    assert "win_rate" in dimensions["owner"]["metrics"]
    assert dimensions["age_band"]["values"][0] == "<25"


def test_the_sql_shown_has_placeholders_and_the_values_apart(session: Session, crm: dict[str, User]) -> None:
    result = query(session, crm["sam"], ["revenue", "activities"], ["month"],
                   filters=[Filter(field="city", value="Milano")], period="this year")
    assert "Milano" not in result.sql and "milano" in result.params.values()
    assert result.sql.count("SELECT") == 2  # orders and activities are two queries
    assert ":q1_" in result.sql and ":q2_" in result.sql
    assert all(f":{name}" in result.sql for name in result.params)
    assert result.period is not None and result.period.label == "this year (2026-01-01 to 2026-12-31)"


def test_limit_and_order_by(session: Session, crm: dict[str, User]) -> None:
    top = query(session, crm["ada"], ["contacts"], ["city"], limit=2)
    assert top.rows == [["Milano", 3], ["Berlin", 2]]  # Berlin and Oslo tie: alphabetical
    by_name = query(session, crm["ada"], ["contacts"], ["city"], order_by=[OrderBy(name="City",
                                                                                     descending=False)])
    assert [row[0] for row in by_name.rows] == ["Berlin", "Milano", "Oslo", "Torino"]
    cheapest = query(session, crm["ada"], ["revenue", "orders"], ["category"],
                     order_by=[OrderBy(name="sales", descending=False)], limit=1)
    assert cheapest.rows == [["Services", 2500, 5]]  # orders 2, 3, 5, 7 and 9 have services
    assert cheapest.frame.columns.tolist() == ["Category", "Revenue", "Orders"]


def test_ratios_divide_parts_of_the_same_fact_and_date() -> None:
    """A ratio is computed from its parts in one SELECT, so they must share a table and a date."""
    for metric in METRICS.values():
        if metric.ratio:
            parts = [METRICS[name] for name in metric.ratio]
            assert {(p.fact, p.date) for p in parts} == {(metric.fact, metric.date)}, metric.id


def test_compiles_without_a_database(admin: User) -> None:
    """One SELECT per fact table and date column; values bound, never in the SQL text."""
    spec = QuerySpec(metrics=["revenue", "orders", "won_deals", "deals"], dimensions=["month"],
                     filters=[Filter(field="city", value="Rome")], period="last quarter")
    parts = compile_query(spec, admin)
    assert [(part.fact, part.date) for part in parts] == [
        ("orders", "ordered_at"), ("deals", "closed_at"), ("deals", "created_at")]
    assert all(part.period_applied for part in parts)
    assert parts.period is not None and parts.period.start.isoformat() == "2026-01-01"
    assert all("rome" not in str(part.select).lower() for part in parts)
