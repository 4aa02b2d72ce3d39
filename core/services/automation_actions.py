"""What an automation rule does. Each action type checks its parameters when the rule is saved (with
a message that says what to fix) and runs through the entity services as the rule's creator, so
permissions apply and every write is audited with source "automation".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pydantic
from sqlalchemy import select
from sqlmodel import Session

from core.config import now
from core.errors import CRMError, FieldError
from core.models import Campaign, CampaignRecipient, Contact, Editable, User
from core.services import custom_fields
from core.services.automation_templates import check_template, render
from core.services.mailer import Mailer
from core.services.notifications import notify
from core.services.records import audit, snapshot

SOURCE = "automation"


class ActionSkipped(CRMError):
    """Nothing to do for this record (e.g. no email address): noted in the run, not an error."""


@dataclass(frozen=True)
class Context:
    session: Session
    actor: User  # the rule's creator: the user the actions run as
    entity: str
    record: Editable
    rule_name: str


Check = Callable[[Session, str, dict[str, Any]], list[str]]
Run = Callable[[Context, dict[str, Any]], str]


@dataclass(frozen=True)
class ActionType:
    label: str
    check: Check
    run: Run


# ---- helpers: people, contacts, templates ---------------------------------------------------


def record_contact(session: Session, entity: str, record: Editable) -> Contact | None:
    """The contact a record is about: itself, or the one it links to."""
    if isinstance(record, Contact):
        return record
    contact_id = getattr(record, "contact_id", None)
    return session.get(Contact, contact_id) if contact_id else None


def record_owner_id(session: Session, entity: str, record: Editable) -> int | None:
    """The record's owner (or assignee); for a record without one, its contact's owner."""
    if record.owner_field and getattr(record, record.owner_field, None):
        return int(getattr(record, record.owner_field))
    contact = record_contact(session, entity, record)
    return contact.owner_id if contact is not None and contact is not record else None


def _check_user_choice(session: Session, value: Any, allow_owner: bool = True) -> list[str]:
    if allow_owner and value == "owner":
        return []
    user = session.get(User, _as_int(value)) if _as_int(value) else None
    if user is None or user.deleted_at is not None or not user.active:
        hint = '"owner" or ' if allow_owner else ""
        return [f"choose {hint}an active user (got {value!r})"]
    return []


def _resolve_user(ctx: Context, value: Any) -> int:
    if value == "owner":
        owner = record_owner_id(ctx.session, ctx.entity, ctx.record)
        if owner is None:
            raise ActionSkipped(f"this {ctx.entity[:-1]} has no owner")
        return owner
    return int(value)


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _number(params: dict[str, Any], name: str, low: float, high: float) -> list[str]:
    value = params.get(name, 0) or 0
    try:
        number = float(value)
    except (TypeError, ValueError):
        return [f"{name} must be a number (got {value!r})"]
    return [] if low <= number <= high else [f"{name} must be between {low:g} and {high:g}"]


def _service(entity: str) -> Any:
    from core.services import SERVICES  # the package imports this module

    return SERVICES.get(entity)


# ---- the actions ---------------------------------------------------------------------------


def _check_create_task(session: Session, entity: str, params: dict[str, Any]) -> list[str]:
    problems = check_template(session, entity, params.get("title"), "title")
    problems += _number(params, "due_in_days", -3650, 3650) + _number(params, "due_in_hours", -1000, 1000)
    return problems + _check_user_choice(session, params.get("assignee", "owner"))


def _run_create_task(ctx: Context, params: dict[str, Any]) -> str:
    from core.services.activities import tasks

    due = now() + timedelta(days=float(params.get("due_in_days") or 0),
                            hours=float(params.get("due_in_hours") or 0))
    contact = record_contact(ctx.session, ctx.entity, ctx.record)
    data: dict[str, Any] = {
        "title": render(ctx.record, params["title"])[:300], "due_at": due.replace(microsecond=0),
        "assignee_id": _resolve_user(ctx, params.get("assignee", "owner")),
        "contact_id": contact.id if contact else None,
        "notes": f"Created by the automation rule {ctx.rule_name!r}.",
    }
    if ctx.entity in ("deals", "cases"):
        data[f"{ctx.entity[:-1]}_id"] = ctx.record.id
    task = tasks.create(session=ctx.session, user=ctx.actor, data=data, source=SOURCE)
    return f"created task {task.id}"


def _settable(session: Session, entity: str) -> list[str]:
    service = _service(entity)
    if service is None:
        return []
    names = [n for n in service.rules.schema.model_fields if n != "custom"]
    if service.model.has_custom_fields:
        names += [d.name for d in custom_fields.definitions(session, entity)]
    return names


def _check_set_field(session: Session, entity: str, params: dict[str, Any]) -> list[str]:
    field, fields = params.get("field"), _settable(session, entity)
    if not fields:
        return [f"{entity} have no fields a rule may set"]
    if field not in fields:
        return [f"choose a field of {entity} (got {field!r}); fields: {', '.join(fields)}"]
    schema = _service(entity).rules.schema
    if field in schema.model_fields:
        info = schema.model_fields[field]
        probe = pydantic.create_model("Probe", **{field: (info.annotation, info)})
        try:
            probe.model_validate({field: params.get("value")})
        except pydantic.ValidationError as exc:
            return [f"value: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()]
    return []


def _run_set_field(ctx: Context, params: dict[str, Any]) -> str:
    field, value = params["field"], params.get("value")
    service = _service(ctx.entity)
    if field in service.rules.schema.model_fields:
        changes = {field: value}
    else:  # a custom field
        changes = {"custom": {**(getattr(ctx.record, "custom", None) or {}), field: value}}
    service.update(session=ctx.session, user=ctx.actor, record_id=ctx.record.id, changes=changes,
                   source=SOURCE)
    return f"set {field} to {value!r}"


def _check_assign_owner(session: Session, entity: str, params: dict[str, Any]) -> list[str]:
    service = _service(entity)
    field = service.model.owner_field if service else None
    if field is None or field not in service.rules.schema.model_fields:
        return [f"{entity} have no owner to assign"]
    return _check_user_choice(session, params.get("user_id"), allow_owner=False)


def _run_assign_owner(ctx: Context, params: dict[str, Any]) -> str:
    service = _service(ctx.entity)
    user_id = int(params["user_id"])
    service.update(session=ctx.session, user=ctx.actor, record_id=ctx.record.id,
                   changes={service.model.owner_field: user_id}, source=SOURCE)
    return f"assigned to user {user_id}"


def _check_send_email(session: Session, entity: str, params: dict[str, Any]) -> list[str]:
    problems = [] if params.get("to") in ("contact", "owner") else ['to must be "contact" or "owner"']
    problems += check_template(session, entity, params.get("subject"), "subject")
    return problems + check_template(session, entity, params.get("body"), "body")


def _run_send_email(ctx: Context, params: dict[str, Any]) -> str:
    contact = record_contact(ctx.session, ctx.entity, ctx.record)
    user = None
    if params["to"] == "contact":
        address = contact.email if contact else None
    else:
        user = ctx.session.get(User, _resolve_user(ctx, "owner"))
        address = user.email if user else None
    if not address:
        raise ActionSkipped(f"no email sent: the {params['to']} has no email address")
    with Mailer(ctx.session) as mailer:
        message = mailer.send(to=address, subject=render(ctx.record, params["subject"])[:300],
                              body=render(ctx.record, params["body"]), kind=SOURCE,
                              contact_id=contact.id if contact and params["to"] == "contact" else None,
                              user_id=user.id if user else None)
    return f"email {message.id} to {address} ({message.status})"


def _check_add_to_campaign(session: Session, entity: str, params: dict[str, Any]) -> list[str]:
    from core.models import ENTITIES

    if entity != "contacts" and "contact_id" not in ENTITIES[entity].__table__.columns:
        return [f"{entity} are not linked to a contact, so there is nobody to add"]
    campaign = session.get(Campaign, _as_int(params.get("campaign_id")) or 0)
    if campaign is None or campaign.deleted_at is not None:
        return [f"choose an existing campaign (got {params.get('campaign_id')!r})"]
    return []


def _run_add_to_campaign(ctx: Context, params: dict[str, Any]) -> str:
    contact = record_contact(ctx.session, ctx.entity, ctx.record)
    if contact is None:
        raise ActionSkipped("no contact to add to the campaign")
    campaign_id = int(params["campaign_id"])
    existing = ctx.session.scalars(select(CampaignRecipient).where(
        CampaignRecipient.campaign_id == campaign_id, CampaignRecipient.contact_id == contact.id)).first()
    if existing is not None:
        return f"contact {contact.id} already in campaign {campaign_id}"
    recipient = CampaignRecipient(campaign_id=campaign_id, contact_id=contact.id)
    ctx.session.add(recipient)
    ctx.session.flush()
    audit(ctx.session, ctx.actor, "create", "campaign_recipients", recipient.id, None,
          snapshot(recipient), SOURCE)
    return f"added contact {contact.id} to campaign {campaign_id}"


def _check_notify(session: Session, entity: str, params: dict[str, Any]) -> list[str]:
    return _check_user_choice(session, params.get("to")) + check_template(
        session, entity, params.get("text"), "text")


def _run_notify(ctx: Context, params: dict[str, Any]) -> str:
    user_id = _resolve_user(ctx, params["to"])
    notify(ctx.session, user_id=user_id, text=render(ctx.record, params["text"]), kind=SOURCE,
           entity=ctx.entity, entity_id=ctx.record.id)
    return f"notified user {user_id}"


ACTIONS: dict[str, ActionType] = {
    "create_task": ActionType("create a task", _check_create_task, _run_create_task),
    "set_field": ActionType("set a field", _check_set_field, _run_set_field),
    "assign_owner": ActionType("assign the owner", _check_assign_owner, _run_assign_owner),
    "send_email": ActionType("send an email", _check_send_email, _run_send_email),
    "add_to_campaign": ActionType("add to a campaign", _check_add_to_campaign, _run_add_to_campaign),
    "notify": ActionType("notify a user", _check_notify, _run_notify),
}


def check_actions(session: Session, entity: str, actions: list[dict[str, Any]]) -> list[FieldError]:
    """Every problem with the rule's actions, each naming the action and what to fix."""
    if not actions:
        return [FieldError("actions", "add at least one action")]
    errors = []
    for number, action in enumerate(actions, start=1):
        kind = action.get("type") if isinstance(action, dict) else None
        if kind not in ACTIONS:
            known = ", ".join(ACTIONS)
            errors.append(FieldError(f"action {number}", f"unknown type {kind!r}; use one of: {known}"))
            continue
        problems = ACTIONS[kind].check(session, entity, action)
        errors += [FieldError(f"action {number} ({kind})", problem) for problem in problems]
    return errors


def run_action(ctx: Context, action: dict[str, Any]) -> str:
    """Run one action; returns what it did (ActionSkipped is reported as a note, not a failure)."""
    try:
        return ACTIONS[action["type"]].run(ctx, action)
    except ActionSkipped as skipped:
        return f"skipped {action['type']}: {skipped}"
