"""The catalogue: named metrics (what to compute) and dimensions (what to break them down by).

A metric is an aggregate over one fact table, with fixed conditions and its own date column: the
period and the time dimensions (month, quarter...) apply to that column. Metrics without a date
("contacts", "open pipeline value") are current counts: a period does not limit them.

Decisions worth knowing:
- orders, revenue, units sold and average order value leave out cancelled orders and quotes; revenue is
  sum(quantity * unit_price) over the order lines, dated by the order's ordered_at;
- win rate = won / (won + lost) deals closed in the period; open deals are not in it;
- campaign response rate = responses / recipients contacted, where a response is a recipient whose
  answer (the recorded response, else the status) is replied, interested or not_interested (opened
  and clicked are engagement, not a response) and contacted means any status but pending; both
  dated by the recipient's sent_at;
- average resolution time is in days (fractional) from opened_at to resolved_at, over resolved or
  closed cases, dated by resolved_at;
- soft-deleted rows (deleted_at set) are never counted.
"""

from __future__ import annotations

import copy
import difflib
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement

from core.errors import FieldError, ValidationError
from core.models import Case, Deal, OrderLine, Stage
from core.models.base import NOT_SOLD_ORDER_STATUSES
from core.query.dimensions import DIMENSIONS, Dimension
from core.query.facts import FACTS
from core.query.sqlfuncs import days_between

Unit = Literal["count", "currency", "percent", "days"]
Kind = Literal["count", "sum", "avg", "ratio"]
NOW = "now()"  # a condition value meaning "the current moment", resolved when the query compiles
Cond = tuple[str, str, Any]  # (column of the fact, operator, value)
NOT_CANCELLED: Cond = ("status", "not in", NOT_SOLD_ORDER_STATUSES)  # quotes are not sales either
OPEN: Cond = ("status", "=", "open")
RESPONDED = ("replied", "interested", "not_interested")


@dataclass(frozen=True)
class Metric:
    id: str
    label: str
    fact: str
    unit: Unit
    description: str
    synonyms: tuple[str, ...] = ()
    kind: Kind = "count"
    value: Callable[[], ColumnElement[Any]] | None = None  # what sum/avg aggregate
    where: tuple[Cond, ...] = ()
    date: str | None = None  # the fact's column the period and time dimensions use
    joins: tuple[str, ...] = ()
    ratio: tuple[str, str] | None = None  # (numerator, denominator) metric ids

    @property
    def additive(self) -> bool:
        """Counts and sums: a missing group means 0. Ratios and averages stay empty instead."""
        return self.kind in ("count", "sum")


def _m(id: str, label: str, fact: str, unit: Unit, description: str, synonyms: tuple[str, ...] = (),
       **options: Any) -> Metric:
    return Metric(id, label, fact, unit, description, synonyms, **options)


def _line_amount() -> ColumnElement[Any]:
    return OrderLine.quantity * OrderLine.unit_price


