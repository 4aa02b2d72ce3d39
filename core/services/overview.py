"""Key figures for the home page, limited to what the user may see.

These are simple counts and sums; the analytics issue moves them onto the semantic layer.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session

from core.config import now, start_of_day, today
from core.models import Case, Contact, Deal, Order, Task, User
from core.services.permissions import visible_clause


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
    def count(model, *conditions) -> int:  # type: ignore[no-untyped-def]
        query = select(func.count()).select_from(model).where(
            model.deleted_at.is_(None), visible_clause(user, model), *conditions)
        return int(session.scalar(query) or 0)

    def total(column, model, *conditions) -> float:  # type: ignore[no-untyped-def]
        query = select(func.coalesce(func.sum(column), 0)).where(
            model.deleted_at.is_(None), visible_clause(user, model), *conditions)
        return float(session.scalar(query) or 0)

    month_start = start_of_day(today().replace(day=1))
    return KeyFigures(
        contacts=count(Contact),
        customers=count(Contact, Contact.lifecycle_stage == "customer"),
        open_deals=count(Deal, Deal.status == "open"),
        open_pipeline_value=total(Deal.amount, Deal, Deal.status == "open"),
        revenue_this_month=total(Order.total, Order, Order.ordered_at >= month_start,
                                 Order.status != "cancelled"),
        open_tasks=count(Task, Task.status == "open"),
        overdue_tasks=count(Task, Task.status == "open", Task.due_at < now()),
        open_cases=count(Case, Case.status.in_(("new", "open", "waiting"))),
    )
