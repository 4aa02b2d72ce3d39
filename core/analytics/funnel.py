"""Funnel conversion, time in stage and deal KPIs, from the deal stage history.

Inputs are two narrow frames:

- history: deal_id, stage (name), stage_position (int), entered_at, exited_at (NaT while the deal
  is still in that stage); an optional boolean `is_lost` column marks the lost stage, otherwise a
  stage whose name is in `lost_stages` ("Lost", "Closed lost", any case) is the lost stage.
- deals: deal_id, status (open/won/lost), and as needed amount, created_at, closed_at, owner,
  pipeline.

Counting rule: a deal "reached" stage k when its furthest non-lost stage (by position) is at or
beyond k, so a deal that skipped a stage (moved straight from Lead to Proposal) still counts as
having reached every earlier stage of its pipeline. Without that rule skipped stages would show
fewer deals than the stage after them and conversions above 100 %. Every deal in the history counts
as having entered its pipeline's first stage, including one moved straight to Lost. The lost stage
is left out of the progression (it is an exit, not a step); instead each stage reports `lost_here`,
the lost deals whose furthest stage was that one. Stages are taken per pipeline when the deals frame
has a `pipeline` column, so a deal is never counted in another pipeline's stages. Rows of
different pipelines are summed by stage name and position, so with several pipelines group
`by="pipeline"` (or filter to one) before reading conversions.

Time in stage is the median length in days of completed stays (entered and exited); a deal that
left and re-entered a stage contributes one value per stay. Deals still in a stage are left out,
because their stay is not over; a stage with no completed stay has NaN.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from core.analytics._frames import days_between, ensure_columns, month_label, to_datetime

HISTORY_COLUMNS = ("deal_id", "stage", "stage_position", "entered_at", "exited_at")
LOST_STAGE_NAMES = ("lost", "closed lost")
MONTH = "month"  # `by=MONTH` groups by the month the deal was created
FUNNEL_COLUMNS = (
    "stage",
    "stage_position",
    "reached",
    "conversion_from_previous",
    "conversion_from_first",
    "median_days_in_stage",
    "lost_here",
)
KPI_COLUMNS = (
    "open_deals",
    "won",
    "lost",
    "win_rate",
    "avg_won_amount",
    "avg_days_to_close",
    "sales_velocity",
)
# Per-group sums the KPIs are made of: counts, and sum and count of won amounts and days to close.
TOTAL_COLUMNS = ("open_deals", "won", "lost", "won_amount_sum", "won_amount_n", "won_days_sum", "won_days_n")
_GROUP = "_group"
_PIPELINE = "_pipeline"


def group_keys(deals: pd.DataFrame, by: str | None) -> pd.Series:
    """The grouping value per deal: a deals column, the created_at month, or one constant group."""
    if by is None:
        return pd.Series("all", index=deals.index)
    if by == MONTH and MONTH not in deals.columns:
        ensure_columns(deals, ["created_at"], "deals")
        return month_label(to_datetime(deals["created_at"]))
    ensure_columns(deals, [by], "deals")
    return deals[by]


def stage_funnel(
    history: pd.DataFrame,
    deals: pd.DataFrame,
    *,
    by: str | None = None,
    lost_stages: Collection[str] = LOST_STAGE_NAMES,
) -> pd.DataFrame:
    """Deals reaching each stage, conversions, median days in stage and lost deals per stage.

    One row per stage in position order (per group when `by` names a deals column, or "month").
    Conversions are shares (0.6 = 60 %); see the module docstring for the counting rule.
    """
    history = ensure_columns(history, HISTORY_COLUMNS, "history")
    deals = ensure_columns(deals, ["deal_id", "status"], "deals")
    columns = ([by] if by else []) + list(FUNNEL_COLUMNS)
    if history.empty:
        return pd.DataFrame(columns=columns)
    labelled = _label_history(history, deals, by, lost_stages)
    progress = labelled[~labelled["is_lost_stage"]]
    per_deal = _furthest_stage(labelled, progress)
    stages = progress[[_PIPELINE, "stage", "stage_position"]].drop_duplicates()
    funnel = _count_reached(per_deal, stages)
    funnel = funnel.merge(_median_days(progress), on=[_GROUP, "stage", "stage_position"], how="left")
    funnel = _add_conversions(funnel.sort_values([_GROUP, "stage_position"], kind="stable"))
    funnel = funnel.rename(columns={_GROUP: by}) if by else funnel.drop(columns=_GROUP)
    return funnel[columns].reset_index(drop=True)


def _label_history(
    history: pd.DataFrame, deals: pd.DataFrame, by: str | None, lost_stages: Collection[str]
) -> pd.DataFrame:
    """History rows with the deal's pipeline, group, lost status and a lost-stage flag."""
    info = pd.DataFrame({
        "deal_id": deals["deal_id"],
        _GROUP: group_keys(deals, by),
        _PIPELINE: deals["pipeline"] if "pipeline" in deals.columns else "all",
        "deal_lost": deals["status"].eq("lost"),
    })
    labelled = history.merge(info, on="deal_id", how="left", indicator=True)
    if by is not None:  # a deal missing from the deals frame has no group to count it in
        labelled = labelled[labelled["_merge"].eq("both")]
    labelled = labelled.drop(columns="_merge")
    if by is None:
        labelled[_GROUP] = "all"
    labelled[_PIPELINE] = labelled[_PIPELINE].fillna("all")
    labelled["deal_lost"] = labelled["deal_lost"].astype("boolean").fillna(False).astype(bool)
    if "is_lost" in labelled.columns:
        labelled["is_lost_stage"] = labelled["is_lost"].astype("boolean").fillna(False).astype(bool)
    else:
        names = {name.lower() for name in lost_stages}
        labelled["is_lost_stage"] = labelled["stage"].astype(str).str.lower().isin(names)
    labelled["stage_position"] = pd.to_numeric(labelled["stage_position"])
    return labelled