METRICS: dict[str, Metric] = {m.id: m for m in [
    _m("contacts", "Contacts", "contacts", "count", "All contacts now (a period does not limit it)",
       ("people", "persons", "contact count", "number of contacts")),
    _m("new_contacts", "New contacts", "contacts", "count", "Contacts created in the period",
       ("contacts added", "new people", "new persons", "signups", "contacts created"), date="created_at"),
    _m("customers", "Customers", "contacts", "count", "Contacts whose lifecycle stage is customer",
       ("clients", "customer count", "number of customers"), where=(("lifecycle_stage", "=", "customer"),)),
    _m("companies", "Companies", "companies", "count", "All companies (accounts)",
       ("accounts", "organisations", "organizations", "number of companies")),
    _m("orders", "Orders", "orders", "count", "Orders placed, cancelled ones left out",
       ("order count", "number of orders", "purchases"), where=(NOT_CANCELLED,), date="ordered_at"),
    _m("revenue", "Revenue", "orders", "currency", "Sum of quantity x unit price of order lines, "
       "cancelled orders left out", ("sales", "turnover", "income", "sales amount", "gross sales"),
       kind="sum", value=_line_amount, where=(NOT_CANCELLED,), date="ordered_at", joins=("lines",)),
    _m("average_order_value", "Average order value", "orders", "currency", "Revenue / orders",
       ("aov", "average order", "average basket", "basket size", "avg order value"),
       kind="ratio", ratio=("revenue", "orders"), date="ordered_at"),
    _m("units_sold", "Units sold", "orders", "count", "Sum of order line quantities",
       ("units", "quantity sold", "items sold", "quantity"), kind="sum",
       value=lambda: OrderLine.quantity, where=(NOT_CANCELLED,), date="ordered_at", joins=("lines",)),
    _m("deals", "Deals", "deals", "count", "Deals created in the period",
       ("opportunities", "opps", "deal count", "number of deals", "new deals"), date="created_at"),
    _m("open_deals", "Open deals", "deals", "count", "Deals open now",
       ("open opportunities", "active deals"), where=(OPEN,)),
    _m("open_pipeline_value", "Open pipeline value", "deals", "currency", "Sum of the amounts of open deals",
       ("pipeline", "pipeline value", "open pipeline", "pipeline amount"), kind="sum",
       value=lambda: Deal.amount, where=(OPEN,)),
    _m("weighted_pipeline", "Weighted pipeline", "deals", "currency",
       "Sum of amount x stage probability of open deals", ("weighted pipeline value", "forecast",
       "weighted forecast"), kind="sum", value=lambda: Deal.amount * Stage.probability / 100.0,
       where=(OPEN,), joins=("stage",)),
    _m("won_deals", "Won deals", "deals", "count", "Deals won, by close date",
       ("deals won", "wins", "won opportunities", "closed won"), where=(("status", "=", "won"),),
       date="closed_at"),
    _m("won_amount", "Won amount", "deals", "currency", "Sum of the amounts of deals won",
       ("won revenue", "won value", "bookings", "amount won"), kind="sum", value=lambda: Deal.amount,
       where=(("status", "=", "won"),), date="closed_at"),
    _m("lost_deals", "Lost deals", "deals", "count", "Deals lost, by close date",
       ("deals lost", "losses", "lost opportunities", "closed lost"), where=(("status", "=", "lost"),),
       date="closed_at"),
    _m("closed_deals", "Closed deals", "deals", "count", "Deals won or lost, by close date",
       ("deals closed",), where=(("status", "in", ("won", "lost")),), date="closed_at"),
    _m("win_rate", "Win rate", "deals", "percent", "Won deals / (won + lost deals), by close date",
       ("close rate", "conversion rate", "success rate", "win ratio", "win percentage"),
       kind="ratio", ratio=("won_deals", "closed_deals"), date="closed_at"),
    _m("average_won_deal_size", "Average won deal size", "deals", "currency", "Won amount / won deals",
       ("average deal size", "avg deal size", "average deal value", "average won amount"),
       kind="ratio", ratio=("won_amount", "won_deals"), date="closed_at"),
    _m("average_days_to_close", "Average days to close", "deals", "days",
       "Mean days from creation to close of won deals", ("days to close", "sales cycle",
       "time to close", "sales cycle length", "average sales cycle"), kind="avg",
       value=lambda: days_between(Deal.closed_at, Deal.created_at), where=(("status", "=", "won"),),
       date="closed_at"),
    _m("activities", "Activities", "activities", "count", "Interactions on every channel",
       ("interactions", "touches", "touchpoints", "activity count"), date="occurred_at"),
    _m("calls", "Calls", "activities", "count", "Phone activities", ("phone calls", "calls made"),
       where=(("channel", "=", "phone"),), date="occurred_at"),
    _m("emails", "Emails", "activities", "count", "Email activities", ("emails sent", "e-mails", "mails"),
       where=(("channel", "=", "email"),), date="occurred_at"),
    _m("meetings", "Meetings", "activities", "count", "Meeting activities", ("meetings held", "visits"),
       where=(("channel", "=", "meeting"),), date="occurred_at"),
    _m("open_tasks", "Open tasks", "tasks", "count", "Tasks still open now",
       ("to-dos", "todos", "pending tasks", "tasks open", "reminders"), where=(OPEN,)),
    _m("overdue_tasks", "Overdue tasks", "tasks", "count", "Open tasks whose due time has passed",
       ("late tasks", "overdue", "tasks overdue", "missed tasks"), where=(OPEN, ("due_at", "<", NOW))),
    _m("cases", "Cases", "cases", "count", "Support cases opened in the period",
       ("tickets", "support cases", "cases opened", "support tickets"), date="opened_at"),
    _m("open_cases", "Open cases", "cases", "count", "Cases new, open or waiting now",
       ("open tickets", "backlog", "unresolved cases"),
       where=(("status", "in", ("new", "open", "waiting")),)),
    _m("breached_cases", "Breached cases", "cases", "count",
       "Cases new, open or waiting past their SLA due time now",
       ("sla breaches", "breached tickets", "cases past sla", "overdue cases"),
       where=(("status", "in", ("new", "open", "waiting")), ("sla_due_at", "<", NOW))),
    _m("average_resolution_time", "Average resolution time", "cases", "days",
       "Mean days from opening to resolution of resolved or closed cases, by resolution date",
       ("resolution time", "time to resolve", "avg resolution time", "time to resolution"), kind="avg",
       value=lambda: days_between(Case.resolved_at, Case.opened_at),
       where=(("status", "in", ("resolved", "closed")), ("resolved_at", "is not empty", None)),
       date="resolved_at"),
    _m("campaign_recipients", "Campaign recipients", "campaign_recipients", "count",
       "Contacts targeted by campaigns, by the date they were added", ("recipients", "audience",
       "targeted contacts"), date="created_at"),
    _m("contacted_recipients", "Recipients contacted", "campaign_recipients", "count",
       "Recipients a campaign message went to (status not pending), by sent date",
       ("messages sent", "recipients contacted", "campaign messages sent"),
       where=(("status", "!=", "pending"),), date="sent_at"),
    _m("campaign_responses", "Campaign responses", "campaign_recipients", "count",
       "Recipients who replied, are interested or not interested, by sent date",
       ("responses", "replies", "campaign replies"), where=(("answer", "in", RESPONDED),), date="sent_at"),
    _m("response_rate", "Response rate", "campaign_recipients", "percent",
       "Campaign responses / recipients contacted", ("campaign response rate", "reply rate",
       "response ratio"), kind="ratio", ratio=("campaign_responses", "contacted_recipients"),
       date="sent_at"),
]}


