"""Loyalty: cohort shares, repeat rate and churn risk on small orders worked out by hand."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from core.analytics.loyalty import (
    CHURN_COLUMNS,
    churn_risk,
    cohort_retention,
    cohort_sizes,
    repeat_purchase_rate,
)


def orders_of(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["contact_id", "ordered_at", "amount"])


# January cohort: A, B, C, D. February: A and B (A twice). March: A and C (C skipped February).
# February cohort: E, F. March: E.
COHORT_ORDERS = orders_of([
    ("A", "2026-01-03", 10), ("B", "2026-01-10", 10), ("C", "2026-01-20", 10), ("D", "2026-01-31", 10),
    ("A", "2026-02-02", 10), ("A", "2026-02-20", 10), ("B", "2026-02-14", 10),
    ("A", "2026-03-05", 10), ("C", "2026-03-09", 10),
    ("E", "2026-02-01", 10), ("F", "2026-02-28", 10), ("E", "2026-03-15", 10),
])


def test_cohort_matrix_has_the_hand_computed_shares() -> None:
    matrix = cohort_retention(COHORT_ORDERS)
    assert list(matrix.index) == ["2026-01", "2026-02"]
    assert list(matrix.columns) == [0, 1, 2]
    assert list(matrix.loc["2026-01"]) == pytest.approx([1.0, 2 / 4, 2 / 4])  # A, B then A, C
    assert list(matrix.loc["2026-02"][:2]) == pytest.approx([1.0, 1 / 2])  # E came back
    assert math.isnan(matrix.loc["2026-02", 2])  # April has not happened yet for this cohort


def test_cohort_months_run_to_today_and_can_be_capped() -> None:
    matrix = cohort_retention(COHORT_ORDERS, today=date(2026, 4, 30))
    assert list(matrix.loc["2026-01"]) == pytest.approx([1.0, 0.5, 0.5, 0.0])  # nobody in April
    assert matrix.loc["2026-02", 2] == 0.0
    assert list(cohort_retention(COHORT_ORDERS, max_months=1).columns) == [0, 1]
    early = cohort_retention(COHORT_ORDERS, today=date(2026, 1, 31))  # later orders are ignored
    assert early.values.tolist() == [[1.0]]


def test_cohort_sizes_and_repeat_rate() -> None:
    assert cohort_sizes(COHORT_ORDERS).to_dict() == {"2026-01": 4, "2026-02": 2}
    # orders per customer: A 4, B 2, C 2, D 1, E 2, F 1 -> 4 of 6 came back
    assert repeat_purchase_rate(COHORT_ORDERS) == pytest.approx(4 / 6)


TODAY = date(2026, 6, 15)


def ago(*days: int, amount: float = 100.0, contact: int) -> list[tuple[int, pd.Timestamp, float]]:
    return [(contact, pd.Timestamp(TODAY) - pd.Timedelta(days=d), amount) for d in days]


CHURN_ORDERS = orders_of(
    ago(100, 110, 120, 130, amount=50, contact=1)  # every 10 days, silent for 100: risk 1 - 10/100
    + ago(40, 70, 100, contact=2)  # every 30 days, 40 days: under 2 x 30, fine
    + ago(50, 70, 90, contact=3)  # every 20 days, 50 days: over 40, risk 1 - 20/50
    + ago(200, amount=80, contact=4)  # one order: compared with the median usual gap (below)
    + ago(10, contact=5)  # one recent order: fine
    + ago(25, 30, 35, contact=6)  # every 5 days, 25 days: over 2 x 5 but under the 30-day floor
    + ago(270, 800, 900, 1000, contact=7)  # gaps 100, 100, 530 -> usual 100; spans 730 days = 2 years
)
# Usual gaps of repeat customers: 10, 30, 20, 5, 100 -> median 20 for customer 4.


def test_churn_risk_flags_the_overdue_with_scores_and_reasons() -> None:
    risk = churn_risk(CHURN_ORDERS, TODAY)
    assert list(risk.columns) == list(CHURN_COLUMNS)
    assert list(risk["contact_id"]) == [1, 4, 7, 3]  # 1 and 4 tie at 0.9: more revenue at stake first
    table = risk.set_index("contact_id")
    assert table.loc[1, "risk"] == pytest.approx(0.9)
    assert table.loc[4, "risk"] == pytest.approx(1 - 20 / 200)
    assert table.loc[7, "risk"] == pytest.approx(1 - 100 / 270)
    assert table.loc[3, "risk"] == pytest.approx(0.6)
    assert table.loc[1, "revenue_at_stake"] == pytest.approx(200.0)  # 4 x 50 within a year
    assert table.loc[7, "revenue_at_stake"] == pytest.approx(400.0 / 2)  # a typical year of two
    assert table.loc[1, "reason"] == (
        "last order 100 days ago; usually orders every 10 days (10.0× the usual gap)"
    )
    assert table.loc[4, "reason"] == "only one order, 200 days ago; customers usually reorder within 20 days"
    assert table["revenue_at_stake"].sum() == pytest.approx(200 + 80 + 200 + 300)


def test_churn_thresholds_are_configurable() -> None:
    risk = churn_risk(CHURN_ORDERS, TODAY, gap_multiple=2.0, min_days=20)
    assert 6 in set(risk["contact_id"])  # 25 days > max(2 x 5, 20)
    assert set(churn_risk(CHURN_ORDERS, TODAY, min_days=365)["contact_id"]) == set()


def test_single_customer_with_one_order_uses_the_floor() -> None:
    risk = churn_risk(orders_of(ago(90, contact=9)), TODAY)
    assert risk["contact_id"].tolist() == [9]
    assert risk["risk"][0] == pytest.approx(1 - 15 / 90)  # nobody to compare with: floor 30 / 2
    assert risk["reason"][0] == "only one order, 90 days ago; no repeat customers to compare with"


def test_same_day_orders_are_one_purchase_day() -> None:
    orders = orders_of(ago(60, 60, 80, contact=1))
    risk = churn_risk(orders, TODAY)
    assert risk["usual_gap_days"][0] == 20  # one gap of 20 days, not 0 and 20
    assert risk["orders"][0] == 3


def test_empty_orders_give_empty_results() -> None:
    empty = pd.DataFrame(columns=["contact_id", "ordered_at", "amount"])
    assert cohort_retention(empty).empty
    assert cohort_sizes(empty).empty
    assert math.isnan(repeat_purchase_rate(empty))
    assert churn_risk(pd.DataFrame(), TODAY).empty
