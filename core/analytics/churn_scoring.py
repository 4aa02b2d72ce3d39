"""Churn risk at a million customers: `loyalty.churn_risk`'s rule over the per-customer numbers of
the purchases summary (`purchases.churn`), in numpy, reduced to what the loyalty page shows: how many
customers are at risk, their yearly spending at stake, and the riskiest few.

Same figures as `loyalty.churn_from_rhythm` (which the tests compare with): the population's usual
gap is the median of the customers' own gaps; a customer is at risk after more than
max(gap_multiple × usual gap, min_days) days without an order. Only the rows shown are sorted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.analytics.loyalty import DAYS_PER_YEAR

Values = dict[str, np.ndarray]  # contact_id, orders, revenue, first_day, last_day, own_gap (NaN: none)
TOP_COLUMNS = ["contact_id", "orders", "revenue", "last_day", "days_since_last", "usual_gap_days", "own_gap",
               "risk", "revenue_at_stake"]


@dataclass(frozen=True)
class AtRisk:
    customers: int
    revenue_at_stake: float
    riskiest: pd.DataFrame  # TOP_COLUMNS, riskiest first (risk, then revenue at stake, then contact_id)


def at_risk(values: Values, as_of_day: int, shown: int, *, gap_multiple: float = 2.0,
            min_days: int = 30) -> AtRisk:
    """The customers of `values` at risk on day `as_of_day` and the `shown` riskiest of them."""
    own_gap = values["own_gap"]
    known = ~np.isnan(own_gap)
    population = float(np.median(own_gap[known])) if known.any() else np.nan
    usual = np.where(known, own_gap, population)
    since = as_of_day - values["last_day"]
    threshold = np.maximum(gap_multiple * np.nan_to_num(usual, nan=0.0), min_days)
    rows = np.flatnonzero(since > threshold)
    years = (values["last_day"][rows] - values["first_day"][rows]) / DAYS_PER_YEAR
    stake = values["revenue"][rows] / np.maximum(years, 1.0)
    gap = usual[rows]
    fallback = np.where(np.isnan(gap), min_days / gap_multiple, gap)  # nobody has ever reordered
    with np.errstate(divide="ignore", invalid="ignore"):
        risk = np.clip(1 - fallback / np.where(since[rows] > 0, since[rows], np.nan), 0, 1)
    top = _riskiest(risk, stake, values["contact_id"][rows], shown)
    chosen = rows[top]
    riskiest = pd.DataFrame({
        "contact_id": values["contact_id"][chosen], "orders": values["orders"][chosen],
        "revenue": values["revenue"][chosen], "last_day": values["last_day"][chosen],
        "days_since_last": since[chosen], "usual_gap_days": gap[top], "own_gap": own_gap[chosen],
        "risk": risk[top], "revenue_at_stake": stake[top]})
    return AtRisk(len(rows), float(stake.sum()), riskiest)


def _riskiest(risk: np.ndarray, stake: np.ndarray, ids: np.ndarray, shown: int) -> np.ndarray:
    """Positions of the `shown` riskiest, in order: only those at or above the shown-th risk are sorted."""
    if shown <= 0:
        return np.array([], dtype="int64")
    candidates = np.arange(len(risk))
    if len(risk) > shown:
        least = np.partition(risk, len(risk) - shown)[len(risk) - shown]
        candidates = np.flatnonzero(risk >= least)
    order = np.lexsort((ids[candidates], -stake[candidates], -risk[candidates]))
    return candidates[order][:shown]
