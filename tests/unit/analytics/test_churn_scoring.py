"""The numpy churn rule (`churn_scoring`) gives `loyalty.churn_risk`'s customers, totals and order.

The reference is the pandas code over raw orders: random customers with one to six orders on few
distinct days (so gaps, risks and yearly spending tie often), some whose every order fell on one
day (no gap of their own), the per-customer numbers worked out here from the orders themselves.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from core.analytics import churn_scoring, loyalty

TODAY = date(2026, 6, 15)
EPOCH = date(1970, 1, 1)
TYPES = {"contact_id": "int64", "orders": "int64", "revenue": "float64", "first_day": "int64",
         "last_day": "int64", "own_gap": "float64"}


def _orders(count: int, seed: int) -> pd.DataFrame:
    chance = np.random.default_rng(seed)
    rows = []
    for contact in chance.choice(np.arange(1, 10 * count + 2), size=count, replace=False):
        first = int(chance.integers(0, 700))
        gap = int(chance.choice([0, 7, 30, 30, 61, 90]))
        orders = int(chance.integers(1, 7))
        days = [first] * int(chance.integers(1, 3)) if chance.random() < 0.2 else \
            [first + gap * k for k in range(orders)]
        for day in days:
            if day <= 760:
                rows.append((int(contact), pd.Timestamp(TODAY - timedelta(days=760 - day)),
                             float(chance.choice([10.0, 25.5, 99.75]))))
    return pd.DataFrame(rows, columns=["contact_id", "ordered_at", "amount"])


def _values(orders: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per customer: orders, revenue, first and last order day, median gap between distinct days."""
    day = (orders["ordered_at"] - pd.Timestamp(EPOCH)).dt.days
    work = orders.assign(day=day)
    per = work.groupby("contact_id").agg(orders=("day", "size"), revenue=("amount", "sum"),
                                         first_day=("day", "min"), last_day=("day", "max"))
    distinct = work[["contact_id", "day"]].drop_duplicates().sort_values(["contact_id", "day"])
    gaps = distinct.groupby("contact_id")["day"].diff()
    per["own_gap"] = gaps.groupby(distinct["contact_id"]).median()
    shuffled = per.reset_index().sample(frac=1.0, random_state=3)  # the reader's rows come in any order
    return {column: shuffled[column].to_numpy(dtype=kind) for column, kind in TYPES.items()}


@pytest.mark.parametrize("count", [0, 1, 2, 5, 40, 400, 3000])
@pytest.mark.parametrize("shown", [0, 3, 100])
def test_at_risk_equals_churn_risk(count: int, shown: int) -> None:
    orders = _orders(count, seed=count)
    if count:
        expected, values = loyalty.churn_risk(orders, TODAY), _values(orders)
    else:
        expected = pd.DataFrame(columns=list(loyalty.CHURN_COLUMNS))
        values = {column: np.array([], dtype=kind) for column, kind in TYPES.items()}
    found = churn_scoring.at_risk(values, (TODAY - EPOCH).days, shown)
    assert found.customers == len(expected)
    assert found.revenue_at_stake == pytest.approx(float(expected["revenue_at_stake"].sum()))
    top = expected.head(shown)
    assert found.riskiest["contact_id"].tolist() == top["contact_id"].tolist()
    np.testing.assert_allclose(found.riskiest["risk"], top["risk"].astype(float))
    np.testing.assert_allclose(found.riskiest["revenue_at_stake"], top["revenue_at_stake"].astype(float))
    np.testing.assert_allclose(found.riskiest["usual_gap_days"], top["usual_gap_days"].astype(float))
    assert found.riskiest["days_since_last"].tolist() == top["days_since_last"].tolist()


def test_the_riskiest_are_the_most_at_risk_then_the_biggest_spenders() -> None:
    values = {"contact_id": np.array([5, 4, 3, 2, 1]), "orders": np.array([1, 1, 1, 2, 2]),
              "revenue": np.array([10.0, 30.0, 30.0, 50.0, 5.0]), "first_day": np.zeros(5, dtype="int64"),
              "last_day": np.array([0, 0, 0, 0, 50]),
              "own_gap": np.array([np.nan, np.nan, np.nan, 10.0, 50.0])}
    found = churn_scoring.at_risk(values, 200, 10)
    # one-order customers are judged by the population's usual gap (median of 10 and 50 = 30):
    # risk 1 − 30/200 = 0.85; customer 2's own gap of 10 gives 0.95; customer 1 (150 days, gap 50) 0.667
    assert found.riskiest["contact_id"].tolist() == [2, 3, 4, 5, 1]
    assert found.riskiest["risk"].tolist() == pytest.approx([0.95, 0.85, 0.85, 0.85, 1 - 50 / 150])
    assert found.customers == 5
