"""Per entity: turn the file's rows into a Plan of creations and updates, recording every bad cell.

Nothing here writes (except the default pipeline, created on first use as the deal service does; the
import rolls it back with everything else when the file is rejected or is a dry run).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from core.models import Pipeline, Product, Stage
from core.models.base import ACTIVITY_SOURCES
from core.services.deals import ensure_default_pipeline
from core.services.import_checks import (
    Context,
    Plan,
    Row,
    cells,
    contacts_by_email,
    fetch_in,
    settle,
)
from core.services.import_orders import plan_orders
from core.services.schemas import ActivityIn, ContactIn, DealIn, ProductIn

CONTACT_CELLS = ("first_name", "last_name", "email", "phone", "city", "country", "gender",
                 "household_income", "lifecycle_stage", "source", "best_time_to_call")
PRODUCT_CELLS = ("sku", "name", "category", "price")
ACTIVITY_CELLS = ("channel", "direction", "subject", "notes", "outcome")


# ---- contacts ------------------------------------------------------------------------------------


def plan_contacts(ctx: Context, rows: list[Row]) -> Plan:
    ctx.load_companies()
    emails = [ctx.email_key(raw.get("email")) for _, raw in rows]  # two spellings of one address match
    existing = contacts_by_email(ctx.session, emails)
    plan, seen = Plan(), {}
    for done, ((line, raw), email) in enumerate(zip(rows, emails, strict=True)):
        if email and not ctx.first_time(seen, email, line, "email", f"email {email}"):
            continue
        current = existing.get(email) if email else None
        if current is not None and ctx.on_duplicate == "skip":
            plan.skipped += 1
        else:
            _plan_contact(ctx, plan, line, raw, current)
        ctx.tick(done, len(rows))
    return plan


def _plan_contact(ctx: Context, plan: Plan, line: int, raw: dict[str, Any],
                  current: dict[str, Any] | None) -> None:
    errors = len(ctx.errors)
    data = cells(raw, CONTACT_CELLS)
    if raw.get("birth_date") is not None:
        data["birth_date"] = ctx.when(line, "birth_date", raw["birth_date"], date_only=True)
    if raw.get("owner") is not None:
        data["owner_id"] = ctx.owner(line, raw["owner"])
    created_at = ctx.when(line, "created_at", raw.get("created_at"))
    extra = {"company_id": ctx.company(line, raw.get("company"), current and current["company_id"]),
             "custom": ctx.custom(line, raw, current and current["custom"])}
    if len(ctx.errors) == errors:
        settle(ctx, plan, line, ContactIn, data, current, extra, created_at)


# ---- products ------------------------------------------------------------------------------------


def plan_products(ctx: Context, rows: list[Row]) -> Plan:
    table = Product.__table__  # type: ignore[attr-defined]
    skus = (raw["sku"].strip().lower() for _, raw in rows if raw.get("sku"))
    existing: dict[str, dict[str, Any]] = {}  # deleted ones too: a SKU stays unique after deletion
    for row in fetch_in(ctx.session, table, func.lower(table.c.sku), skus):
        existing.setdefault(row["sku"].lower(), dict(row))
    plan, seen = Plan(), {}
    for done, (line, raw) in enumerate(rows):
        sku = (raw.get("sku") or "").strip().lower()
        if sku and not ctx.first_time(seen, sku, line, "sku", f"SKU {raw['sku']}"):
            continue
        _plan_product(ctx, plan, line, raw, existing.get(sku))
        ctx.tick(done, len(rows))
    return plan


def _plan_product(ctx: Context, plan: Plan, line: int, raw: dict[str, Any],
                  current: dict[str, Any] | None) -> None:
    if current is not None and current["deleted_at"] is not None:
        ctx.error(line, "sku", f"SKU {raw['sku']} belongs to a deleted product: "
                               "restore it, or use another SKU")
    elif current is not None and ctx.on_duplicate == "skip":
        plan.skipped += 1
    else:
        errors = len(ctx.errors)
        custom = ctx.custom(line, raw, current and current["custom"])
        data = cells(raw, PRODUCT_CELLS)
        if current is not None:
            data["sku"] = current["sku"]  # matched ignoring case: the stored spelling stays
        if len(ctx.errors) == errors:
            settle(ctx, plan, line, ProductIn, data, current, {"custom": custom})


# ---- deals ---------------------------------------------------------------------------------------


class Pipelines:
    """Pipelines by name with their stages in order; the default pipeline is made on first need."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.by_name = {p.name.lower(): p for p in ctx.session.scalars(
            select(Pipeline).where(Pipeline.deleted_at.is_(None)).order_by(Pipeline.position, Pipeline.id))}
        self.stages: dict[int, list[Stage]] = {}
        for stage in ctx.session.scalars(select(Stage).where(Stage.deleted_at.is_(None))
                                         .order_by(Stage.position, Stage.id)):
            self.stages.setdefault(stage.pipeline_id, []).append(stage)
        self.default: Pipeline | None = None

    def find(self, line: int, name: str | None) -> Pipeline | None:
        if name is None:
            return self.default_pipeline()
        found = self.by_name.get(name.strip().lower())
        if found is None and self.default is None:  # e.g. "Sales" before the first deal made it
            self.default_pipeline()
            found = self.by_name.get(name.strip().lower())
        if found is None:
            names = ", ".join(p.name for p in self.by_name.values()) or "none yet"
            self.ctx.error(line, "pipeline", f"there is no pipeline {name!r} (pipelines: {names})")
        return found

    def default_pipeline(self) -> Pipeline:
        if self.default is None:
            self.default = ensure_default_pipeline(self.ctx.session, self.ctx.user)
            self.by_name.setdefault(self.default.name.lower(), self.default)
            self.stages.setdefault(self.default.id, ensure_stages(self.ctx, self.default))
        return self.default

    def stage(self, line: int, pipeline: Pipeline, name: str | None) -> Stage | None:
        stages = self.stages.get(pipeline.id, [])
        if name is None and stages:
            return stages[0]  # as the deal service does: a new deal starts in the first stage
        found = next((s for s in stages if s.name.lower() == (name or "").strip().lower()), None)
        if found is None:
            names = ", ".join(s.name for s in stages) or "none"
            self.ctx.error(line, "stage", f"there is no stage {name!r} in the {pipeline.name} pipeline "
                                          f"(its stages: {names})")
        return found


