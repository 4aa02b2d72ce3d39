"""The parser on a fixed vocabulary: no database."""

from __future__ import annotations

from datetime import date

import pytest

from bot.intents import (
    AboutRecord,
    CreateTask,
    LogActivity,
    MoveDeal,
    MyTasks,
    parse_about,
    parse_action,
    parse_tasks,
)
from bot.parser import NotUnderstood, Parsed, parse_metric
from bot.vocabulary import build_vocabulary, fixed_values
from core.query.filters import Filter
from core.query.spec import OrderBy

TODAY = date(2026, 6, 15)
VALUES = {
    **fixed_values(),
    "stage": ["Lead", "Qualified", "Negotiation", "Won", "Lost"],
    "city": ["Milano", "München", "Berlin"],
    "country": ["Germany", "Italy"],
    "category": ["Bikes"],
    "product": ["Laptop"],
    "segment": ["Champions"],
    "pipeline": ["Sales"],
}
VOCAB = build_vocabulary(VALUES, [("luca", "Luca Bianchi"), ("sam", "Sam Smith")])


def metric(question: str) -> Parsed:
    parsed = parse_metric(question, VOCAB, TODAY, me="Sam Smith")
    assert isinstance(parsed, Parsed), parsed
    return parsed


@pytest.mark.parametrize(
    ("question", "metrics", "period"),
    [
        ("how many new contacts this month", ["new_contacts"], "this month"),
        ("total revenue last quarter", ["revenue"], "last quarter"),
        ("total sales last quarter", ["revenue"], "last quarter"),
        ("turnover in the last 30 days", ["revenue"], "last 30 days"),
        ("average order value in 2025", ["average_order_value"], "in 2025"),
        ("win rate this year", ["win_rate"], "this year"),
        ("what's our open pipeline", ["open_pipeline_value"], None),
        ("how many opportunities since May", ["deals"], "since may"),
        ("how many deals did we win last quarter", ["won_deals"], "last quarter"),
        ("value of won deals ytd", ["won_amount"], "ytd"),
        ("revenue between 2026-01-01 and 2026-03-31", ["revenue"], "between 2026-01-01 and 2026-03-31"),
        ("orders in Q1 2025", ["orders"], "in q1 2025"),
    ],
)
def test_metrics_and_periods(question: str, metrics: list[str], period: str | None) -> None:
    parsed = metric(question).question
    assert parsed.metrics == metrics
    assert (parsed.period or "").replace("in ", "") == (period or "").replace("in ", "")


@pytest.mark.parametrize(
    ("question", "dimensions", "order", "limit"),
    [
        ("revenue by month this year", ["month"], [], None),
        ("revenue per salesperson", ["owner"], [], None),
        ("deals broken down by stage", ["stage"], [], None),
        ("monthly revenue", ["month"], [], None),
        ("top 5 products by revenue", ["product"], [OrderBy(name="revenue")], 5),
        ("bottom 3 reps by win rate", ["owner"], [OrderBy(name="win_rate", descending=False)], 3),
        ("which city has the most customers", ["city"], [OrderBy(name="customers")], 1),
        ("who sold the most this year", ["owner"], [OrderBy(name="revenue")], 1),
    ],
)
def test_dimensions_and_ranking(
    question: str, dimensions: list[str], order: list[OrderBy], limit: int | None
) -> None:
    parsed = metric(question).question
    assert (parsed.dimensions, parsed.order_by, parsed.limit) == (dimensions, order, limit)


@pytest.mark.parametrize(
    ("question", "filters"),
    [
        ("revenue in Milano last quarter", [Filter(field="city", value="Milano")]),
        ("revenue in Munchen", [Filter(field="city", value="München")]),
        ("revenue in Milno", [Filter(field="city", value="Milano")]),
        ("deals in Negotiation", [Filter(field="stage", value="Negotiation")]),
        ("calls by Luca", [Filter(field="owner", value="Luca Bianchi")]),
        ("orders of category Bikes", [Filter(field="category", value="Bikes")]),
        ("contacts in Germany", [Filter(field="country", value="Germany")]),
        ("customers in segment Champions", [Filter(field="segment", value="Champions")]),
        ("how many leads", [Filter(field="lifecycle_stage", value="lead")]),
        ("my open deals", [Filter(field="owner", value="Sam Smith")]),
        ("revenue in Milano and Berlin", [Filter(field="city", op="in", value=["Milano", "Berlin"])]),
    ],
)
def test_filters(question: str, filters: list[Filter]) -> None:
    assert metric(question).question.filters == filters


