"""Dashboards: the figures behind each analytics page, as plain dataclasses of frames.

Each function reads its narrow frames (`loaders`), limited to what the reader may see, runs the
pure analytics over them and keeps the result per data version and reader scope (`cache`), so a
second look at a page costs one fingerprint query. Returned frames are shared: read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlmodel import Session

from core.analytics import (
    basket,
    basket_summary,
    campaign_summary,
    funnel,
    funnel_summary,
    loyalty,
    purchases,
    rfm,
    rfm_scoring,
)
from core.analytics.cache import cached, user_scope
from core.analytics.loaders import (
    DealFilter,
    campaigns_frame,
    contact_labels,
    data_version,
    order_lines_frame,
    stages_frame,
)
from core.config import today
from core.models import User
from core.models.base import GENDERS
from core.query.dimensions import AGE_BANDS, INCOME_BANDS
from core.query.engine import QueryResult, run_query
from core.query.spec import QuerySpec
from core.query.timerange import TimeRange, parse_period
from core.services.campaign_audience import cross_sell_audience
from core.services.records import get_record

UNASSIGNED = "Unassigned"
BAND_ORDER = {"age_band": AGE_BANDS, "income_band": INCOME_BANDS, "gender": GENDERS}
SEGMENT_ADVICE = {
    "Champions": "Bought recently, often and the most. Thank them; ask for reviews and referrals.",
    "Loyal": "Buy often. Offer loyalty perks and the next product up.",
    "Potential Loyalist": "Recent customers with a few orders. Offer a bundle or a membership.",
    "New": "First order very recently. Welcome them and help them get started.",
    "Promising": "Recent first-time buyers. Follow up with something useful.",
    "Need Attention": "Average on every count. A limited-time offer can wake them up.",
    "About to Sleep": "Quiet for a while and rarely bought. Remind them of popular products.",
    "Can't Lose Them": "Bought very often, but not lately. Win them back personally.",
    "At Risk": "Bought often, long ago. Reach out with a personal offer.",
    "Lost": "Long gone and rarely bought. Low-cost reactivation, or let go.",
    "Others": "Not scored.",
}
COHORTS_SHOWN = 24  # the latest monthly cohorts in the heatmap, each followed for up to 24 months
CHURN_SHOWN = 100
CAMPAIGN_WINDOW_DAYS = 30


def _named(session: Session, frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with the contact's name and email after contact_id (a page's worth of rows)."""
    labels = contact_labels(session, frame["contact_id"].tolist())[["contact_id", "name", "email"]]
    named = frame.merge(labels, on="contact_id", how="left")
    first = ["contact_id", "name", "email"]
    return named[first + [c for c in frame.columns if c not in first]]


# ---- funnel ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelDashboard:
    funnel: pd.DataFrame  # per pipeline and stage: reached, conversions, median days in stage, lost here
    kpis: pd.DataFrame  # one row: open deals, won, lost, win rate, averages, sales velocity
    by_owner: pd.DataFrame  # the same KPIs per owner
    deals: int
    period: TimeRange | None


def funnel_dashboard(session: Session, user: User, pipeline: int | None = None, owner: int | None = None,
                     period: str | None = None) -> FunnelDashboard:
    """Deals created in `period` (a phrase such as "this year"; None = all time) of one pipeline/owner.

    Read from the funnel summary (`funnel_summary`, brought up to date first): the database sums the
    deals per owner, pipeline and furthest stage in one scan and finds each stage's median stay in
    its index; only a few dozen rows reach Python.
    """
    span = parse_period(period, today()) if period else None
    where = DealFilter(pipeline, owner, span.start if span else None, span.end if span else None)
    return cached("funnel", data_version(session), user_scope(user), (where,),
                  lambda: _funnel(session, user, where, span))


