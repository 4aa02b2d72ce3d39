"""Dimensions: what a metric can be broken down and filtered by, and where each lives.

A dimension lists its sources in order of preference; on a given fact the first source the fact
can reach wins. "city" on contacts is the contact's own city, on deals the deal contact's city, on
companies the company's city. Time dimensions bucket the metric's own date column instead.

Bands (age and household income) are fixed so reports stay comparable over time:
- age band, from contacts.birth_date on the business date: <25, 25-34, 35-44, 45-54, 55-64, 65+,
  unknown (no birth date);
- income band, household_income in EUR a year: <20k, 20k-40k, 40k-60k, 60k-100k, 100k+, unknown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal_column

from core.models import Campaign, Company, Contact, Pipeline, Product, Stage, User
from core.models.base import (
    CAMPAIGN_CHANNELS,
    CASE_STATUSES,
    CHANNELS,
    DEAL_STATUSES,
    DIRECTIONS,
    GENDERS,
    LIFECYCLE_STAGES,
    ORDER_STATUSES,
    PRIORITIES,
    RECIPIENT_STATUSES,
    TASK_STATUSES,
)
from core.query.facts import Fact

AGE_BANDS = ("<25", "25-34", "35-44", "45-54", "55-64", "65+", "unknown")
INCOME_BANDS = ("<20k", "20k-40k", "40k-60k", "60k-100k", "100k+", "unknown")
_INCOME_LIMITS = ((20_000, "<20k"), (40_000, "20k-40k"), (60_000, "40k-60k"), (100_000, "60k-100k"))

Build = Callable[[date], ColumnElement[Any]]


@dataclass(frozen=True)
class FieldRef:
    """An SQL expression on a fact, and the joins it needs."""

    expr: ColumnElement[Any]
    joins: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Source:
    """Where a dimension's value lives: a column of the fact itself (model None) or of a table."""

    build: Build | None = None
    model: type[Any] | None = None
    column: str | None = None  # the fact's own column, when there is no model

    def on(self, fact: Fact, today: date) -> FieldRef | None:
        if self.model is None or self.build is None:
            if self.column not in fact.model.__table__.columns:
                return None
            return FieldRef(getattr(fact.model, str(self.column)))
        reach = fact.reach(self.model)
        if reach is None:
            return None
        return FieldRef(self.build(today), frozenset({reach} if reach else set()))


@dataclass(frozen=True)
class Dimension:
    id: str
    label: str
    description: str = ""
    synonyms: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()
    grain: str | None = None  # day/week/month/quarter/year of the metric's date
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)  # fact id or "*" -> allowed
    custom: str | None = None  # the key in the `custom` JSON of a custom field
    case_insensitive: bool = True  # "milano" matches "Milano" in filters

    def allowed_values(self, fact: Fact) -> tuple[str, ...] | None:
        return self.values.get(fact.id, self.values.get("*"))


def own(column: str) -> Source:
    return Source(column=column)


def at(model: type[Any], build: Build) -> Source:
    return Source(build, model)


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier (Feb 29 falls back to Feb 28)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def age_band(today: date) -> ColumnElement[Any]:
    """Age on `today` in bands: born after the date N years ago means younger than N."""
    born = Contact.birth_date
    limits = [(years_before(today, age), label)
              for age, label in ((25, "<25"), (35, "25-34"), (45, "35-44"), (55, "45-54"), (65, "55-64"))]
    return case((born.is_(None), "unknown"), *((born > cut, label) for cut, label in limits), else_="65+")


def income_band(_today: date) -> ColumnElement[Any]:
    income = Contact.household_income
    return case((income.is_(None), "unknown"),
                *((income < limit, label) for limit, label in _INCOME_LIMITS), else_="100k+")


def contact_name(_today: date) -> ColumnElement[Any]:
    return func.trim(Contact.first_name + literal_column("' '") + func.coalesce(Contact.last_name, ""))


def _time(grain: str, synonyms: tuple[str, ...]) -> Dimension:
    return Dimension(grain, grain.title(), f"The {grain} of the metric's own date", synonyms, grain=grain,
                     case_insensitive=False)


