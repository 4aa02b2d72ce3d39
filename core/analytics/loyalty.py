"""Loyalty: monthly cohort retention, repeat purchase rate and churn risk, from orders.

Input: orders (contact_id, ordered_at, amount). Churn risk is advice for a person to act on (call,
offer); nothing here or elsewhere acts on it automatically.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from core.analytics._frames import as_timestamp, ensure_columns, month_index, to_datetime

ORDER_COLUMNS = ("contact_id", "ordered_at")
CHURN_COLUMNS = (
    "contact_id",
    "orders",
    "revenue",
    "last_order",
    "days_since_last",
    "usual_gap_days",
    "risk",
    "revenue_at_stake",
    "reason",
)
DAYS_PER_YEAR = 365


def _clean(orders: pd.DataFrame, today: date | None = None) -> pd.DataFrame:
    """Orders with a contact and a date (on or before `today` when given), `moment` parsed."""
    orders = ensure_columns(orders, ORDER_COLUMNS, "orders")
    moment = to_datetime(orders["ordered_at"])
    keep = moment.notna() & orders["contact_id"].notna()
    if today is not None:
        keep &= moment < as_timestamp(today) + pd.Timedelta(days=1)
    return orders.assign(moment=moment)[keep]


def _month_label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def cohort_retention(
    orders: pd.DataFrame, *, today: date | None = None, max_months: int | None = None
) -> pd.DataFrame:
    """Share of each monthly cohort (month of first order) that ordered N months later.

    Rows: cohort "YYYY-MM"; columns: months since the first order, 0..N; month 0 is 1.0 by
    definition. A customer counts once per month however many orders they placed. Months a cohort
    has not lived through yet (after `today`'s month, or the last month in the data when `today` is
    not given) are NaN, not 0, so a young cohort does not look as if everyone left.
    """
    orders = _clean(orders, today)
    if orders.empty:
        return pd.DataFrame(columns=pd.RangeIndex(0, 0, name="months_since_first"),
                            index=pd.Index([], name="cohort"))
    months = month_index(orders["moment"])
    first = months.groupby(orders["contact_id"]).transform("min")
    active = pd.DataFrame({"contact": orders["contact_id"], "cohort": first, "offset": months - first})
    counts = active.drop_duplicates().groupby(["cohort", "offset"]).size().unstack(fill_value=0)
    last = month_index(pd.Series([as_timestamp(today)])).iloc[0] if today else months.max()
    return retention_from_counts(counts, int(last), max_months)


def retention_from_counts(counts: pd.DataFrame, last: int, max_months: int | None = None) -> pd.DataFrame:
    """`cohort_retention` from customers active per cohort (rows: first month as a month index)
    and months since (columns, 0 = the cohort's size), `last` = the latest month lived through."""
    if counts.empty:
        return pd.DataFrame(columns=pd.RangeIndex(0, 0, name="months_since_first"),
                            index=pd.Index([], name="cohort"))
    width = int(last - counts.index.min()) if max_months is None else max_months
    shares = counts.div(counts[0], axis=0).reindex(columns=range(width + 1), fill_value=0.0)
    lived = np.subtract.outer(np.asarray(last - shares.index), np.arange(width + 1)) >= 0
    shares = shares.where(lived).astype(float)
    shares.index = pd.Index([_month_label(int(m)) for m in shares.index], name="cohort")
    shares.columns = pd.RangeIndex(width + 1, name="months_since_first")
    return shares


def cohort_sizes(orders: pd.DataFrame, *, today: date | None = None) -> pd.Series:
    """Customers per monthly cohort ("YYYY-MM"), to print next to the retention matrix."""
    orders = _clean(orders, today)
    first = month_index(orders["moment"]).groupby(orders["contact_id"]).min()
    sizes = first.value_counts().sort_index()
    sizes.index = pd.Index([_month_label(int(m)) for m in sizes.index], name="cohort")
    return sizes.rename("customers")


def repeat_purchase_rate(orders: pd.DataFrame) -> float:
    """Share of customers with two or more orders (NaN when there are no customers)."""
    orders = _clean(orders)
    per_customer = orders.groupby("contact_id").size()
    return float((per_customer >= 2).mean()) if len(per_customer) else float("nan")


def churn_risk(
    orders: pd.DataFrame, today: date, *, gap_multiple: float = 2.0, min_days: int = 30
) -> pd.DataFrame:
    """Customers who have gone quiet for longer than their own rhythm, riskiest first.

    A customer's usual gap is the median number of days between their distinct order days. They are
    at risk when the days since their last order exceed both `gap_multiple` × that gap and
    `min_days` (so a weekly buyer is not flagged after 15 days). One-order customers have no gap of
    their own and are compared with the median of all customers' usual gaps. risk = 1 − usual gap /
    days since the last order: 0.5 at twice the usual gap, 0.75 at four times, towards 1 after.
    revenue_at_stake is what the customer spends in a typical year: revenue / years between their
    first and last order, at least one year. Sorted by risk, then revenue at stake.
    """
    orders = _clean(orders, today)
    if orders.empty:
        return pd.DataFrame(columns=list(CHURN_COLUMNS))
    return churn_from_rhythm(_rhythm(orders), today, gap_multiple=gap_multiple, min_days=min_days)


def churn_from_rhythm(per_customer: pd.DataFrame, today: date, *, gap_multiple: float = 2.0,
                      min_days: int = 30) -> pd.DataFrame:
    """`churn_risk` from per-customer contact_id, orders, revenue, first, last_order (days, as
    datetime64) and own_gap (median days between distinct order days, NaN under two days)."""
    if per_customer.empty:
        return pd.DataFrame(columns=list(CHURN_COLUMNS))
    years = (per_customer["last_order"] - per_customer["first"]).dt.days / DAYS_PER_YEAR
    per_customer = per_customer.assign(revenue_at_stake=per_customer["revenue"] / np.maximum(years, 1.0))
    population_gap = per_customer["own_gap"].median()
    usual = per_customer["own_gap"].fillna(population_gap)
    fallback_gap = usual.fillna(min_days / gap_multiple)  # nobody has ever reordered
    since = (as_timestamp(today) - per_customer["last_order"]).dt.days
    threshold = np.maximum(gap_multiple * usual.fillna(0), min_days)
    per_customer = per_customer.assign(
        days_since_last=since,
        usual_gap_days=usual,
        risk=(1 - fallback_gap / since.where(since > 0)).clip(0, 1),
    )[since > threshold]
    per_customer["reason"] = churn_reasons(per_customer)
    per_customer = per_customer.sort_values(
        ["risk", "revenue_at_stake", "contact_id"], ascending=[False, False, True], kind="stable"
    )
    return per_customer[list(CHURN_COLUMNS)].reset_index(drop=True)


def _rhythm(orders: pd.DataFrame) -> pd.DataFrame:
    """Per customer: orders, revenue, first/last order day, median gap between order days."""
    amount = pd.to_numeric(orders["amount"], errors="coerce") if "amount" in orders else 0.0
    work = pd.DataFrame({"contact_id": orders["contact_id"], "day": orders["moment"].dt.normalize(),
                         "amount": amount}).fillna({"amount": 0.0})
    per_customer = work.groupby("contact_id").agg(
        orders=("day", "size"), revenue=("amount", "sum"), first=("day", "min"), last_order=("day", "max")
    )
    days = work[["contact_id", "day"]].drop_duplicates().sort_values(["contact_id", "day"])
    gaps = days.groupby("contact_id")["day"].diff().dt.days
    per_customer["own_gap"] = gaps.groupby(days["contact_id"]).median()
    return per_customer.reset_index()


def churn_reasons(at_risk: pd.DataFrame) -> pd.Series:
    """Plain-language reason per customer, built column-wise (no per-row Python loop)."""
    since = at_risk["days_since_last"].astype("int64").astype(str)
    gap = at_risk["usual_gap_days"].round().astype("Int64").astype(str)
    ratio = (at_risk["days_since_last"] / at_risk["usual_gap_days"]).round(1).astype(str)
    own = ("last order " + since + " days ago; usually orders every " + gap + " days ("
           + ratio + "× the usual gap)")
    single = "only one order, " + since + " days ago; customers usually reorder within " + gap + " days"
    alone = "only one order, " + since + " days ago; no repeat customers to compare with"
    reason = np.where(at_risk["own_gap"].notna(), own, np.where(at_risk["usual_gap_days"].notna(),
                                                                single, alone))
    return pd.Series(reason, index=at_risk.index, dtype=object)
