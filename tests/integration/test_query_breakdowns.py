"""Breakdowns, filters, periods, segments and errors of the semantic layer, checked against
pandas over the inserted lists (tests/integration/test_query_data.py), on both databases."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core import config
from core.errors import ValidationError
from core.models import User
from core.query.engine import QueryResult, run_query
from core.query.filters import Filter
from core.query.spec import QuerySpec
from tests.integration.test_query_data import (
    ACTIVITIES,
    CONTACTS,
    DEALS,
    ORDERS,
    PRODUCTS,
    age_band,
    as_rows,
    frame,
    insert_crm,
    order_lines,
    recipients,
)


@pytest.fixture
def crm(engine: Engine, admin: User, manager: User, staff: User, other_staff: User,
        outsider: User) -> dict[str, User]:
    """The dataset of test_query_data, inserted directly; the users by username."""
    return insert_crm(engine, admin, manager, staff, other_staff, outsider)


def query(session: Session, user: User, metrics: list[str], dimensions: list[str] | None = None,
          filters: list[Filter] | None = None, **options: Any) -> QueryResult:
    spec = QuerySpec(metrics=metrics, dimensions=dimensions or [], filters=filters or [], **options)
    return run_query(session, spec, user)


def by_key(result: QueryResult) -> list[list[Any]]:
    """The rows sorted by their dimension values, to compare with pandas groupings."""
    return sorted(result.rows, key=lambda row: [(v is not None, v if isinstance(v, int | float) else str(v))
                                                for v in row[:-1]])


def test_revenue_and_orders_by_month(session: Session, crm: dict[str, User]) -> None:
    lines = order_lines()
    orders = frame([o for o in ORDERS if o["status"] != "cancelled"])
    revenue = lines.groupby(lines["ordered_at"].dt.strftime("%Y-%m"))["amount"].sum()
    counts = orders.groupby(orders["ordered_at"].dt.strftime("%Y-%m"))["id"].count()
    expected = [[month, round(revenue.get(month, 0.0), 2), int(counts[month])]
                for month in sorted(counts.index)]
    result = query(session, crm["ada"], ["revenue", "orders"], ["month"])
    assert result.columns == ["Month", "Revenue", "Orders"]
    assert result.rows == expected  # time ascending by default
    assert result.rows[0][0] == "2024-02" and ["2026-03", 300, 2] in result.rows  # order 10 has no lines


def test_revenue_by_category_this_year(session: Session, crm: dict[str, User]) -> None:
    lines = order_lines()
    lines = lines[lines["ordered_at"].dt.year == 2026]
    expected = as_rows(lines.groupby("category")["amount"].sum())
    result = query(session, crm["ada"], ["revenue"], ["category"], period="this year")
    assert by_key(result) == expected
    assert result.rows[0][1] >= result.rows[1][1]  # largest first by default


def test_win_rate_by_owner_is_a_ratio_per_group(session: Session, crm: dict[str, User]) -> None:
    deals = frame(DEALS)
    closed = deals[deals["status"].isin(["won", "lost"])]
    rates = closed.groupby("owner")["status"].apply(lambda s: round((s == "won").mean(), 6))
    expected = [[name.title(), rate] for name, rate in rates.items()]
    result = query(session, crm["ada"], ["win_rate", "won_deals", "lost_deals"], ["owner"])
    assert [row[:2] for row in by_key(result)] == sorted(expected)
    assert result.rows[0] == ["Olga", 1, 1, 0]  # 100 % first
    assert by_key(result)[1] == ["Sam", 0.5, 1, 1]


def test_activities_by_channel_and_direction(session: Session, crm: dict[str, User]) -> None:
    activities = frame(ACTIVITIES)
    result = query(session, crm["ada"], ["activities"], ["channel"])
    assert result.rows == [["email", 3], ["phone", 3], ["chat", 1], ["meeting", 1]]  # ties by name
    assert by_key(result) == as_rows(activities.groupby("channel")["id"].count())
    both = query(session, crm["ada"], ["calls", "emails", "meetings"], ["direction"])
    assert by_key(both) == [["inbound", 1, 0, 1], ["outbound", 2, 3, 0]]


def test_deals_and_pipeline_by_stage_and_pipeline(session: Session, crm: dict[str, User]) -> None:
    result = query(session, crm["ada"], ["deals"], ["stage"])
    assert by_key(result) == [["Lead", 1], ["Lost", 2], ["Proposal", 1], ["Qualified", 1],
                              ["Renewal due", 1], ["Won", 3]]
    pipeline = query(session, crm["ada"], ["open_pipeline_value", "weighted_pipeline", "open_deals"],
                     ["pipeline"])
    assert pipeline.rows == [["Sales", 4200, 1720, 3], ["Renewals", 1200, 600, 1]]


def test_contacts_by_city_age_band_and_income_band(session: Session, crm: dict[str, User]) -> None:
    people = frame(CONTACTS)
    assert by_key(query(session, crm["ada"], ["contacts"], ["city"])) == as_rows(
        people.groupby("city")["id"].count())
    bands = people["birth_date"].map(age_band)
    result = query(session, crm["ada"], ["contacts"], ["age band"])
    assert by_key(result) == as_rows(people.groupby(bands)["id"].count())
    # Born 2001-06-15 turns 25 on the pinned date; born 2001-06-16 is still 24.
    assert by_key(result) == [["25-34", 2], ["35-44", 1], ["45-54", 1], ["55-64", 1], ["65+", 1],
                              ["<25", 1], ["unknown", 1]]
    incomes = query(session, crm["ada"], ["contacts"], ["income_band"])
    assert by_key(incomes) == [["100k+", 1], ["20k-40k", 2], ["40k-60k", 1], ["60k-100k", 2],
                               ["<20k", 1], ["unknown", 1]]


def test_other_dimensions(session: Session, crm: dict[str, User]) -> None:
    ada = crm["ada"]
    assert by_key(query(session, ada, ["customers"], ["country"])) == [["Germany", 1], ["Italy", 2],
                                                                        ["Norway", 1]]
    assert by_key(query(session, ada, ["contacts"], ["gender"])) == [["female", 4], ["male", 4]]
    assert by_key(query(session, ada, ["contacts"], ["lifecycle stage"]))[0] == ["customer", 4]
    assert by_key(query(session, ada, ["new_contacts"], ["source"]))[-1] == ["website", 3]
    assert by_key(query(session, ada, ["revenue"], ["company"])) == [
        [None, 500], ["Acme", 1660.5], ["Globex", 2500], ["Initech", 900]]
    assert by_key(query(session, ada, ["activities"], ["contact"]))[0] == ["Anna Rossi", 2]
    assert by_key(query(session, ada, ["units_sold"], ["product"])) == [
        ["Laptop", 3], ["Mouse", 8], ["Support plan", 2], ["Training", 4]]
    assert by_key(query(session, ada, ["open_tasks", "overdue_tasks"], ["priority"])) == [
        ["high", 1, 1], ["normal", 3, 1], ["urgent", 1, 1]]
    assert by_key(query(session, ada, ["open_cases", "average_resolution_time"], ["channel"])) == [
        ["email", 1, 2.75], ["phone", 1, 2.5], ["web", 1, None]]
    assert by_key(query(session, ada, ["companies"], ["industry"])) == [
        ["Energy", 1], ["Retail", 1], ["Software", 1]]


def test_campaign_response_rate_by_campaign(session: Session, crm: dict[str, User]) -> None:
    people = recipients()
    contacted = people[people["status"] != "pending"]
    rate = contacted.groupby("campaign")["status"].apply(
        lambda s: round(s.isin(["replied", "interested", "not_interested"]).mean(), 6))
    result = query(session, crm["ada"], ["response_rate", "contacted_recipients"], ["campaign"])
    assert [row[:2] for row in by_key(result)] == as_rows(rate)
    assert by_key(result) == [["Nordic call", 0.333333, 3], ["Spring promo", 0.5, 4]]
    by_channel = query(session, crm["ada"], ["campaign_recipients"], ["channel"])
    assert by_key(by_channel) == [["email", 5], ["phone", 3]]


def test_different_fact_tables_merge_on_the_dimensions(session: Session, crm: dict[str, User]) -> None:
    result = query(session, crm["ada"], ["revenue", "activities", "win_rate"], ["month"])
    rows = {row[0]: row[1:] for row in result.rows}
    assert rows["2024-02"] == [100, 0, None]  # no activities: 0; no closed deals: no rate
    assert rows["2026-01"] == [1040, 2, 1]
    assert rows["2026-03"] == [300, 1, 0]
    assert [row[0] for row in result.rows] == sorted(rows)
    # Activities here carry no company: the empty company matches across the two queries.
    companies = query(session, crm["ada"], ["revenue", "activities"], ["company"])
    assert companies.rows == [["Globex", 2500, 0], ["Acme", 1660.5, 0], ["Initech", 900, 0], [None, 500, 8]]


def test_time_buckets_label_the_same_on_both_databases(session: Session, crm: dict[str, User]) -> None:
    ada = crm["ada"]
    weeks = query(session, ada, ["orders"], ["week"], period="2024")
    assert weeks.rows == [["2024-W09", 1]]
    assert query(session, ada, ["orders"], ["week"], period="Q1 2026").rows[-1] == ["2026-W14", 1]
    assert query(session, ada, ["orders"], ["day"], period="2024-02-29").rows == [["2024-02-29", 1]]
    quarters = query(session, ada, ["new_contacts"], ["quarter"], period="2026")
    assert quarters.rows == [["2026-Q1", 2], ["2026-Q2", 3]]  # 31 March 23:30 is still Q1
    assert query(session, ada, ["won_deals"], ["year"]).rows == [["2026", 3]]
    days = query(session, ada, ["average_days_to_close"], ["quarter"])
    assert days.rows == [["2026-Q1", 45.5], ["2026-Q2", 31.5]]


def test_periods_cut_at_quarter_boundaries_and_leap_days(session: Session, crm: dict[str, User]) -> None:
    ada = crm["ada"]
    assert query(session, ada, ["revenue", "orders"], period="Q1 2026").rows == [[1840, 4]]
    assert query(session, ada, ["revenue", "orders"], period="Q2 2026").rows == [[3620.5, 3]]
    assert query(session, ada, ["won_deals", "lost_deals", "win_rate"], period="q1 2026").rows == [
        [2, 1, 0.666667]]
    assert query(session, ada, ["orders", "revenue", "new_contacts"], period="2024-02-29").rows == [
        [1, 100, 1]]
    result = query(session, ada, ["contacts", "new_contacts"], period="this month")
    assert result.rows == [[8, 1]] and "not limit" in result.notes[0]


def test_since_march_said_in_january(session: Session, crm: dict[str, User],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_TODAY", "2027-01-20")
    config.get_settings.cache_clear()
    result = query(session, crm["ada"], ["revenue", "orders"], period="since March")
    assert result.period is not None and result.period.start == date(2026, 3, 1)
    assert result.period.end == date(2027, 1, 21)
    assert result.rows == [[3920.5, 5]]  # orders 2, 3, 5, 7 and 10 (no lines)


def test_filters_on_dimensions_columns_and_custom_fields(session: Session, crm: dict[str, User]) -> None:
    ada = crm["ada"]
    assert query(session, ada, ["contacts"], filters=[Filter(field="city", value="milano")]).rows == [[3]]
    assert query(session, ada, ["deals"], filters=[Filter(field="stage", value="Won")]).rows == [[3]]
    assert query(session, ada, ["deals"], filters=[Filter(field="status", value="WON")]).rows == [[3]]
    assert query(session, ada, ["deals"], filters=[Filter(field="amount", op=">", value=1000)]).rows == [[5]]
    services = [Filter(field="category", op="in", value=["Services"])]
    assert query(session, ada, ["revenue", "orders"], filters=services).rows == [[2500, 5]]
    every = [Filter(field="Category", op="in", value=[p[2] for p in PRODUCTS])]
    assert query(session, ada, ["revenue"], filters=every).rows == [[5560.5]]
    assert query(session, ada, ["revenue"], filters=[Filter(field="owner", value="Sam")]).rows == [[1660.5]]
    paid = [Filter(field="status", op="in", value="paid, shipped")]
    assert query(session, ada, ["orders"], filters=paid).rows == [[7]]
    gold = [Filter(field="custom.tier", value="gold")]
    assert query(session, ada, ["revenue"], filters=gold).rows == [[2260.5]]  # contacts 1, 5 and 9
    tiers = query(session, ada, ["contacts"], ["Customer tier"])
    assert tiers.columns == ["Customer tier", "Contacts"]
    assert by_key(tiers) == [[None, 3], ["gold", 3], ["silver", 2]]
    scored = [Filter(field="Deal score", op=">", value="5")]
    assert query(session, ada, ["deals"], filters=scored).rows == [[2]]  # a number, not text: 10 > 5
    assert by_key(query(session, ada, ["won_amount"], ["custom.score"])) == [[3, 3000], [7.5, 1000],
                                                                              [10, 4000]]
    assert by_key(query(session, ada, ["contacts"], ["vip"])) == [[None, 6], ["no", 1], ["yes", 1]]
    not_milano = [Filter(field="city", op="!=", value="Milano")]
    assert query(session, ada, ["contacts"], filters=not_milano).rows == [[5]]


def test_injection_looking_values_are_matched_literally(session: Session, crm: dict[str, User]) -> None:
    for value in ["x' OR 1=1 --", "Milano'; DROP TABLE contacts; --", "%", "_ilano"]:
        nasty = [Filter(field="city", value=value)]
        assert query(session, crm["ada"], ["contacts"], filters=nasty).rows == [[0]]
        assert query(session, crm["ada"], ["revenue"], ["city"], filters=nasty).rows == []
    assert query(session, crm["ada"], ["contacts"]).rows == [[8]]  # the table is still there


def test_segment_filter_uses_the_saved_filters(session: Session, crm: dict[str, User]) -> None:
    in_segment = [Filter(field="segment", value="milano customers")]
    assert query(session, crm["ada"], ["contacts"], filters=in_segment).rows == [[2]]
    assert query(session, crm["ada"], ["revenue"], filters=in_segment).rows == [[1360.5]]
    assert query(session, crm["sam"], ["revenue"], ["month"], filters=in_segment).rows == [
        ["2026-01", 1040], ["2026-06", 320.5]]
    outside = [Filter(field="segment", op="!=", value="Milano customers")]
    assert query(session, crm["ada"], ["contacts"], filters=outside).rows == [[6]]


@pytest.mark.parametrize(("spec", "message"), [
    ({"metrics": ["revenu"]}, r"Unknown metric 'revenu'\. Did you mean 'revenue'\? Known metrics: contacts, "
                              r"new_contacts, customers"),
    ({"metrics": ["revenue"], "dimensions": ["colour"]}, r"Unknown dimension 'colour'.*Known dimensions: "
                                                        r"day, week, month"),
    ({"metrics": ["revenue"], "dimensions": ["direction"]}, r"Metric 'Revenue' \(revenue\) cannot be broken "
                                                            r"down by 'Direction'\. It supports: .*category"),
    ({"metrics": ["contacts"], "dimensions": ["month"]},
     r"current figure with no date\)\. It supports: .*city"),
    ({"metrics": ["contacts"], "filters": [{"field": "lifecycle_stage", "value": "vip"}]},
     r"Unknown lifecycle stage 'vip' for contacts\. Known values: lead, prospect, customer, former"),
    ({"metrics": ["deals"], "filters": [{"field": "status", "value": "wonn"}]},
     r"Known values: open, won, lost"),
    ({"metrics": ["deals"], "filters": [{"field": "colour", "value": "red"}]},
     r"Unknown filter field 'colour'.*dimension \(.*stage.*\) or a column \(.*amount"),
    ({"metrics": ["contacts"], "filters": [{"field": "segment", "value": "VIPs"}]},
     r"Unknown segment 'VIPs'\. Known segments: Milano customers"),
    ({"metrics": ["companies"], "filters": [{"field": "segment", "value": "Milano customers"}]},
     r"companies have no contact"),
    ({"metrics": ["revenue"], "period": "the other day"}, r"unknown period 'the other day'; try one of"),
    ({"metrics": ["revenue"], "order_by": [{"name": "city"}]}, r"cannot sort by 'city'.*revenue"),
    ({"metrics": ["deals"], "filters": [{"field": "amount", "op": ">", "value": "lots"}]},
     r"'lots' is not a valid float"),
])
def test_errors_name_what_exists(session: Session, crm: dict[str, User], spec: dict[str, Any],
                                 message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        run_query(session, QuerySpec.model_validate(spec), crm["ada"])


def test_the_spec_round_trips_through_json() -> None:
    spec = QuerySpec(metrics=["revenue"], dimensions=["month"], period="last quarter",
                     filters=[Filter(field="category", op="in", value=["Services"])], limit=5)
    assert QuerySpec.model_validate_json(spec.model_dump_json()) == spec