STATUSES = {"deals": DEAL_STATUSES, "orders": ORDER_STATUSES, "tasks": TASK_STATUSES,
            "cases": CASE_STATUSES, "campaign_recipients": RECIPIENT_STATUSES}

DIMENSIONS: dict[str, Dimension] = {d.id: d for d in [
    _time("day", ("date", "daily", "days")),
    _time("week", ("weekly", "weeks", "iso week")),
    _time("month", ("monthly", "months")),
    _time("quarter", ("quarterly", "quarters")),
    _time("year", ("yearly", "annual", "years")),
    Dimension("stage", "Stage", "The deal's current stage", ("deal stage", "stages", "funnel stage"),
              (at(Stage, lambda _t: Stage.name),)),
    Dimension("pipeline", "Pipeline", "The deal's pipeline", ("pipelines",),
              (at(Pipeline, lambda _t: Pipeline.name),)),
    Dimension("owner", "Owner", "Who owns the record (the assignee of tasks and cases)",
              ("salesperson", "sales rep", "rep", "user", "assignee", "agent", "handled by", "owners"),
              (at(User, lambda _t: User.display_name),)),
    Dimension("company", "Company", "The company (an account)", ("account", "organisation",
              "organization", "companies", "accounts"), (at(Company, lambda _t: Company.name),)),
    Dimension("contact", "Contact", "The contact's full name", ("person", "customer name"),
              (at(Contact, contact_name),)),
    Dimension("city", "City", "The contact's city (a company's own city for companies)",
              ("town", "cities", "location"),
              (at(Contact, lambda _t: Contact.city), at(Company, lambda _t: Company.city))),
    Dimension("country", "Country", "The contact's country (a company's own for companies)",
              ("countries", "nation"),
              (at(Contact, lambda _t: Contact.country), at(Company, lambda _t: Company.country))),
    Dimension("industry", "Industry", "The company's industry", ("sector", "industries"),
              (at(Company, lambda _t: Company.industry),)),
    Dimension("lifecycle_stage", "Lifecycle stage", "lead, prospect, customer or former",
              ("lifecycle", "customer status"), (at(Contact, lambda _t: Contact.lifecycle_stage),),
              values={"*": LIFECYCLE_STAGES}),
    Dimension("source", "Source", "Where the record came from (a contact's or deal's lead source)",
              ("lead source", "sources", "origin"),
              (own("source"), at(Contact, lambda _t: Contact.source))),
    Dimension("gender", "Gender", "The contact's gender", ("sex", "genders"),
              (at(Contact, lambda _t: Contact.gender),), values={"*": GENDERS}),
    Dimension("age_band", "Age band", "The contact's age on the business date, in bands",
              ("age", "age group", "age range", "ages"), (at(Contact, age_band),),
              values={"*": AGE_BANDS}),
    Dimension("income_band", "Income band", "Household income in EUR a year, in bands",
              ("income", "household income", "income group", "income range"),
              (at(Contact, income_band),), values={"*": INCOME_BANDS}),
    Dimension("product", "Product", "The product sold", ("products", "item", "items"),
              (at(Product, lambda _t: Product.name),)),
    Dimension("category", "Category", "The product category", ("product category", "categories"),
              (at(Product, lambda _t: Product.category),)),
    Dimension("channel", "Channel", "The channel of an activity, case or campaign",
              ("medium", "channels", "contact channel"),
              (own("channel"), at(Campaign, lambda _t: Campaign.channel)),
              values={"activities": CHANNELS, "cases": CHANNELS, "campaign_recipients": CAMPAIGN_CHANNELS}),
    Dimension("campaign", "Campaign", "The campaign's name", ("campaigns",),
              (at(Campaign, lambda _t: Campaign.name),)),
    Dimension("status", "Status", "The record's own status", ("state", "statuses"),
              (own("status"),), values=STATUSES),
    Dimension("priority", "Priority", "The priority of a task or case", ("priorities", "urgency"),
              (own("priority"),), values={"*": PRIORITIES}),
    Dimension("direction", "Direction", "Inbound or outbound activity", ("inbound or outbound",),
              (own("direction"),), values={"*": DIRECTIONS}),
]}
