"""The funnel summary behind the Sales funnel, on both backends.

Every figure of `funnel_dashboard` (deals, KPIs, KPIs per owner, and per stage: deals reached, deals
lost there, median days in stage, conversions) must equal what plain SQL over the raw deals, stays,
stages and users gives, computed here in a few lines of Python that share nothing with the code
under test: for an admin, a manager and two staff members, for every filter the page offers
(pipeline, owner, period), before and after changes made through the services (a deal created,
moved forward, skipped ahead and moved back, won, lost, reopened, soft-deleted, restored, given to
another owner and moved to another pipeline; a stage renamed, reordered and made the lost stage)
and rows inserted directly (as an import does).
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlmodel import Session

from core.analytics import cache, dashboards, funnel_summary, summaries
from core.config import today
from core.models import Deal, DealStageHistory, FunnelDeal, FunnelStay, Pipeline, Stage, User
from core.query.timerange import parse_period
from core.services.deals import deals as deal_service
from core.services.deals import move_deal
from core.services.deals import stages as stage_service

PERIODS = (None, "this year", "last year", "last 90 days")


pytestmark = pytest.mark.usefixtures("fresh_cache")  # analytics results are kept per data version


@pytest.fixture
def pipelines(session: Session, readers: dict[str, User]) -> dict[str, dict[str, Stage]]:
    """Two pipelines; 80 deals over two years by five owners and none, stays of odd lengths (hours
    and minutes), some skipping stages, some lost (one only ever in Lost), one without any stay,
    some deleted, some without an amount or a close date."""
    stages: dict[str, dict[str, Stage]] = {}
    for name in ("Sales", "Renewals"):
        pipeline = Pipeline(name=name, is_default=name == "Sales")
        session.add(pipeline)
        session.flush()
        row = {n: Stage(pipeline_id=pipeline.id, name=n, position=i, is_won=n == "Won", is_lost=n == "Lost")
               for i, n in enumerate(["Lead", "Qualified", "Proposal", "Won", "Lost"])}
        session.add_all(row.values())
        stages[name] = row
    session.flush()
    owners = [readers[n].id for n in ("admin", "manager", "staff", "other", "outsider")] + [None]
    for number in range(80):
        which = stages["Sales" if number % 3 else "Renewals"]
        steps = [s for k, s in enumerate(list(which.values())[:4]) if (number + k) % 5 != 2 or k == 0]
        path = steps[:1 + number % 4] + ([which["Lost"]] if number % 6 == 0 else [])
        path = [which["Lost"]] if number == 7 else path
        status = "lost" if path[-1].is_lost else ("won" if path[-1].is_won else "open")
        created = datetime(2025, 1, 3) + timedelta(days=(number * 37) % 540, hours=number % 11)
        deal = Deal(title=f"D{number}", pipeline_id=which["Lead"].pipeline_id, stage_id=path[-1].id,
                    amount=None if number % 13 == 0 else 50.0 * (number % 9), owner_id=owners[number % 6],
                    status=status, created_at=created,
                    closed_at=created + timedelta(days=number % 40, hours=3)
                    if status != "open" and number % 5 else None,
                    deleted_at=datetime(2026, 1, 1) if number % 17 == 3 else None)
        session.add(deal)
        session.flush()
        moment = created
        for k, stage in enumerate([] if number == 11 else path):
            leaving = moment + timedelta(days=(number * (k + 2)) % 23, minutes=(number * 7 + k) % 600) \
                if k + 1 < len(path) else None
            session.add(DealStageHistory(deal_id=deal.id, stage_id=stage.id, entered_at=moment,
                                         exited_at=leaving))
            moment = leaving or moment
    session.commit()
    return stages


# ---- the reference: plain SQL over the raw rows, counted in Python ----------------------------------------


def _moment(value: Any) -> datetime | None:
    return value if value is None or isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _days(later: Any, earlier: Any) -> float | None:
    later, earlier = _moment(later), _moment(earlier)
    return None if later is None or earlier is None else (later - earlier).total_seconds() / 86400


def _rows(session: Session, sql: str) -> list[Any]:
    return list(session.execute(text(sql)).all())


def _may_read(session: Session, user: User, owner_id: int | None) -> bool:
    if user.role == "admin":
        return True
    if user.role == "staff":
        return owner_id == user.id
    team = {row.id for row in _rows(session, "SELECT id, team FROM users")
            if row.id == user.id or (user.team and row.team == user.team)}
    return owner_id is None or owner_id in team


def _deals(session: Session, user: User, pipeline: int | None, owner: int | None,
           period: str | None) -> list[Any]:
    span = parse_period(period, today()) if period else None
    start, end = (datetime.combine(day, time.min) for day in (span.start, span.end)) if span else (None, None)
    chosen = []
    for deal in _rows(session, "SELECT id, pipeline_id, owner_id, status, amount, created_at, closed_at "
                               "FROM deals WHERE deleted_at IS NULL"):
        created = _moment(deal.created_at)
        if span and not start <= created < end:
            continue
        if (pipeline is None or deal.pipeline_id == pipeline) and (owner is None or deal.owner_id == owner) \
                and _may_read(session, user, deal.owner_id):
            chosen.append(deal)
    return chosen


def _kpis(deals: list[Any]) -> dict[str, float]:
    won = [d for d in deals if d.status == "won"]
    lost = sum(d.status == "lost" for d in deals)
    opened = sum(d.status == "open" for d in deals)
    amounts = [d.amount for d in won if d.amount is not None]
    days = [x for x in (_days(d.closed_at, d.created_at) for d in won) if x is not None]
    win_rate = len(won) / (len(won) + lost) if won or lost else math.nan
    average = statistics.fmean(amounts) if amounts else math.nan
    to_close = statistics.fmean(days) if days else math.nan
    velocity = opened * win_rate * average / to_close if to_close > 0 else math.nan
    return {"open_deals": opened, "won": len(won), "lost": lost, "win_rate": win_rate,
            "avg_won_amount": average, "avg_days_to_close": to_close, "sales_velocity": velocity}


def _funnel(session: Session, deals: list[Any]) -> dict[tuple[str, str, int], dict[str, float]]:
    """(pipeline, stage, position) -> reached, lost_here, median_days_in_stage, by the counting rule:
    a deal reached every stage up to its furthest non-lost one (its pipeline's first when it was only
    ever lost); medians over completed stays. A live step of the pipeline that none of the deals
    stayed in is shown with 0 (as the page has always shown it, even when a deal skipped past it)."""
    stages = {s.id: s for s in _rows(session, "SELECT id, pipeline_id, name, position, is_lost, deleted_at "
                                              "FROM stages")}
    pipelines = {p.id: p for p in _rows(session, "SELECT id, name, deleted_at FROM pipelines")}
    stays = defaultdict(list)
    for stay in _rows(session, "SELECT deal_id, stage_id, entered_at, exited_at FROM deal_stage_history"):
        stays[stay.deal_id].append(stay)
    lengths: dict[tuple[str, str, int], list[float]] = defaultdict(list)
    furthest: dict[str, list[tuple[int | None, bool]]] = defaultdict(list)
    for deal in deals:
        if not stays[deal.id]:
            continue
        name = pipelines[deal.pipeline_id].name
        steps = [(stages[s.stage_id], s) for s in stays[deal.id] if not stages[s.stage_id].is_lost]
        for stage, stay in steps:
            days = lengths[(name, stage.name, stage.position)]
            if stay.exited_at is not None:
                days.append(_days(stay.exited_at, stay.entered_at))
        deepest = max((stage.position for stage, _ in steps), default=None)
        furthest[name].append((deepest, deal.status == "lost"))
    result = {}
    for name, reached in furthest.items():
        keys = {key for key in lengths if key[0] == name}
        if not keys:
            continue
        first = min(position for _, _, position in keys)
        at = [(first if f is None else f, lost) for f, lost in reached]
        for key in keys:
            result[key] = {"reached": sum(f >= key[2] for f, _ in at),
                           "lost_here": sum(lost and f == key[2] for f, lost in at),
                           "median_days_in_stage": statistics.median(lengths[key]) if lengths[key]
                           else math.nan}
        unvisited = {(name, s.name, s.position) for s in stages.values()
                     if pipelines[s.pipeline_id].name == name and not s.is_lost and s.deleted_at is None
                     and pipelines[s.pipeline_id].deleted_at is None} - keys
        result |= {key: {"reached": 0, "lost_here": 0, "median_days_in_stage": math.nan} for key in unvisited}
    return result


def _check(session: Session, user: User, pipeline: int | None = None, owner: int | None = None,
           period: str | None = None) -> None:
    cache.RESULTS.clear()
    board = dashboards.funnel_dashboard(session, user, pipeline=pipeline, owner=owner, period=period)
    deals = _deals(session, user, pipeline, owner, period)
    what = f"{user.role} {user.username}, pipeline {pipeline}, owner {owner}, period {period}"
    assert board.deals == len(deals), what
    if not deals:  # nothing to show: the page says so before reading a figure
        assert board.kpis.empty and board.by_owner.empty and board.funnel.empty, what
        return
    _same(board.kpis.iloc[0].to_dict(), _kpis(deals), what)
    names = {row.id: row.display_name for row in _rows(session, "SELECT id, display_name FROM users")}
    per_owner = defaultdict(list)
    for deal in deals:
        per_owner[names[deal.owner_id] if deal.owner_id is not None else dashboards.UNASSIGNED].append(deal)
    assert sorted(board.by_owner["owner"]) == sorted(per_owner), what
    for row in board.by_owner.to_dict("records"):
        _same(row, _kpis(per_owner[row["owner"]]), f"{what}, {row['owner']}")
    expected = _funnel(session, deals)
    got = {(row["pipeline"], row["stage"], row["stage_position"]): row
           for row in board.funnel.to_dict("records")}
    assert sorted(got) == sorted(expected), what
    for key, row in got.items():
        _same(row, expected[key], f"{what}, {key}")
    for _, steps in board.funnel.groupby("pipeline"):
        reached = steps.sort_values("stage_position")["reached"].tolist()
        shares = steps.sort_values("stage_position")["conversion_from_previous"].tolist()
        for before, now, share in zip(reached, reached[1:], shares[1:], strict=False):
            assert share == pytest.approx(now / before if before else math.nan, nan_ok=True), what


JULIANDAY_ERROR_SECONDS = 1e-4  # whole-second times: julianday() differences are off by ~10 µs at most


def _same(got: dict[str, Any], expected: dict[str, float], what: str) -> None:
    """Equal, up to the database's day arithmetic. The velocity divides by the days to close, so
    its error is julianday's over those days: 2e-5 of a deal won two seconds after it was created
    (as the tests' deals are), far below 1e-6 of one that took a day."""
    for name, value in expected.items():
        rel = 1e-6
        days = expected.get("avg_days_to_close", math.nan)
        if name == "sales_velocity" and days > 0:
            rel = max(rel, 2 * JULIANDAY_ERROR_SECONDS / (days * 86_400))
        assert float(got[name]) == pytest.approx(value, rel=rel, abs=1e-6, nan_ok=True), f"{what}: {name}"


def _check_everything(session: Session, readers: dict[str, User], when: str) -> None:
    sales = session.scalar(select(Pipeline.id).where(Pipeline.name == "Sales"))
    for role in ("admin", "manager", "staff", "outsider"):
        user = readers[role]
        try:
            for period in PERIODS:
                _check(session, user, period=period)
            _check(session, user, pipeline=sales, period="this year")
            _check(session, user, pipeline=sales, owner=readers["staff"].id)
            _check(session, user, owner=None if role == "admin" else user.id, period="last year")
        except AssertionError as error:
            raise AssertionError(f"{when}: {error}") from error


# ---- the tests ---------------------------------------------------------------------------------------


def test_summary_figures_equal_the_raw_rows_for_every_role_and_filter(session, pipelines, readers) -> None:
    _check_everything(session, readers, "first build")
    assert session.scalar(select(func.count()).select_from(FunnelDeal)) > 0


def test_figures_follow_every_kind_of_change(session, pipelines, readers) -> None:
    admin, sales, renewals = readers["admin"], pipelines["Sales"], pipelines["Renewals"]
    _check_everything(session, readers, "first build")

    deal = deal_service.create(session=session, user=admin, data={
        "title": "New", "pipeline_id": sales["Lead"].pipeline_id, "stage_id": sales["Lead"].id,
        "amount": 700.0, "owner_id": readers["staff"].id})
    _check_everything(session, readers, "after creating a deal")
    for stage, when in ((sales["Qualified"], "moved forward"), (sales["Won"], "skipped ahead and won"),
                        (sales["Proposal"], "reopened, moved back"), (sales["Lost"], "lost"),
                        (sales["Lead"], "reopened from lost")):
        move_deal(session=session, user=admin, deal_id=deal.id, stage_id=stage.id)
        _check_everything(session, readers, f"after a deal {when}")

    deal_service.delete(session=session, user=admin, record_id=deal.id)
    _check_everything(session, readers, "after deleting a deal")
    deal_service.restore(session=session, user=admin, record_id=deal.id)
    _check_everything(session, readers, "after restoring a deal")
    deal_service.update(session=session, user=admin, record_id=deal.id,
                        changes={"owner_id": readers["outsider"].id})
    _check_everything(session, readers, "after an owner change")
    deal_service.update(session=session, user=admin, record_id=deal.id,
                        changes={"pipeline_id": renewals["Lead"].pipeline_id,
                                 "stage_id": renewals["Proposal"].id})
    _check_everything(session, readers, "after moving a deal to another pipeline")
    deal_service.update(session=session, user=admin, record_id=deal.id, changes={"amount": 12.5})
    _check_everything(session, readers, "after an amount edit")

    stage_service.update(session=session, user=admin, record_id=sales["Qualified"].id,
                         changes={"name": "Discovery"})
    _check_everything(session, readers, "after renaming a stage")
    for stage, position in ((sales["Proposal"], 1), (sales["Qualified"], 2)):
        stage_service.update(session=session, user=admin, record_id=stage.id, changes={"position": position})
    _check_everything(session, readers, "after reordering two stages")
    stage_service.update(session=session, user=admin, record_id=renewals["Won"].id,
                         changes={"is_won": False, "is_lost": True})
    _check_everything(session, readers, "after making a stage the lost stage")


def test_rows_added_outside_the_services_are_folded_in_without_a_rebuild(session, pipelines, readers) -> None:
    dashboards.funnel_dashboard(session, readers["admin"])
    # A marker no source row explains (of no stage, so read by nobody): a build drops it, a fold does not.
    session.add(FunnelStay(stay_id=10**6, deal_id=10**6, pipeline_id=0, stage_id=0,
                           created_at=datetime(2000, 1, 1)))
    session.commit()
    sales = pipelines["Sales"]
    deal = Deal(title="Imported", pipeline_id=sales["Lead"].pipeline_id, stage_id=sales["Proposal"].id,
                amount=90.0, owner_id=readers["staff"].id, created_at=datetime(2026, 5, 2, 10, 30))
    session.add(deal)
    session.flush()
    session.add_all([DealStageHistory(deal_id=deal.id, stage_id=sales["Lead"].id, entered_at=deal.created_at,
                                      exited_at=datetime(2026, 5, 9, 16, 45)),
                     DealStageHistory(deal_id=deal.id, stage_id=sales["Proposal"].id,
                                      entered_at=datetime(2026, 5, 9, 16, 45))])
    session.commit()
    _check_everything(session, readers, "after an import")
    assert session.get(FunnelStay, 10**6) is not None


def test_a_rebuild_gives_the_same_rows_as_the_folds(session, pipelines, readers) -> None:
    admin, sales = readers["admin"], pipelines["Sales"]
    dashboards.funnel_dashboard(session, admin)
    deal_id = session.scalar(select(func.min(Deal.id)).where(Deal.deleted_at.is_(None),
                                                             Deal.pipeline_id == sales["Won"].pipeline_id))
    move_deal(session=session, user=admin, deal_id=deal_id, stage_id=sales["Won"].id)
    deal_service.update(session=session, user=admin, record_id=deal_id,
                        changes={"owner_id": readers["other"].id})
    stage_service.update(session=session, user=admin, record_id=sales["Lead"].id, changes={"position": 9})
    assert funnel_summary.refresh(session) is True
    folded = _summary_rows(session)
    summaries.rebuild(session, funnel_summary.SUMMARY)
    assert _summary_rows(session) == folded


def test_crm_summaries_rebuild_covers_the_funnel(cli, engine, session, pipelines, readers) -> None:
    rebuilt = cli("summaries", "rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "Rebuilt funnel" in rebuilt.output
    live = session.scalar(select(func.count()).select_from(Deal).where(Deal.deleted_at.is_(None)))
    assert session.scalar(select(func.count()).select_from(FunnelDeal)) == live
    assert "funnel up to date" in cli("summaries", "refresh").output


def _summary_rows(session: Session) -> dict[str, list[tuple[str, ...]]]:
    return {table: sorted(tuple(str(value) for value in row)
                          for row in _rows(session, f"SELECT * FROM {table}"))
            for table in funnel_summary.TABLES}