def _funnel(session: Session, user: User, where: DealFilter, span: TimeRange | None) -> FunnelDashboard:
    groups = funnel_summary.deal_groups(session, user, where)
    totals = funnel_summary.owner_totals(session, groups)
    totals = totals.assign(owner=totals["owner"].fillna(UNASSIGNED))
    by_owner = funnel.kpis_from_totals(totals, by="owner").sort_values("won", ascending=False, kind="stable")
    steps = funnel.funnel_from_counts(funnel_summary.furthest_counts(session, groups),
                                      funnel_summary.stage_medians(session, user, where))
    return FunnelDashboard(
        funnel=_every_stage(steps, stages_frame(session)),
        kpis=funnel.kpis_from_totals(totals),
        by_owner=by_owner.reset_index(drop=True),
        deals=int(totals["deals"].sum()),
        period=span,
    )


def _every_stage(result: pd.DataFrame, stages: pd.DataFrame) -> pd.DataFrame:
    """The funnel with every step of its pipelines, a stage nobody reached yet shown as 0.

    Without it a funnel whose deals have not reached "Won" yet would simply stop, hiding the gap.
    """
    steps = stages[~stages["is_lost"].astype(bool) & stages["pipeline"].isin(result["pipeline"])]
    full = steps.drop(columns="is_lost").merge(result, on=["pipeline", "stage", "stage_position"],
                                               how="outer")
    full = full.sort_values(["pipeline", "stage_position"], kind="stable").reset_index(drop=True)
    full[["reached", "lost_here"]] = full[["reached", "lost_here"]].fillna(0).astype("int64")
    reached = full["reached"].astype(float).groupby(full["pipeline"])
    full["conversion_from_previous"] = full["reached"] / reached.shift(1).replace(0, float("nan"))
    full["conversion_from_first"] = full["reached"] / reached.transform("first").replace(0, float("nan"))
    return full[result.columns]


# ---- RFM segments ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RfmDashboard:
    summary: pd.DataFrame  # per segment: customers, revenue and shares
    customers: int
    revenue: float
    as_of: date
    members: dict[str, pd.DataFrame]  # per segment used: its MEMBERS_KEPT biggest spenders, unnamed


MEMBERS_KEPT = 100  # biggest spenders kept per segment with the dashboard (the page lists 100)


def rfm_dashboard(session: Session, user: User) -> RfmDashboard:
    """Segments from four numbers per customer of the purchases summary, ranked in numpy
    (`rfm_scoring`); each segment's biggest spenders are picked in the same pass."""
    return cached("rfm", data_version(session), user_scope(user), (), lambda: _rfm(session, user))


def _scored(session: Session, user: User) -> rfm_scoring.Scored:
    as_of = today()
    return rfm_scoring.score(purchases.rfm_values(session, user, as_of), purchases.day_number(as_of))


def _rfm(session: Session, user: User) -> RfmDashboard:
    totals = rfm_scoring.segment_totals(_scored(session, user), MEMBERS_KEPT)
    return RfmDashboard(summary=rfm.summary_from_totals(totals.totals), customers=totals.customers,
                        revenue=totals.revenue, as_of=today(), members=totals.members)


def rfm_scores(session: Session, user: User) -> pd.DataFrame:
    """Every customer's recency, frequency, monetary, r/f/m scores and segment (`rfm.rfm_scores`)."""
    return rfm_scoring.scores_frame(_scored(session, user))


def segment_members(session: Session, user: User, segment: str, limit: int = 100) -> pd.DataFrame:
    """The segment's customers who spent most, with name and email: kept with the dashboard up to
    MEMBERS_KEPT, scored again for a longer list."""
    if limit <= MEMBERS_KEPT:
        empty = pd.DataFrame(columns=rfm_scoring.MEMBER_COLUMNS).astype(rfm_scoring.MEMBER_TYPES)
        members = rfm_dashboard(session, user).members.get(segment, empty).head(limit)
    else:
        members = cached("rfm-members", data_version(session), user_scope(user), (segment, limit),
                         lambda: rfm_scoring.top_members(_scored(session, user), segment, limit))
    return _named(session, members)