def test_unknown_values_are_reported_not_dropped() -> None:
    assert metric("revenue in Atlantis").unknown == ["atlantis"]
    assert isinstance(parse_metric("tell me a joke", VOCAB, TODAY), NotUnderstood)


def test_actions() -> None:
    assert parse_action(
        "log a call with Maria Rossi: discussed renewal, follow up next Tuesday"
    ) == LogActivity("call", "Maria Rossi", None, None, "discussed renewal", "next Tuesday")
    assert parse_action("I called Anna Rossi yesterday: she wants a discount") == LogActivity(
        "phone", "Anna Rossi", "yesterday", None, "she wants a discount", None
    )
    assert parse_action("remind me to email Ivan on Friday") == CreateTask("email Ivan on Friday")
    assert parse_action("move the Alpina Tech deal to Negotiation") == MoveDeal("Alpina Tech", "Negotiation")
    assert parse_action("revenue by month") is None


def test_record_questions_and_tasks() -> None:
    assert parse_about("What did we last discuss with Maria Rossi?") == AboutRecord(
        "last_activity", "Maria Rossi"
    )
    assert parse_about("when did Acme last order?") == AboutRecord("last_order", "Acme")
    assert parse_about("open deals of Alpina Tech") == AboutRecord("open_deals", "Alpina Tech")
    assert parse_about("who is the contact at Globex") == AboutRecord("contacts_at", "Globex")
    assert parse_about("how much has Maria Rossi bought") == AboutRecord("bought", "Maria Rossi")
    assert parse_tasks("who should I call today?") == MyTasks("today")
    assert parse_tasks("my tasks") == MyTasks("open")
    assert parse_tasks("what's overdue") == MyTasks("overdue")
    assert parse_tasks("how many overdue tasks") is None


@pytest.mark.parametrize(
    ("question", "metrics", "period"),
    [
        ("reveune ths year", ["revenue"], "this year"),  # typos of known words are corrected
        ("sales in the first quarter of 2025", ["revenue"], "q1 2025"),
        ("how many items did we sell", ["units_sold"], None),
        ("how much did we sell in 2025", ["revenue"], "in 2025"),
        ("how many tasks are overdue in total", ["overdue_tasks"], None),  # not open tasks too
        ("how long is our sales cycle", ["average_days_to_close"], None),
        ("how much did we win this year", ["won_amount"], "this year"),
        ("revenue from customers in Milano", ["revenue"], None),  # one figure unless joined by "and"
        ("revenue and orders this year", ["revenue", "orders"], "this year"),
    ],
)
def test_paraphrases(question: str, metrics: list[str], period: str | None) -> None:
    parsed = metric(question)
    assert parsed.question.metrics == metrics
    assert parsed.question.period == period


def test_names_values_and_ranked_entities() -> None:
    # A capitalised word nothing else explains is a name to look up, never ignored or guessed.
    assert metric("how many open deals does Acme have?").unknown == ["acme"]
    assert isinstance(parse_metric("how many unicorns did we sell?", VOCAB, TODAY), NotUnderstood)
    # "top 3 companies by revenue" ranks companies by revenue (not two figures).
    top = metric("top 3 companies by revenue").question
    assert (top.metrics, top.dimensions, top.limit) == (["revenue"], ["company"], 3)
    # English names of cities stored in their own language, and the field word after a value.
    assert metric("contacts based in Munich").question.filters == [Filter(field="city", value="München")]
    assert metric("deals in the Negotiation stage").question.filters == [
        Filter(field="stage", value="Negotiation")
    ]
