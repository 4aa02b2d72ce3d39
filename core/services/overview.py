"""Key figures for the home page, limited to what the user may see, asked of the semantic layer
(the same engine that serves reports and dashboards, so the numbers agree everywhere)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from core.models import User

FIGURES = ("contacts", "customers", "open_deals", "open_pipeline_value", "revenue", "open_tasks",
           "open_cases")
# Figures that compare with the clock: their cached answer lasts a minute, so they are asked apart
# (in one query with them, every figure would be counted again each minute).
CLOCK_FIGURES = ("overdue_tasks",)


@dataclass(frozen=True)
class KeyFigures:
    contacts: int
    customers: int
    open_deals: int
    open_pipeline_value: float
    revenue_this_month: float
    open_tasks: int
    overdue_tasks: int
    open_cases: int


def key_figures(session: Session, user: User) -> KeyFigures:
    # Imported here: the query compiler imports core.services (for permissions).
    from core.query.engine import run_query
    from core.query.spec import QuerySpec

    # The period limits revenue only; the other figures are "now" by definition.
    result = run_query(session, QuerySpec(metrics=list(FIGURES), period="this month"), user)
    values = {name: result.value(name) or 0 for name in FIGURES}
    clocked = run_query(session, QuerySpec(metrics=list(CLOCK_FIGURES)), user)
    values |= {name: clocked.value(name) or 0 for name in CLOCK_FIGURES}
    return KeyFigures(
        contacts=values["contacts"], customers=values["customers"], open_deals=values["open_deals"],
        open_pipeline_value=values["open_pipeline_value"], revenue_this_month=values["revenue"],
        open_tasks=values["open_tasks"], overdue_tasks=values["overdue_tasks"],
        open_cases=values["open_cases"],
    )