def demographic_breakdown(session: Session, user: User, metric: str = "customers",
                          dimension: str = "age_band", period: str | None = None) -> QueryResult:
    """`metric` per band of `dimension` through the semantic layer, bands in their natural order."""
    spec = QuerySpec(metrics=[metric], dimensions=[dimension], period=period)
    return cached("breakdown", data_version(session), user_scope(user), (metric, dimension, period),
                  lambda: _in_band_order(run_query(session, spec, user), dimension))


def _in_band_order(result: QueryResult, dimension: str) -> QueryResult:
    order = BAND_ORDER.get(dimension)
    if order and not result.frame.empty:
        rank = {band: number for number, band in enumerate(order)}
        column = result.frame.columns[0]
        result.frame = result.frame.sort_values(column, key=lambda values: values.map(rank), kind="stable")
    return result


# ---- loyalty ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoyaltyDashboard:
    retention: pd.DataFrame  # latest cohorts (rows) × months since the first order (columns), shares
    cohort_sizes: pd.Series  # customers per cohort shown
    repeat_rate: float  # share of customers with two or more orders (NaN without customers)
    customers: int
    at_risk: int
    revenue_at_stake: float  # a typical year's spending of the customers at risk
    churn: pd.DataFrame  # the riskiest CHURN_SHOWN customers, with name and reason


def loyalty_dashboard(session: Session, user: User) -> LoyaltyDashboard:
    version = data_version(session)
    return cached("loyalty", version, user_scope(user), (), lambda: _loyalty(session, user))


def _loyalty(session: Session, user: User) -> LoyaltyDashboard:
    """Cohorts and churn counted in SQL over the purchases summary; small results only."""
    counts = purchases.cohort_counts(session, user, today(), COHORTS_SHOWN, COHORTS_SHOWN - 1)
    last = today().year * 12 + today().month - 1
    retention = loyalty.retention_from_counts(counts, last, COHORTS_SHOWN - 1).tail(COHORTS_SHOWN)
    sizes = pd.Series(counts[0].to_numpy() if len(counts) else [], index=retention.index, dtype="int64",
                      name="customers")  # counts holds exactly the cohorts shown, oldest first
    at_risk, at_stake, riskiest = purchases.churn(session, user, today(), CHURN_SHOWN)
    riskiest["reason"] = loyalty.churn_reasons(riskiest) if len(riskiest) else pd.Series(dtype=object)
    buyers, repeat_buyers = purchases.order_counts(session, user)
    return LoyaltyDashboard(
        retention=retention,
        cohort_sizes=sizes,
        repeat_rate=repeat_buyers / buyers if buyers else float("nan"),
        customers=buyers,
        at_risk=at_risk,
        revenue_at_stake=at_stake,
        churn=_named(session, riskiest[list(loyalty.CHURN_COLUMNS)]),
    )


# ---- baskets ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BasketDashboard:
    pairs: pd.DataFrame  # product pairs bought together, strongest lift first
    category_pairs: pd.DataFrame  # the same between categories
    products: list[str]
    orders: int
    min_support_count: int  # pairs seen in fewer orders than this are left out as chance


def _counts(session: Session, user: User, version: str, kind: str) -> tuple[Any, Any, pd.Index, int]:
    """The reader's co-occurrence matrix, counts per item, items and orders, from the kept counts."""
    def compute() -> tuple[Any, Any, pd.Index, int]:
        counts = basket_summary.counts_frame(session, user)
        orders = int(counts.loc[counts["kind"] == "orders", "orders"].sum())
        return (*basket.counts_matrix(counts[counts["kind"] == kind]), orders)
    return cached("basket-counts", version, user_scope(user), (kind,), compute)


