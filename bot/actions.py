"""Carry out a write the person has confirmed, through the same services as every other screen.

The assistant never writes while answering: it returns a `PendingAction` (status
needs_confirmation) that says exactly what will be written. Only `execute`, called after the person
confirms, writes — validated, permission-checked and audited by the services (audit source
"assistant"), all records of one action in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.reply import PendingAction, Reply
from core.errors import CRMError
from core.models import User
from core.services.activities import activities, tasks
from core.services.campaign_responses import record_response
from core.services.deals import move_deal
from core.services.records import batch, get_record

SOURCE = "assistant"


def execute(session: Session, user: User, action: PendingAction) -> Reply:
    """Write `action` for `user`. Domain errors (permission, validation, conflict) come back as a
    refused reply with their message; nothing is written then."""
    try:
        _check_visible(session, user, action.params)
        with batch(session):
            done = _HANDLERS[action.kind](session, user, action.params)
    except CRMError as error:
        return Reply("refused", f"Nothing was written: {error}")
    return Reply("done", "Done: " + "; ".join(done) + ".")


# The records an action may name. The proposal checked them when it was made; they are checked again
# here, as the user now, because what is confirmed may not be what was proposed (a stale or forged
# conversation entry): a record the user cannot see is "not found", and nothing is written.
_REFERENCES = {"contact_id": "contacts", "company_id": "companies", "deal_id": "deals", "case_id": "cases"}


def _check_visible(session: Session, user: User, params: dict[str, Any]) -> None:
    follow_up = params.get("follow_up") if isinstance(params.get("follow_up"), dict) else {}
    for values in (params, follow_up):
        for key, entity in _REFERENCES.items():
            if values.get(key) is not None:
                get_record(session, user, entity, int(values[key]))


def _log_activity(session: Session, user: User, params: dict[str, Any]) -> list[str]:
    data = {key: params.get(key) for key in ("contact_id", "company_id", "deal_id", "case_id", "channel",
                                             "direction", "subject", "notes", "outcome")}
    data = {key: value for key, value in data.items() if value is not None}
    activity = activities.create(session=session, user=user, source=SOURCE, data={
        **data, "occurred_at": _moment(params.get("occurred_at")), "owner_id": user.id, "source": SOURCE})
    done = [f"{activity.channel} logged (activity #{activity.id})"]
    if params.get("follow_up"):
        done += _create_task(session, user, {"contact_id": params.get("contact_id"), **params["follow_up"]})
    return done


def _create_task(session: Session, user: User, params: dict[str, Any]) -> list[str]:
    data = {key: params.get(key) for key in ("title", "notes", "contact_id", "deal_id", "priority")}
    data = {key: value for key, value in data.items() if value is not None}
    task = tasks.create(session=session, user=user, source=SOURCE, data={
        **data, "due_at": _moment(params.get("due_at")), "assignee_id": params.get("assignee_id") or user.id})
    return [f"task “{task.title}” created (task #{task.id})"]


def _move_deal(session: Session, user: User, params: dict[str, Any]) -> list[str]:
    deal = move_deal(session=session, user=user, deal_id=int(params["deal_id"]),
                     stage_id=int(params["stage_id"]), expected_version=params.get("expected_version"),
                     source=SOURCE)
    return [f"deal “{deal.title}” moved (deal #{deal.id})"]


def _record_response(session: Session, user: User, params: dict[str, Any]) -> list[str]:
    recipient = record_response(session=session, user=user, campaign_id=int(params["campaign_id"]),
                                contact_id=int(params["contact_id"]), response=str(params["response"]),
                                source=SOURCE)
    return [f"response “{params['response'].replace('_', ' ')}” recorded (recipient #{recipient.id})"]


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


_HANDLERS: dict[str, Callable[[Session, User, dict[str, Any]], list[str]]] = {
    "log_activity": _log_activity,
    "create_task": _create_task,
    "move_deal": _move_deal,
    "record_response": _record_response,
}