def ensure_stages(ctx: Context, pipeline: Pipeline) -> list[Stage]:
    query = select(Stage).where(Stage.pipeline_id == pipeline.id, Stage.deleted_at.is_(None))
    return list(ctx.session.scalars(query.order_by(Stage.position, Stage.id)))


def plan_deals(ctx: Context, rows: list[Row]) -> Plan:
    ctx.load_companies()
    contacts = ctx.contacts_named(rows)
    pipelines, plan = Pipelines(ctx), Plan()
    for done, (line, raw) in enumerate(rows):
        _plan_deal(ctx, plan, line, raw, contacts, pipelines)
        ctx.tick(done, len(rows))
    return plan


def _plan_deal(ctx: Context, plan: Plan, line: int, raw: dict[str, Any],
               contacts: dict[str, dict[str, Any]], pipelines: Pipelines) -> None:
    errors = len(ctx.errors)
    pipeline = pipelines.find(line, raw.get("pipeline"))
    stage = pipelines.stage(line, pipeline, raw.get("stage")) if pipeline else None
    created_at = ctx.when(line, "created_at", raw.get("created_at"))
    closed_at = ctx.when(line, "closed_at", raw.get("closed_at"))
    contact = ctx.contact(line, contacts, raw.get("contact_email"))
    data = {**cells(raw, ("title", "amount")), "owner_id": ctx.owner(line, raw.get("owner")),
            "contact_id": contact and contact["id"], "pipeline_id": pipeline and pipeline.id,
            "stage_id": stage and stage.id}
    extra = {"company_id": ctx.company(line, raw.get("company")), "custom": ctx.custom(line, raw, None)}
    if stage is not None:
        extra["status"], extra["closed_at"] = deal_close(ctx, line, stage, raw.get("status"),
                                                         created_at, closed_at)
    if len(ctx.errors) == errors:
        planned = settle(ctx, plan, line, DealIn, data, None, extra, created_at)
        if planned is not None:  # its stay in the stage began when it closed, or when it began
            planned.extra = extra["closed_at"] or created_at or ctx.now


def deal_close(ctx: Context, line: int, stage: Stage, status: str | None, created_at: Any,
               closed_at: Any) -> tuple[str, Any]:
    """The status a deal's stage implies (as the deal service derives it) and its closing moment."""
    implied = "won" if stage.is_won else "lost" if stage.is_lost else "open"
    if status is not None and status.strip().lower() != implied:
        ctx.error(line, "status", f"must be {implied} (or blank) for a deal in stage {stage.name}")
    if implied == "open":
        if closed_at is not None:
            ctx.error(line, "closed_at", f"must be blank: stage {stage.name} is not a closed stage")
        return implied, None
    if closed_at is not None and created_at is not None and closed_at < created_at:
        ctx.error(line, "closed_at", "is before created_at")
    return implied, closed_at or ctx.now


# ---- activities ----------------------------------------------------------------------------------


def plan_activities(ctx: Context, rows: list[Row]) -> Plan:
    contacts = ctx.contacts_named(rows)
    source = ctx.source if ctx.source in ACTIVITY_SOURCES else "import"  # the column's vocabulary
    plan = Plan()
    for done, (line, raw) in enumerate(rows):
        errors = len(ctx.errors)
        contact = ctx.contact(line, contacts, raw.get("contact_email"))
        data = {**cells(raw, ACTIVITY_CELLS), "source": source,
                "owner_id": ctx.owner(line, raw.get("owner")),
                "occurred_at": ctx.when(line, "occurred_at", raw.get("occurred_at")) or ctx.now,
                "contact_id": contact and contact["id"], "company_id": contact and contact["company_id"]}
        extra = {"custom": ctx.custom(line, raw, None)}
        if len(ctx.errors) == errors:
            settle(ctx, plan, line, ActivityIn, data, None, extra)
        ctx.tick(done, len(rows))
    return plan


PLANNERS: dict[str, Callable[[Context, list[Row]], Plan]] = {
    "contacts": plan_contacts,
    "products": plan_products,
    "orders": plan_orders,
    "deals": plan_deals,
    "activities": plan_activities,
}