def min_support(orders: int) -> int:
    """Orders a pair needs to be shown: 3, or 1 in 1,000 orders on a large history (rarer is chance)."""
    return max(3, orders // 1000)


def basket_dashboard(session: Session, user: User, top: int = 50,
                     min_support_count: int | None = None) -> BasketDashboard:
    """Pairs bought together in at least `min_support_count` orders (default: `min_support`).

    Counted from `basket_summary`'s kept counts, brought up to date first, not from the order lines.
    """
    version = data_version(session)
    return cached("basket", version, user_scope(user), (top, min_support_count),
                  lambda: _basket(session, user, version, top, min_support_count))


def _basket(session: Session, user: User, version: str, top: int,
            min_support_count: int | None) -> BasketDashboard:
    co, counts, products, orders = _counts(session, user, version, "product")
    support = min_support(orders) if min_support_count is None else min_support_count
    return BasketDashboard(
        pairs=basket.pairs_table(co, counts, products, orders, support, top),
        category_pairs=basket.pairs_table(*_counts(session, user, version, "category"), support, top),
        products=[str(product) for product in products],
        orders=orders,
        min_support_count=support,
    )


def bought_with(session: Session, user: User, product: str, top: int = 10) -> pd.DataFrame:
    """What buyers of `product` also took: partner, orders together, confidence product→partner, lift."""
    version = data_version(session)
    pairs = cached("basket-all-pairs", version, user_scope(user), (),
                   lambda: basket.pairs_table(*_counts(session, user, version, "product"), 2, None))
    as_a = pairs[pairs["product_a"] == product].rename(
        columns={"product_b": "partner", "confidence_a_to_b": "confidence"})
    as_b = pairs[pairs["product_b"] == product].rename(
        columns={"product_a": "partner", "confidence_b_to_a": "confidence"})
    partners = pd.concat([as_a, as_b])[["partner", "orders_together", "confidence", "lift"]]
    return partners.sort_values(["confidence", "lift"], ascending=False).head(top).reset_index(drop=True)


def cross_sell_for(session: Session, user: User, contact_id: int, top: int = 5) -> pd.DataFrame:
    """Products the contact lacks that go with what they bought (advice), with "because you bought X"."""
    get_record(session, user, "contacts", contact_id)  # NotFound when the contact is hidden
    version = data_version(session)

    def compute() -> pd.DataFrame:
        co, counts, products, _ = _counts(session, user, version, "product")
        mine = order_lines_frame(session, user, contact_id=contact_id)
        return basket.suggestions_for(mine, co, counts, products, top=top, min_support_count=2)
    return cached("cross-sell", version, user_scope(user), (contact_id, top), compute)


def cross_sell_audience_for(session: Session, user: User, product: str, partner: str) -> list[int]:
    """`campaign_audience.cross_sell_audience` (visible buyers of `product` without `partner`),
    kept per data version: the baskets page shows its size on every rerun."""
    return cached("cross-sell-audience", data_version(session), user_scope(user), (product, partner),
                  lambda: cross_sell_audience(session, user, product, partner))


# ---- campaigns ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignDashboard:
    performance: pd.DataFrame  # per campaign: name, channel, sent_at, funnel counts, revenue, rates
    window_days: int


def campaign_dashboard(session: Session, user: User) -> CampaignDashboard:
    """Every visible campaign's performance, read from the kept campaign results (folded first)."""
    return cached("campaigns", data_version(session), user_scope(user), (), lambda: _campaigns(session, user))


def _campaigns(session: Session, user: User) -> CampaignDashboard:
    performance = campaign_summary.performance(session, user, CAMPAIGN_WINDOW_DAYS)
    names = campaigns_frame(session, user)[["campaign", "name", "channel", "sent_at"]]
    table = names.merge(performance, on="campaign", how="inner")
    return CampaignDashboard(performance=table.rename(columns={"campaign": "campaign_id"}),
                             window_days=CAMPAIGN_WINDOW_DAYS)
