"""Automation rules: "when <trigger> on <entity>, if <conditions>, do <actions>", made by admins.

Rules are records (admin-only writes, audited, validated). Conditions use the grid views' filter
format and compiler, so a rule and a view agree on what a filter means. The engine that runs them is
in automation_engine.py; the actions are in automation_actions.py.
"""

from __future__ import annotations

from typing import Any, Literal

import pydantic
from pydantic import Field
from sqlalchemy import select
from sqlmodel import Session

from core.errors import CRMError, FieldError, ValidationError
from core.models import AutomationRule, AutomationRun, Stage, User
from core.query.filters import Filter
from core.services.automation_actions import check_actions
from core.services.listing import filtered_select
from core.services.records import EntityRules, EntityService
from core.services.schemas import Input, OptionalId, RequiredText

RECORD_ENTITIES = ("contacts", "companies", "deals", "orders", "activities", "tasks", "cases",
                   "campaigns", "campaign_recipients")
# Trigger -> the entities it applies to.
TRIGGERS: dict[str, tuple[str, ...]] = {
    "created": RECORD_ENTITIES,
    "updated": RECORD_ENTITIES,
    "stage_entered": ("deals",),
    "task_overdue": ("tasks",),
    "campaign_response": ("campaign_recipients",),
    "case_sla_breached": ("cases",),
}
TRIGGER_LABELS = {
    "created": "Record created",
    "updated": "Record updated",
    "stage_entered": "Deal enters a stage",
    "task_overdue": "Task overdue",
    "campaign_response": "Campaign response received",
    "case_sla_breached": "Case SLA breached",
}
SWEEP_TRIGGERS = ("task_overdue", "case_sla_breached")  # found by `crm automation run`
RUN_MODES = ("inline", "queued")


class AutomationRuleIn(Input):
    name: RequiredText = Field(max_length=120)
    entity: str = Field(min_length=1, max_length=32)
    trigger: str = Field(min_length=1, max_length=32)
    stage_id: OptionalId = None
    run_mode: Literal["inline", "queued"] = "inline"
    conditions: list[dict[str, Any]] = Field(default_factory=list)
    actions: list[dict[str, Any]] = Field(default_factory=list)
    active: bool = True


def _check_rule(session: Session, user: User, rule: AutomationRule, values: dict[str, Any]) -> None:
    errors = _check_trigger(session, rule)
    if not errors:  # conditions and actions depend on the entity
        errors += check_conditions(session, user, rule.entity, rule.conditions)
        errors += check_actions(session, rule.entity, rule.actions)
    if errors:
        raise ValidationError(errors, summary=f"The rule {rule.name!r} cannot be saved")
    creator = session.get(User, rule.created_by_id) if rule.created_by_id else None
    if creator is None or not creator.active or creator.deleted_at is not None:
        # The actions run as the rule's creator; an admin saving an orphaned rule takes it over.
        rule.created_by_id = user.id


def _check_trigger(session: Session, rule: AutomationRule) -> list[FieldError]:
    if rule.trigger not in TRIGGERS:
        return [FieldError("trigger", f"unknown trigger {rule.trigger!r}; use one of: {', '.join(TRIGGERS)}")]
    allowed = TRIGGERS[rule.trigger]
    if rule.entity not in allowed:
        return [FieldError("entity", f"the {TRIGGER_LABELS[rule.trigger]!r} trigger works on "
                                     f"{', '.join(allowed)}, not {rule.entity!r}")]
    if rule.trigger != "stage_entered":
        rule.stage_id = None
        return []
    stage = session.get(Stage, rule.stage_id) if rule.stage_id else None
    if stage is None or stage.deleted_at is not None:
        return [FieldError("stage_id", "choose the stage the deal enters")]
    return []


def check_conditions(session: Session, user: User, entity: str,
                     conditions: list[dict[str, Any]]) -> list[FieldError]:
    """Compile the conditions as a grid would: unknown columns and bad values are reported."""
    errors = []
    for number, item in enumerate(conditions, start=1):
        try:
            filtered_select(session, user, entity, [Filter.model_validate(item)])
        except pydantic.ValidationError as exc:
            errors += [FieldError(f"condition {number}", e["msg"]) for e in exc.errors()]
        except ValidationError as error:
            errors += [FieldError(f"condition {number}", e.message) for e in error.errors]
        except CRMError as error:
            errors.append(FieldError(f"condition {number}", str(error)))
    return errors


automation_rules = EntityService(EntityRules("automation_rules", AutomationRuleIn, before_save=_check_rule))


def list_rules(session: Session) -> list[AutomationRule]:
    query = select(AutomationRule).where(AutomationRule.deleted_at.is_(None))
    return list(session.scalars(query.order_by(AutomationRule.id)))


def recent_runs(session: Session, user: User, *, rule_id: int | None = None,
                status: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """The latest runs, newest first, with the rule's name: the log admins read."""
    from core.services.permissions import require_role

    require_role(user, "admin", action="read the automation log")
    query = (select(AutomationRun, AutomationRule.name)
             .join(AutomationRule, AutomationRule.id == AutomationRun.rule_id)
             .order_by(AutomationRun.id.desc()).limit(limit))
    if rule_id is not None:
        query = query.where(AutomationRun.rule_id == rule_id)
    if status:
        query = query.where(AutomationRun.status == status)
    return [
        {"id": run.id, "rule": name, "at": run.at, "entity": run.entity, "record": run.entity_id,
         "status": run.status, "message": run.message}
        for run, name in session.execute(query)
    ]


def describe(rule: AutomationRule, stage_name: str | None = None) -> str:
    """One line for lists: 'Deal enters a stage (Won) on deals, 1 condition -> create_task, notify'."""
    when = TRIGGER_LABELS.get(rule.trigger, rule.trigger) + (f" ({stage_name})" if stage_name else "")
    conditions = f", {len(rule.conditions)} condition(s)" if rule.conditions else ""
    actions = ", ".join(str(a.get("type")) for a in rule.actions)
    return f"{when} on {rule.entity}{conditions} -> {actions}"


def editor_choices(session: Session) -> dict[str, dict[int, str]]:
    """What the rule editor offers to pick from: active users, campaigns, deal stages."""
    from core.models import Campaign, Pipeline

    users = session.scalars(
        select(User).where(User.active, User.deleted_at.is_(None)).order_by(User.username))
    campaigns = session.scalars(
        select(Campaign).where(Campaign.deleted_at.is_(None)).order_by(Campaign.name))
    stages = session.execute(
        select(Stage.id, Stage.name, Pipeline.name).join(Pipeline, Pipeline.id == Stage.pipeline_id)
        .where(Stage.deleted_at.is_(None), Pipeline.deleted_at.is_(None))
        .order_by(Pipeline.position, Pipeline.id, Stage.position))
    return {
        "users": {u.id: f"{u.display_name} ({u.username})" for u in users},
        "campaigns": {c.id: c.name for c in campaigns},
        "stages": {stage_id: f"{pipeline}: {name}" for stage_id, name, pipeline in stages},
    }


def rule_data(rule: AutomationRule) -> dict[str, Any]:
    """A rule as the editable values the form starts from."""
    return {name: getattr(rule, name) for name in AutomationRuleIn.model_fields}
