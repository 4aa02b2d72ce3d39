"""`generate_demo`: plan every table in dependency order, then write it all in one transaction."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.config import today
from core.demo.engagement import add_activities, case_rows, plan_campaigns, task_rows
from core.demo.people import (
    Companies,
    People,
    company_rows,
    contact_rows,
    plan_companies,
    plan_people,
    settle_lifecycle,
)
from core.demo.sales import Catalogue, add_products, plan_deals, plan_orders
from core.demo.team import add_pipelines, add_users
from core.demo.world import MIN_CONTACTS, Progress, Shape, World
from core.demo.writer import add_audit, fix_sequences, write
from core.errors import ValidationError
from core.models import Contact, Pipeline, Stage, User


@dataclass
class DemoSummary:
    """What `generate_demo` wrote: rows per table and how long it took."""

    counts: dict[str, int]
    seconds: float = 0.0

    def __str__(self) -> str:
        width = max([len(name) for name in self.counts] + [5])
        lines = [f"{name:<{width}}  {rows:>9,}" for name, rows in self.counts.items()]
        lines.append(f"{'total':<{width}}  {sum(self.counts.values()):>9,}")
        return "\n".join([*lines, f"written in {self.seconds:.1f} s"])


def generate_demo(engine: Engine, *, contacts: int = 2000, seed: int = 42,
                  progress: Progress | None = None, shape: Shape | None = None) -> DemoSummary:
    """Fill an empty, migrated database with `contacts` contacts and about three years of history.

    `shape` sets orders, deals and activities per contact (default: the usual mix).

    One transaction: on any error nothing is written. Demo data mixed into real data would spoil
    both, so a database that already holds contacts is refused with a ValidationError.
    """
    if contacts < MIN_CONTACTS:
        raise ValidationError.single("contacts", f"must be at least {MIN_CONTACTS}")
    began = time.perf_counter()
    with Session(engine, expire_on_commit=False) as session:
        _refuse_non_empty(session)
        world = World(session, np.random.default_rng(seed), random.Random(seed), today(), progress)
        world.shape = shape or Shape()
        _generate(world, contacts)
        session.commit()
        _example_rule(session)
    return DemoSummary(world.counts, round(time.perf_counter() - began, 3))


def _example_rule(session: Session) -> None:
    """The design's example rule, so the automation page shows how a rule reads: when a deal enters
    Won, its owner gets an onboarding task two days later. Made through the service (audited)."""
    from core.services.automation import automation_rules

    admin = session.scalar(select(User).where(User.role == "admin").order_by(User.id))
    won = session.scalar(select(Stage).join(Pipeline, Pipeline.id == Stage.pipeline_id)
                         .where(Pipeline.name == "Sales", Stage.is_won.is_(True)))
    if admin is None or won is None:
        return
    automation_rules.create(session=session, user=admin, source="demo", data={
        "name": "Onboard every won customer", "entity": "deals", "trigger": "stage_entered",
        "stage_id": won.id, "actions": [{"type": "create_task", "title": "Onboarding call: {title}",
                                         "due_in_days": 2, "assignee": "owner"}]})


def _refuse_non_empty(session: Session) -> None:
    held = session.scalar(select(func.count()).select_from(Contact.__table__)) or 0
    if held:
        raise ValidationError.single(
            "database", f"this database already holds {held:,} contacts; "
                        "demo data goes into an empty database")


def _generate(w: World, contacts: int) -> None:
    """Plan what depends on what (orders, deals and campaigns shape the contacts), then write."""
    add_users(w)
    add_pipelines(w)
    catalogue = add_products(w)
    companies = plan_companies(w, max(2, contacts // 8))
    people = plan_people(w, contacts, companies)
    planned = _plan_history(w, people, companies, catalogue)
    settle_lifecycle(w, people)
    _write_all(w, companies, people, planned)
    fix_sequences(w)
    add_audit(w)


def _plan_history(w: World, people: People, companies: Companies,
                  catalogue: Catalogue) -> dict[str, list[dict[str, Any]]]:
    """Orders, deals and campaigns, by table; planning them fills in what the contacts did."""
    orders, lines = plan_orders(w, people, catalogue)
    deals, history = plan_deals(w, people, companies)
    campaigns, recipients = plan_campaigns(w, people)
    return {"orders": orders, "order_lines": lines, "deals": deals, "deal_stage_history": history,
            "campaigns": campaigns, "campaign_recipients": recipients}


def _write_all(w: World, companies: Companies, people: People,
               planned: dict[str, list[dict[str, Any]]]) -> None:
    """Every table in the order foreign keys need (and progress reports)."""
    write(w, "companies", company_rows(w, companies, people))
    write(w, "contacts", contact_rows(w, people))
    for name in ("orders", "order_lines", "deals", "deal_stage_history"):
        write(w, name, planned[name])
    add_activities(w, people)
    write(w, "tasks", task_rows(w, people))
    write(w, "cases", case_rows(w, people))
    for name in ("campaigns", "campaign_recipients"):
        write(w, name, planned[name])