def _furthest_stage(labelled: pd.DataFrame, progress: pd.DataFrame) -> pd.DataFrame:
    """Per deal: group, pipeline, lost flag and furthest non-lost position (first stage at least)."""
    per_deal = labelled.groupby("deal_id", sort=False)[[_GROUP, _PIPELINE, "deal_lost"]].first()
    per_deal["furthest"] = progress.groupby("deal_id")["stage_position"].max()
    first_position = progress.groupby(_PIPELINE)["stage_position"].min()
    per_deal["furthest"] = per_deal["furthest"].fillna(per_deal[_PIPELINE].map(first_position))
    return per_deal.dropna(subset=["furthest"]).reset_index()


def _count_reached(per_deal: pd.DataFrame, stages: pd.DataFrame) -> pd.DataFrame:
    """Count deals at or beyond each stage, by counting furthest positions then summing (vectorised)."""
    keys = [_GROUP, _PIPELINE, "furthest"]
    at = per_deal.groupby(keys, dropna=False).agg(deals=("deal_id", "size"), lost=("deal_lost", "sum"))
    pairs = stages.merge(at.reset_index(), on=_PIPELINE)
    pairs["reached"] = np.where(pairs["furthest"] >= pairs["stage_position"], pairs["deals"], 0)
    pairs["lost_here"] = np.where(pairs["furthest"] == pairs["stage_position"], pairs["lost"], 0)
    grouped = pairs.groupby([_GROUP, "stage", "stage_position"], dropna=False)
    return grouped[["reached", "lost_here"]].sum().reset_index()


def _median_days(progress: pd.DataFrame) -> pd.DataFrame:
    """Median length in days of completed stays per group and stage."""
    entered, exited = to_datetime(progress["entered_at"]), to_datetime(progress["exited_at"])
    stays = progress.assign(days=days_between(exited, entered)).dropna(subset=["days"])
    grouped = stays.groupby([_GROUP, "stage", "stage_position"], dropna=False)["days"].median()
    return grouped.rename("median_days_in_stage").reset_index()


def funnel_from_counts(furthest: pd.DataFrame, stages: pd.DataFrame) -> pd.DataFrame:
    """`stage_funnel(..., by="pipeline")` from per-deal facts already counted (by the database).

    furthest: pipeline, furthest (the furthest non-lost position; NaN when a deal was only in a
    lost stage), deals, lost. stages: pipeline, stage, stage_position, median_days_in_stage of every
    non-lost stage the deals were in. Same counting rule as `stage_funnel`.
    """
    columns = ["pipeline", *FUNNEL_COLUMNS]
    if stages.empty:
        return pd.DataFrame(columns=columns)
    first_position = stages.groupby("pipeline")["stage_position"].min()
    at = furthest.assign(furthest=furthest["furthest"].fillna(furthest["pipeline"].map(first_position)))
    at = at.dropna(subset=["furthest"]).groupby(["pipeline", "furthest"], as_index=False)
    at = at[["deals", "lost"]].sum()
    pairs = stages[["pipeline", "stage", "stage_position"]].merge(at, on="pipeline")
    pairs["reached"] = np.where(pairs["furthest"] >= pairs["stage_position"], pairs["deals"], 0)
    pairs["lost_here"] = np.where(pairs["furthest"] == pairs["stage_position"], pairs["lost"], 0)
    keys = ["pipeline", "stage", "stage_position"]
    counted = pairs.groupby(keys, dropna=False)[["reached", "lost_here"]].sum().reset_index()
    result = counted.merge(stages, on=keys, how="left").rename(columns={"pipeline": _GROUP})
    result = result.sort_values([_GROUP, "stage_position"], kind="stable")
    return _add_conversions(result).rename(columns={_GROUP: "pipeline"})[columns].reset_index(drop=True)


