"""Benchmark: how long each analytics dashboard takes, cold (empty cache) and warm (cached).

    python -m benchmarks.analytics --url sqlite:////tmp/dash.db [--user admin] [--repeat 3]

Runs against an existing database (fill one with `crm demo --contacts N`). Cold: the result cache
is emptied before each call, so the call reads its frames and computes; warm: the same call again,
which costs the data-version query and a dictionary lookup. Prints a markdown table of medians.
Not a test: numbers go in the README.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from core.analytics import cache, dashboards, loaders, potential
from core.config import today
from core.db import make_engine
from core.models import Contact, Order, User
from core.query.compiler import compile_query
from core.query.engine import run_query
from core.query.spec import QuerySpec
from core.services.permissions import visible_clause


def _timed(call: Callable[[], Any]) -> float:
    began = time.perf_counter()
    call()
    return (time.perf_counter() - began) * 1000


def _analytics(session: Session, user: User) -> dict[str, Callable[[], Any]]:
    busiest = session.scalar(select(Order.contact_id).join(Contact, Contact.id == Order.contact_id)
                             .where(visible_clause(user, Contact), Contact.deleted_at.is_(None))
                             .group_by(Order.contact_id).order_by(func.count().desc()).limit(1))
    contact = busiest or session.scalar(select(func.min(Contact.id)).where(visible_clause(user, Contact)))
    product = next(iter(dashboards.basket_dashboard(session, user).products), "")
    return {
        "data version": lambda: loaders.data_version(session),
        "funnel (this year)": lambda: dashboards.funnel_dashboard(session, user, period="this year"),
        "RFM segments": lambda: dashboards.rfm_dashboard(session, user),
        "loyalty (cohorts, churn)": lambda: dashboards.loyalty_dashboard(session, user),
        "baskets (pairs)": lambda: dashboards.basket_dashboard(session, user),
        "bought with a product": lambda: dashboards.bought_with(session, user, product),
        "cross-sell for a customer": lambda: dashboards.cross_sell_for(session, user, contact),
        "campaign results": lambda: dashboards.campaign_dashboard(session, user),
        "customers by age band": lambda: dashboards.demographic_breakdown(session, user),
        "potential (score all)": lambda: potential.potential_dashboard(session, user),
        "potential of one contact": lambda: potential.contact_potential(session, user, contact),
    }


# ---- for `crm bench`: the six analytics, cold and warm, next to the SQL reading their rows ----

ORDERS_SQL = ("SELECT o.id, o.contact_id, o.ordered_at, coalesce(sum(l.quantity * l.unit_price), 0) "
              "FROM orders o JOIN contacts c ON c.id = o.contact_id AND c.deleted_at IS NULL "
              "LEFT JOIN order_lines l ON l.order_id = o.id "
              "WHERE o.deleted_at IS NULL AND o.status NOT IN ('quote', 'cancelled') "
              "GROUP BY o.id, o.contact_id, o.ordered_at")
# RFM, loyalty and potential read the purchases summary (core/analytics/purchases.py), not the orders.
SUMMARY_SQL = "SELECT contact_id, orders, revenue, first_day, last_day, own_gap FROM contact_purchases"
FLOORS = {
    # The funnel reads its summary (core/analytics/funnel_summary.py): the floor is its two grouped
    # scans over this year's deals and stays, without the medians, names and pandas.
    "funnel": ["SELECT owner_id, pipeline_id, furthest, stays > 0, count(*), sum(amount), sum(close_days) "
               "FROM funnel_deals WHERE created_at >= '{start}' AND created_at < '{end}' "
               "GROUP BY owner_id, pipeline_id, furthest, stays > 0",
               "SELECT stage_id, pipeline_id, count(days) FROM funnel_stays "
               "WHERE created_at >= '{start}' AND created_at < '{end}' GROUP BY stage_id, pipeline_id"],
    "RFM segments": [SUMMARY_SQL],
    "cohort matrix (loyalty)": [SUMMARY_SQL],
    # Pairs are read from the kept counts (core/analytics/basket_summary.py), not from the order lines:
    # the floor is summing those counts, as the admin's read does.
    "bought-together pairs": ["SELECT kind, item_a, item_b, sum(orders) FROM basket_counts "
                              "GROUP BY kind, item_a, item_b"],
    # Potential scores the contact_features summary in SQL (core/analytics/potential_scores.py): the
    # floor is reading its rows once.
    "sales-potential scoring": ["SELECT contact_id, owner_id, created_day, birth_year, birth_md, "
                                "gender, household_income, orders, revenue, first_day, last_day "
                                "FROM contact_features"],
    # Campaign results are read from the kept results (core/analytics/campaign_summary.py): the
    # floor is reading the answer groups and summing the orders that followed, as the admin's read does.
    "campaign results": [
        "SELECT campaign_id, status, response, dated, recipients FROM campaign_answer_counts",
        "SELECT campaign_id, count(DISTINCT recipient_id), sum(amount) FROM campaign_follow_ups "
        "WHERE kind = 'order' AND after_seconds > 0 AND after_seconds <= 2592000 GROUP BY campaign_id"],
}
BENCHED = {"funnel": "funnel (this year)", "RFM segments": "RFM segments",
           "cohort matrix (loyalty)": "loyalty (cohorts, churn)", "bought-together pairs": "baskets (pairs)",
           "sales-potential scoring": "potential (score all)", "campaign results": "campaign results"}
REVENUE = QuerySpec(metrics=["revenue"], dimensions=["month", "category"])


def bench(session: Session, user: User, *, cold: int, warm: int) -> list[Any]:
    """Rows for `crm bench`: each analytic cold (result cache emptied first) and warm (cached),
    the cold one next to its floor: the bare SQL reading the rows it computes from."""
    from sqlalchemy import text

    from benchmarks.harness import sample, timed

    results = _summary_refreshes(session)
    calls = _analytics(session, user)
    calls = {name: calls[key] for name, key in BENCHED.items()}
    compiled = compile_query(REVENUE, user, session=session)
    calls["monthly revenue by category"] = lambda: run_query(session, REVENUE, user)
    for name, call in calls.items():
        if name in FLOORS:
            year = {"start": f"{today().year}-01-01 00:00:00", "end": f"{today().year + 1}-01-01 00:00:00"}

            def floor(statements: tuple[str, ...] = tuple(s.format(**year) for s in FLOORS[name])) -> None:
                for statement in statements:
                    session.execute(text(statement)).fetchall()
        else:
            def floor() -> None:
                for part in compiled:
                    session.execute(part.select).fetchall()
        floor_times = sample(floor, cold)
        cold_times = sample(call, cold, warm_up=False, before=cache.RESULTS.clear)
        call()
        warm_times = sample(call, warm, warm_up=False)
        note = "run_query's own cache (per data version and reader)" \
            if name == "monthly revenue by category" else ""
        results += [timed("analytics", f"{name}, cold", cold_times, floor=floor_times, under=2000),
                    timed("analytics", f"{name}, warm", warm_times, under=100, note=note)]
    return [*results, _potential_refit(session)]


def _potential_refit(session: Session) -> Any:
    """The sales-potential model's daily refit, as `crm summaries refresh` runs it from cron (a
    reader scores with the kept model and never waits for it): one fit, timed."""
    from benchmarks.harness import timed

    took = _timed(lambda: potential.refit(session))
    return timed("analytics", "sales potential: daily refit (crm summaries refresh)", [took],
                 note="once a day from cron; readers score with the kept model")


def _summary_refreshes(session: Session) -> list[Any]:
    """Bring every summary (`summaries.registered()`) up to date before the dashboards are timed, so
    that "cold" means an empty result cache over up-to-date summaries; a first build is reported
    (a one-off, like `crm summaries rebuild` after an upgrade)."""
    from benchmarks.harness import timed
    from core.analytics import summaries
    from core.models import SummaryState

    results = []
    for summary in summaries.registered().values():
        built = session.get(SummaryState, summary.name) is None
        took = _timed(lambda summary=summary: summaries.refresh(session, summary))
        note = "first build of the summary tables" if built else "summary already up to date"
        results.append(timed("analytics", f"{summary.name} summary refresh", [took], note=note))
    return results


def run(url: str, username: str, repeat: int) -> str:
    engine = make_engine(url)
    rows = ["| analytic | cold ms | warm ms |", "|---|---:|---:|"]
    with Session(engine) as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        counts = {model.__tablename__: session.scalar(select(func.count()).select_from(model))
                  for model in (Contact, Order)}
        for name, call in _analytics(session, user).items():
            cold, warm = [], []
            for _ in range(repeat):
                cache.RESULTS.clear()
                cold.append(_timed(call))
                warm.append(_timed(call))
            rows.append(f"| {name} | {statistics.median(cold):,.0f} | {statistics.median(warm):,.1f} |")
    engine.dispose()
    sizes = ", ".join(f"{count:,} {table}" for table, count in counts.items())
    return "\n".join([f"{url} as {username} ({sizes}), median of {repeat}:", "", *rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="database URL, e.g. sqlite:////tmp/dash.db")
    parser.add_argument("--user", default="admin", help="whose view to time (default: admin)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(run(args.url, args.user, args.repeat))


if __name__ == "__main__":
    main()
