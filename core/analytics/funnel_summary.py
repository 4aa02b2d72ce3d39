"""The funnel summary: what the Sales funnel reads instead of every deal and every stage stay.

Two tables (core/models/summaries.py), refreshed on read by `core.analytics.summaries`:
- funnel_deals: one row per live deal with the columns the funnel filters and sums on (pipeline,
  owner, status, created_at, amount, days to close) and its furthest non-lost stage position;
- funnel_stays: one row per stay of a live deal, with its length in days and the deal's pipeline,
  owner and creation time, indexed so that a median is read by skipping to the middle of a stage's
  stays in days order, in the database.

A change is folded in per deal: a new deal or stay, or an audit entry on a deal (edit, stage move,
won, lost, reopened, soft delete, restore, owner change) marks the deal, whose rows are deleted and
recomputed from the source. A stage whose position or lost flag changed marks the deals that
stayed in it (their furthest stage may change); names of stages, pipelines and owners are joined
when reading, so renames need nothing.

The readers return exactly what the raw rows give (`stage_funnel` / `funnel_kpis` over
`loaders.deal_history_frame`): the same scope (`owner_visible_clause` on the copied owner), the same
filters, and medians taken from the same per-stay numbers the database computes.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Connection, func, select, text, true
from sqlmodel import Session

from core.analytics import summaries
from core.analytics.loaders import DealFilter, read_frame
from core.config import start_of_day
from core.models import AuditLog, FunnelDeal, FunnelStay, Pipeline, Stage, User
from core.services.permissions import owner_visible_clause

NAME = "funnel"
TABLES = ("funnel_deals", "funnel_stays")
REBUILD_ABOVE = 50_000  # deals to refold beyond which a full build is cheaper
FURTHEST_FIELDS = ("position", "is_lost")  # a stage change that can move a deal's furthest stage


def _days(dialect: str, later: str, earlier: str) -> str:
    """later − earlier in days, fractions kept (NULL when either is NULL), computed by the database."""
    if dialect == "postgresql":
        return f"EXTRACT(EPOCH FROM {later} - {earlier}) / 86400.0"
    return f"julianday({later}) - julianday({earlier})"


# ---- build and fold ------------------------------------------------------------------------------------


def _fill(connection: Connection, deals: str = "1 = 1") -> None:
    """Insert the summary rows of the live deals matching `deals` (a condition on deal_id)."""
    dialect = connection.dialect.name
    on_deals, on_stays = deals.replace("deal_id", "d.id"), deals.replace("deal_id", "h.deal_id")
    connection.execute(text(
        "INSERT INTO funnel_deals (deal_id, pipeline_id, owner_id, status, created_at, amount, close_days, "
        "furthest, stays) "
        "SELECT d.id, d.pipeline_id, d.owner_id, d.status, d.created_at, d.amount, "
        f"{_days(dialect, 'd.closed_at', 'd.created_at')}, f.furthest, COALESCE(f.stays, 0) FROM deals d "
        "LEFT JOIN (SELECT h.deal_id, MAX(CASE WHEN s.is_lost THEN NULL ELSE s.position END) AS furthest, "
        "  COUNT(*) AS stays FROM deal_stage_history h JOIN stages s ON s.id = h.stage_id "
        f"  WHERE {on_stays} GROUP BY h.deal_id) f ON f.deal_id = d.id "
        f"WHERE d.deleted_at IS NULL AND {on_deals}"))
    connection.execute(text(
        "INSERT INTO funnel_stays (stay_id, deal_id, pipeline_id, stage_id, owner_id, created_at, days) "
        "SELECT h.id, h.deal_id, d.pipeline_id, h.stage_id, d.owner_id, d.created_at, "
        f"{_days(dialect, 'h.exited_at', 'h.entered_at')} "
        "FROM deal_stage_history h JOIN deals d ON d.id = h.deal_id AND d.deleted_at IS NULL "
        f"JOIN stages s ON s.id = h.stage_id WHERE {on_stays}"))


def build(connection: Connection) -> None:
    for table in TABLES:
        connection.execute(text(f"DELETE FROM {table}"))
    _fill(connection)


def fold(connection: Connection, new: dict[str, summaries.NewRows]) -> None:
    """Recompute the deals touched by the new deals, stays and audit entries."""
    def refold_deals(chunk: list[int]) -> None:
        keys = summaries.in_list("deal_id", chunk)
        for table in TABLES:
            connection.execute(text(f"DELETE FROM {table} WHERE {keys}"))
        _fill(connection, keys)

    summaries.refold(_touched_deals(connection, new), refold_deals, rebuild_above=REBUILD_ABOVE)


def _touched_deals(connection: Connection, new: dict[str, summaries.NewRows]) -> set[int]:
    deals = summaries.ids(connection, f"SELECT id FROM deals WHERE {new['deals'].where('id')}")
    deals |= summaries.ids(connection, "SELECT deal_id FROM deal_stage_history "
                                       f"WHERE {new['deal_stage_history'].where('id')}")
    deals |= summaries.audited_ids(connection, new["audit_log"], ("deals",))["deals"]
    deals |= summaries.ids_matching(connection, "SELECT DISTINCT deal_id FROM deal_stage_history",
                                    "stage_id", _reordered_stages(connection, new["audit_log"]))
    return deals


def _reordered_stages(connection: Connection, new: summaries.NewRows) -> set[int]:
    """Stages whose position or lost flag an audit entry changed (a rename changes no deal's facts)."""
    entries = connection.execute(select(AuditLog.entity_id, AuditLog.before, AuditLog.after)
                                 .where(AuditLog.entity == "stages", text(new.where("audit_log.id"))))
    stages = set()
    for stage_id, before, after in entries:
        if stage_id is None:
            raise summaries.RebuildNeeded  # a bulk entry names no stage
        if any((before or {}).get(field) != (after or {}).get(field) for field in FURTHEST_FIELDS):
            stages.add(int(stage_id))
    return stages


SOURCES = ("deals", "deal_stage_history", "audit_log")
SUMMARY = summaries.register(summaries.Summary(NAME, SOURCES, build, fold))


def refresh(session: Session) -> bool:
    return summaries.refresh(session, SUMMARY)


# ---- readers -----------------------------------------------------------------------------------------

TOTALS = ("deals", "open_deals", "won", "lost", "won_amount_sum", "won_amount_n", "won_days_sum",
          "won_days_n")


def _where(model: type[FunnelDeal] | type[FunnelStay], user: User | None,
           where: DealFilter) -> list[ColumnElement[bool]]:
    """The reader's scope and the funnel's filters on a summary table's copied deal columns."""
    conditions = [true() if user is None else owner_visible_clause(user, model.owner_id)]
    if where.pipeline_id is not None:
        conditions.append(model.pipeline_id == where.pipeline_id)
    if where.owner_id is not None:
        conditions.append(model.owner_id == where.owner_id)
    if where.created_from is not None:
        conditions.append(model.created_at >= start_of_day(where.created_from))
    if where.created_to is not None:
        conditions.append(model.created_at < start_of_day(where.created_to))
    return conditions


def deal_groups(session: Session, user: User | None, where: DealFilter = DealFilter()) -> pd.DataFrame:
    """Per owner, pipeline, furthest position and whether in the funnel (in_funnel): `TOTALS` of
    the visible, filtered deals. The database groups by the stored columns, in its index's order
    (a few hundred rows), and the sums per status are taken here."""
    refresh(session)
    deal = FunnelDeal
    keys = [deal.owner_id, deal.pipeline_id, deal.furthest, deal.stays, deal.status]
    query = (select(*keys, func.count().label("deals"), func.sum(deal.amount).label("amount_sum"),
                    func.count(deal.amount).label("amount_n"), func.sum(deal.close_days).label("days_sum"),
                    func.count(deal.close_days).label("days_n"))
             .where(*_where(deal, user, where)).group_by(*keys))
    rows = read_frame(session, query)
    won = rows["status"].eq("won")
    groups = pd.DataFrame({
        "owner_id": rows["owner_id"], "pipeline_id": rows["pipeline_id"],
        "furthest": rows["furthest"].astype("float64"), "in_funnel": rows["stays"].astype("int64") > 0,
        "deals": rows["deals"], "open_deals": rows["deals"].where(rows["status"].eq("open"), 0),
        "won": rows["deals"].where(won, 0), "lost": rows["deals"].where(rows["status"].eq("lost"), 0),
        "won_amount_sum": rows["amount_sum"].astype("float64").where(won, 0.0).fillna(0.0),
        "won_amount_n": rows["amount_n"].where(won, 0),
        "won_days_sum": rows["days_sum"].astype("float64").where(won, 0.0).fillna(0.0),
        "won_days_n": rows["days_n"].where(won, 0),
    })
    keys_out = ["owner_id", "pipeline_id", "furthest", "in_funnel"]
    return groups.groupby(keys_out, dropna=False, sort=False, as_index=False)[list(TOTALS)].sum()


def owner_totals(session: Session, groups: pd.DataFrame) -> pd.DataFrame:
    """`TOTALS` per owner display name (None when unowned), as `funnel.kpis_from_totals` takes them."""
    names = read_frame(session, select(User.id, User.display_name)).set_index("id")["display_name"]
    owners = groups["owner_id"].map(names).astype(object).where(groups["owner_id"].notna(), None)
    totals = groups[list(TOTALS)].groupby(owners.rename("owner"), dropna=False, sort=False).sum()
    return totals.reset_index()


def furthest_counts(session: Session, groups: pd.DataFrame) -> pd.DataFrame:
    """pipeline (name), furthest, deals, lost of the deals in the funnel (`funnel.funnel_from_counts`)."""
    names = read_frame(session, select(Pipeline.id, Pipeline.name)).set_index("id")["name"]
    inside = groups[groups["in_funnel"]]
    counted = pd.DataFrame({"pipeline": inside["pipeline_id"].map(names),
                            "furthest": inside["furthest"].astype("float64"),
                            "deals": inside["deals"], "lost": inside["lost"]})
    return counted.groupby(["pipeline", "furthest"], dropna=False, as_index=False)[["deals", "lost"]].sum()


def stage_medians(session: Session, user: User | None, where: DealFilter = DealFilter()) -> pd.DataFrame:
    """pipeline, stage, stage_position, median_days_in_stage of every non-lost stage the filtered
    deals stayed in (NaN without a completed stay). Stays are grouped by the deal's pipeline and
    the stage's name and position, as the raw-row funnel groups them; each median is the middle
    one or two stays of its group in days order, found by the database."""
    refresh(session)
    conditions = _where(FunnelStay, user, where)
    counts = read_frame(session, select(FunnelStay.pipeline_id, FunnelStay.stage_id,
                                        func.count(FunnelStay.days).label("completed"))
                        .where(*conditions).group_by(FunnelStay.stage_id, FunnelStay.pipeline_id))
    present = counts.merge(_stage_names(session), on=["pipeline_id", "stage_id"])
    present = present[~present["is_lost"].astype(bool)]
    keys = ["pipeline", "stage", "stage_position"]
    rows = [(*key, _median(session, conditions, group)) for key, group in present.groupby(keys, sort=False)]
    medians = pd.DataFrame(rows, columns=[*keys, "median_days_in_stage"])
    return medians.astype({"median_days_in_stage": "float64"})


def _median(session: Session, conditions: list[ColumnElement[bool]], group: pd.DataFrame) -> float:
    """The median of the completed stays of `group`'s (pipeline, stage) pairs under `conditions`:
    skip to the middle of the index instead of reading every stay."""
    completed = int(group["completed"].sum())
    if completed == 0:
        return float("nan")
    query = select(FunnelStay.days).where(*conditions, FunnelStay.days.is_not(None),
                                          _one_of(FunnelStay.pipeline_id, group["pipeline_id"]),
                                          _one_of(FunnelStay.stage_id, group["stage_id"]))
    query = query.order_by(FunnelStay.days).offset((completed - 1) // 2).limit(2 - completed % 2)
    middle = [float(value) for value in session.scalars(query)]
    return middle[0] if len(middle) == 1 else (middle[0] + middle[1]) / 2  # as pandas' median takes it


def _one_of(column: Any, values: pd.Series) -> ColumnElement[bool]:
    distinct = sorted({int(value) for value in values})
    return column == distinct[0] if len(distinct) == 1 else column.in_(distinct)  # = keeps the index order


def _stage_names(session: Session) -> pd.DataFrame:
    """pipeline_id, stage_id, pipeline, stage, stage_position, is_lost of every (pipeline, stage)
    pair, deleted ones too: a deal's pipeline names its funnel, the stage its step."""
    query = (select(Pipeline.id.label("pipeline_id"), Stage.id.label("stage_id"),
                    Pipeline.name.label("pipeline"), Stage.name.label("stage"),
                    Stage.position.label("stage_position"), Stage.is_lost)
             .select_from(Pipeline).join(Stage, true()))
    return read_frame(session, query)