def _add_conversions(funnel: pd.DataFrame) -> pd.DataFrame:
    """Conversion from the previous stage and from the first stage, within each group."""
    reached = funnel["reached"].astype(float)
    grouped = reached.groupby(funnel[_GROUP], dropna=False)
    previous = grouped.shift(1).replace(0, np.nan)
    first = grouped.transform("first").replace(0, np.nan)
    return funnel.assign(conversion_from_previous=reached / previous, conversion_from_first=reached / first)


def funnel_kpis(deals: pd.DataFrame, *, by: str | None = None) -> pd.DataFrame:
    """Win rate, average won amount, average days to close and sales velocity (per group).

    win_rate = won / (won + lost); avg_days_to_close = mean days from created_at to closed_at of won
    deals; sales_velocity = open deals × win rate × average won amount / average days to close, i.e.
    the revenue the open pipeline is expected to bring per day. NaN where a part is unknown (no
    closed deals, no won deals, or deals won on the day they were created).
    """
    deals = ensure_columns(deals, ["deal_id", "status", "amount", "created_at", "closed_at"], "deals")
    columns = ([by] if by else []) + list(KPI_COLUMNS)
    if deals.empty:
        return pd.DataFrame(columns=columns)
    won = deals["status"].eq("won")
    days = days_between(to_datetime(deals["closed_at"]), to_datetime(deals["created_at"]))
    amounts = pd.to_numeric(deals["amount"], errors="coerce").where(won)
    won_days = days.where(won)
    work = pd.DataFrame({
        _GROUP: group_keys(deals, by),
        "open_deals": deals["status"].eq("open"),
        "won": won,
        "lost": deals["status"].eq("lost"),
        "won_amount_sum": amounts.fillna(0.0),
        "won_amount_n": amounts.notna(),
        "won_days_sum": won_days.fillna(0.0),
        "won_days_n": won_days.notna(),
    })
    totals = work.groupby(_GROUP, dropna=False)[list(TOTAL_COLUMNS)].sum().reset_index()
    return kpis_from_totals(totals.rename(columns={_GROUP: by}) if by else totals.drop(columns=_GROUP), by=by)


def kpis_from_totals(totals: pd.DataFrame, *, by: str | None = None) -> pd.DataFrame:
    """`funnel_kpis` from per-group sums (`TOTAL_COLUMNS`), e.g. summed by the database.

    Without `by`, every row of `totals` is added into one.
    """
    columns = ([by] if by else []) + list(KPI_COLUMNS)
    if totals.empty:
        return pd.DataFrame(columns=columns)
    keys = totals[by] if by else pd.Series("all", index=totals.index)
    kpis = totals[list(TOTAL_COLUMNS)].astype(float).groupby(keys, dropna=False).sum()
    kpis["avg_won_amount"] = kpis["won_amount_sum"] / kpis["won_amount_n"].replace(0, np.nan)
    kpis["avg_days_to_close"] = kpis["won_days_sum"] / kpis["won_days_n"].replace(0, np.nan)
    kpis[["open_deals", "won", "lost"]] = kpis[["open_deals", "won", "lost"]].astype("int64")
    kpis["win_rate"] = kpis["won"] / (kpis["won"] + kpis["lost"]).replace(0, np.nan)
    expected = kpis["open_deals"] * kpis["win_rate"] * kpis["avg_won_amount"]
    kpis["sales_velocity"] = expected / kpis["avg_days_to_close"].where(kpis["avg_days_to_close"] > 0)
    kpis = kpis.rename_axis(_GROUP).reset_index()
    kpis = kpis.rename(columns={_GROUP: by}) if by else kpis.drop(columns=_GROUP)
    return kpis[columns].reset_index(drop=True)