def normalise(name: str) -> str:
    """Case, underscores, dashes and extra spaces do not matter when naming things."""
    return " ".join(name.lower().replace("_", " ").replace("-", " ").split())


def _index(items: dict[str, Any]) -> dict[str, str]:
    index: dict[str, str] = {}
    for item in items.values():
        for name in (item.id, item.label, *item.synonyms):
            index.setdefault(normalise(name), item.id)
    return index


METRIC_NAMES = _index(METRICS)
DIMENSION_NAMES = _index(DIMENSIONS)


def lookup(index: dict[str, str], name: str) -> str | None:
    """The id `name` means (an id, label or synonym; a trailing plural 's' is forgiven)."""
    key = normalise(name)
    found = index.get(key)
    if found is None and key.endswith("s"):
        found = index.get(key[:-1])
    return found


def unknown(kind: str, name: str, known: list[str], index: dict[str, str]) -> ValidationError:
    """The error for an unknown name: what exists, and the closest match when there is one."""
    close = difflib.get_close_matches(normalise(name), list(index), n=1, cutoff=0.75)
    hint = f" Did you mean '{index[close[0]]}'?" if close else ""
    message = f"Unknown {kind} {name!r}.{hint} Known {kind}s: {', '.join(known)}"
    return ValidationError([FieldError(f"{kind}s", message)], summary="Cannot run the query")


def resolve_metric(name: str) -> Metric:
    """The metric named `name` (id, label or synonym, any case); ValidationError listing all."""
    found = lookup(METRIC_NAMES, name)
    if found is None:
        raise unknown("metric", name, list(METRICS), METRIC_NAMES)
    return METRICS[found]


def resolve_dimension(name: str, session: Any = None) -> Dimension:
    """The dimension named `name`: a catalogue dimension or a custom field ("custom.<name>", or
    its bare name or label when a session is given and it is unique)."""
    from core.query.fields import custom_dimension  # fields imports the catalogue

    found = lookup(DIMENSION_NAMES, name)
    if found is not None:
        return DIMENSIONS[found]
    custom = custom_dimension(name, session)
    if custom is not None:
        return custom
    raise unknown("dimension", name, [*DIMENSIONS, "custom.<field>"], DIMENSION_NAMES)


def supported_dimensions(metric: Metric) -> list[str]:
    """The dimension ids `metric` can be broken down by (custom fields not listed)."""
    fact = FACTS[metric.fact]
    names = []
    for dimension in DIMENSIONS.values():
        if dimension.grain is not None:
            if metric.date is not None:
                names.append(dimension.id)
        elif any(fact.reach(s.model) is not None if s.model else s.column in fact.model.__table__.columns
                 for s in dimension.sources):
            names.append(dimension.id)
    return names


def describe_catalog() -> list[dict[str, Any]]:
    """Every metric and dimension, as plain dicts for pickers, help pages and the assistant (a
    copy each call: the catalogue is fixed, working it out took a tenth of a second per page run)."""
    return copy.deepcopy(_described())


@functools.cache
def _described() -> list[dict[str, Any]]:
    metrics = [{"kind": "metric", "id": m.id, "label": m.label, "synonyms": list(m.synonyms),
                "description": m.description, "unit": m.unit, "fact": m.fact, "date": m.date,
                "dimensions": supported_dimensions(m)} for m in METRICS.values()]
    dimensions = [{"kind": "dimension", "id": d.id, "label": d.label, "synonyms": list(d.synonyms),
                   "description": d.description,
                   "values": list(dict.fromkeys(v for vs in d.values.values() for v in vs)),
                   "metrics": [m.id for m in METRICS.values() if d.id in supported_dimensions(m)]}
                  for d in DIMENSIONS.values()]
    return metrics + dimensions
