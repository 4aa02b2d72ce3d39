"""Fact tables (what metrics count or sum) and the joins that reach the tables around them.

Each fact lists the lookup tables it can reach and how. A table appears at most once per fact, so
"reach the Company table from deals" has a single answer, and the compiler adds a join only when a
dimension, filter or metric needs it. Lookups are LEFT OUTER joins with `deleted_at IS NULL` in the
ON clause: a fact row still counts when its company was deleted, it just has no company name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, FromClause, and_, func

from core.models import (
    Activity,
    Campaign,
    CampaignRecipient,
    Case,
    Company,
    Contact,
    Deal,
    Order,
    OrderLine,
    Pipeline,
    Product,
    Stage,
    Task,
    User,
)


@dataclass(frozen=True)
class Join:
    """How a fact reaches one more table."""

    model: type[Any]
    on: Callable[[], ColumnElement[bool]]
    requires: tuple[str, ...] = ()  # joins that must come first (product needs order lines)
    fanout: bool = False  # several rows per fact row: counts must count distinct fact ids
    inner: bool = False  # the fact row only exists through it (a recipient's campaign)


@dataclass(frozen=True)
class Fact:
    """A table metrics aggregate over, with the tables reachable from it."""

    id: str
    model: type[Any]
    entity: str  # the entity name custom fields are defined under
    joins: dict[str, Join] = field(default_factory=dict)
    always: tuple[str, ...] = ()  # joins every query needs (e.g. for permissions)
    guarded_by: tuple[type[Any], ...] = ()  # more tables whose read permission the rows inherit
    # Columns computed from others, usable in a metric's conditions like a real column.
    derived: dict[str, Callable[[], Any]] = field(default_factory=dict)

    def column(self, name: str) -> Any:
        return self.derived[name]() if name in self.derived else getattr(self.model, name)

    def reach(self, model: type[Any]) -> str | None:
        """'' when `model` is the fact itself, the join's name when reachable, else None."""
        if model is self.model:
            return ""
        return next((name for name, join in self.joins.items() if join.model is model), None)

    def join_order(self, names: set[str]) -> list[str]:
        """`names` plus the joins they require, dependencies first."""
        ordered: list[str] = []

        def visit(name: str) -> None:
            for needed in self.joins[name].requires:
                visit(needed)
            if name not in ordered:
                ordered.append(name)

        for name in sorted(set(names) | set(self.always)):
            visit(name)
        return ordered

    def source(self, names: set[str], grouped: set[str] | frozenset[str] = frozenset()) -> FromClause:
        """The fact table joined to the tables `names` need (lookups as LEFT OUTER joins).

        A one-to-many join that a dimension or filter goes through (`grouped`) is inner: an order
        without lines has no product or category, so it has no place in "revenue by category".
        """
        through = set(self.join_order(set(grouped))) if grouped else set()
        clause: FromClause = self.model.__table__
        for name in self.join_order(names):
            join = self.joins[name]
            inner = join.inner or (join.fanout and name in through)
            clause = clause.join(join.model.__table__, join.on(), isouter=not inner)
        return clause

    def fans_out(self, names: set[str]) -> bool:
        """Whether joining `names` can repeat a fact row (orders joined to their lines)."""
        return any(self.joins[name].fanout for name in self.join_order(names))


def _lookup(model: type[Any], key: Any, *, requires: tuple[str, ...] = ()) -> Join:
    """A many-to-one lookup of `model` by its id, skipping deleted rows."""
    deleted = getattr(model, "deleted_at", None)

    def on() -> ColumnElement[bool]:
        clause = model.id == key
        return and_(clause, deleted.is_(None)) if deleted is not None else clause

    return Join(model, on, requires=requires)


def _people(fact: type[Any], owner_column: str, company: bool = True) -> dict[str, Join]:
    """The contact, company (own column or the contact's) and owner joins most facts share."""
    joins = {"contact": _lookup(Contact, fact.contact_id),
             "owner": _lookup(User, getattr(fact, owner_column))}
    if company:
        joins["company"] = _lookup(Company, fact.company_id)
    else:
        joins["company"] = _lookup(Company, Contact.company_id, requires=("contact",))
    return joins


FACTS: dict[str, Fact] = {
    "contacts": Fact("contacts", Contact, "contacts", {
        "company": _lookup(Company, Contact.company_id),
        "owner": _lookup(User, Contact.owner_id),
    }),
    "companies": Fact("companies", Company, "companies", {"owner": _lookup(User, Company.owner_id)}),
    "orders": Fact("orders", Order, "orders", {
        "lines": Join(OrderLine, lambda: OrderLine.order_id == Order.id, fanout=True),
        "product": _lookup(Product, OrderLine.product_id, requires=("lines",)),
        **_people(Order, "owner_id"),
    }),
    "deals": Fact("deals", Deal, "deals", {
        "stage": _lookup(Stage, Deal.stage_id),
        "pipeline": _lookup(Pipeline, Deal.pipeline_id),
        **_people(Deal, "owner_id"),
    }),
    "activities": Fact("activities", Activity, "activities", _people(Activity, "owner_id")),
    "tasks": Fact("tasks", Task, "tasks", _people(Task, "assignee_id", company=False)),
    "cases": Fact("cases", Case, "cases", _people(Case, "assignee_id")),
    # A recipient is visible when its campaign is: the campaign join is inner and always present.
    "campaign_recipients": Fact("campaign_recipients", CampaignRecipient, "campaign_recipients", {
        "campaign": Join(Campaign, lambda: and_(Campaign.id == CampaignRecipient.campaign_id,
                                                Campaign.deleted_at.is_(None)), inner=True),
        "contact": _lookup(Contact, CampaignRecipient.contact_id),
        "company": _lookup(Company, Contact.company_id, requires=("contact",)),
        "owner": _lookup(User, Campaign.owner_id, requires=("campaign",)),
    }, always=("campaign",), guarded_by=(Campaign,), derived={
        # What the person answered: the response when one is recorded, else the status (older
        # rows and imports keep the answer in the status).
        "answer": lambda: func.coalesce(CampaignRecipient.response, CampaignRecipient.status),
    }),
}
