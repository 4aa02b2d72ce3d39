"""Recording what happened to each recipient: delivery (sent, bounced, opened, clicked) and what the
person said (replied, interested, not interested, unsubscribed), by hand, by import or through
the assistant.

"unsubscribed" also sets the contact's unsubscribed flag; "interested" creates one follow-up call
task for the recipient (the contact's owner, else the campaign's owner; next business day), never a
second one however often it is recorded. Each recorded value emits a `campaign_response` event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlmodel import Session

from core.config import now
from core.errors import CRMError, FieldError, ImportRejected, NotFound, ValidationError
from core.models import Campaign, CampaignRecipient, Contact, Task, User
from core.services import events, permissions
from core.services.activities import tasks
from core.services.campaign_sending import assignee_for, next_business_day
from core.services.contacts import contacts
from core.services.records import audit, batch, get_record, snapshot, use_case

DELIVERY = ("sent", "bounced", "opened", "clicked")
RESPONSES = ("replied", "interested", "not_interested", "unsubscribed")
VALUES = DELIVERY + RESPONSES
NOT_SENT = ("pending", "failed")


def normalise(value: Any) -> str:
    """'Not interested', 'not-interested' and 'NOT_INTERESTED' all mean not_interested."""
    return "_".join(str(value or "").strip().lower().replace("-", " ").split())


def check_value(value: Any) -> str:
    clean = normalise(value)
    if clean not in VALUES:
        raise ValidationError.single("response", f"{value!r} is not a status or response; use one of: "
                                                 f"{', '.join(v.replace('_', ' ') for v in VALUES)}")
    return clean


def follow_up_title(campaign: Campaign) -> str:
    # The campaign id in the title is how a second "interested" finds the task made the first time.
    return f"Follow-up call: interested in campaign #{campaign.id} {campaign.name}"[:300]


@use_case
def record_response(*, session: Session, user: User, campaign_id: int, contact_id: int, response: str,
                    note: str | None = None, source: str = "app") -> CampaignRecipient:
    """Record a recipient's delivery status or response (see VALUES), with its consequences."""
    value = check_value(response)
    campaign = get_record(session, user, "campaigns", campaign_id)
    permissions.require_write(session, user, "campaigns", campaign)
    contact = get_record(session, user, "contacts", contact_id)
    recipient = session.scalars(select(CampaignRecipient).where(
        CampaignRecipient.campaign_id == campaign.id, CampaignRecipient.contact_id == contact.id,
        CampaignRecipient.deleted_at.is_(None))).first()
    if recipient is None:
        raise NotFound(f"{contact.full_name} is not a recipient of campaign {campaign.name!r}.")
    if value in RESPONSES and recipient.status in NOT_SENT:
        raise ValidationError.single("response", f"{contact.full_name} has not been sent this campaign "
                                                 f"(status {recipient.status}); record 'sent' first")
    with batch(session):
        changes = _apply(session, user, recipient, value, note, source)
        if value == "interested":
            _follow_up(session, user, campaign, contact, source)
        if value == "unsubscribed" and not contact.unsubscribed:
            contacts.update(session=session, user=user, record_id=contact.id,
                            changes={"unsubscribed": True}, source=source)
        events.emit(session, events.Event("campaign_response", "campaign_recipients", recipient, user,
                                          changes, source))
    return recipient


def _apply(session: Session, user: User, recipient: CampaignRecipient, value: str, note: str | None,
           source: str) -> dict[str, tuple[Any, Any]]:
    """Write the value (and note), audit it; returns {field: (before, after)} for the event."""
    before = snapshot(recipient)
    moment = now()
    field = "status" if value in DELIVERY else "response"
    changes = {field: (getattr(recipient, field), value)}
    if value in DELIVERY:
        recipient.status = value
        recipient.sent_at = recipient.sent_at or moment
    else:
        recipient.response, recipient.responded_at = value, moment
    if note and note.strip():
        recipient.response_note = note.strip()[:2000]
    recipient.updated_at = moment
    session.flush()
    audit(session, user, "update", "campaign_recipients", recipient.id, before, snapshot(recipient), source)
    return changes


def _follow_up(session: Session, user: User, campaign: Campaign, contact: Contact, source: str) -> None:
    title = follow_up_title(campaign)
    exists = session.scalar(select(func.count()).select_from(Task).where(
        Task.contact_id == contact.id, Task.title == title))  # deleted ones count: once means once
    if exists:
        return
    tasks.create(session=session, user=user, source=source, data={
        "title": title, "due_at": next_business_day(), "contact_id": contact.id, "priority": "high",
        "notes": f"{contact.full_name} answered campaign {campaign.name!r} with interest: call them back.",
        "assignee_id": assignee_for(session, user, contact, campaign),
    })


# ---- import ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResponseImport:
    rows: int
    recorded: int


def import_responses(*, session: Session, user: User, campaign_id: int, frame: pd.DataFrame,
                     source: str = "import") -> ResponseImport:
    """A file of email, status (or response) and note: every row is checked first; any bad row
    rejects the whole file with every bad line listed, and nothing is written."""
    campaign = get_record(session, user, "campaigns", campaign_id)
    permissions.require_write(session, user, "campaigns", campaign)
    columns = _columns(frame)
    rows = _check_rows(session, user, campaign, frame, columns)
    with batch(session):
        for line, contact_id, value, note in rows:
            _record_line(session, user, campaign, line, contact_id, value, note, source)
    return ResponseImport(rows=len(rows), recorded=len(rows))


def _record_line(session: Session, user: User, campaign: Campaign, line: int, contact_id: int,
                 value: str, note: str | None, source: str) -> None:
    try:
        record_response(session=session, user=user, campaign_id=campaign.id, contact_id=contact_id,
                        response=value, note=note, source=source)
    except CRMError as error:
        raise ImportRejected([FieldError("status", str(error), line)]) from None


def _columns(frame: pd.DataFrame) -> dict[str, str]:
    """{role: header} for email, value (status or response) and note, ignoring case."""
    lower = {str(c).strip().lower(): str(c) for c in frame.columns}
    found = {"email": lower.get("email"), "value": lower.get("status") or lower.get("response"),
             "note": lower.get("note") or lower.get("notes")}
    errors = []
    if found["email"] is None:
        errors.append(FieldError("email", "the file has no email column", 1))
    if found["value"] is None:
        errors.append(FieldError("status", "the file has no status (or response) column", 1))
    if errors:
        raise ImportRejected(errors)
    return {role: header for role, header in found.items() if header is not None}


def _check_rows(session: Session, user: User, campaign: Campaign, frame: pd.DataFrame,
                columns: dict[str, str]) -> list[tuple[int, int, str, str | None]]:
    recipients = {email.lower(): (contact_id, status) for contact_id, email, status in session.execute(
        select(Contact.id, Contact.email, CampaignRecipient.status)
        .join(CampaignRecipient, CampaignRecipient.contact_id == Contact.id)
        .where(CampaignRecipient.campaign_id == campaign.id, CampaignRecipient.deleted_at.is_(None),
               Contact.deleted_at.is_(None), Contact.email.is_not(None),
               permissions.visible_clause(user, Contact)))}
    errors: list[FieldError] = []
    rows: list[tuple[int, int, str, str | None]] = []
    seen: dict[str, int] = {}
    for index, cells in enumerate(frame.to_dict("records")):
        line = index + 2  # line 1 is the header
        email, raw, note = (_cell(cells.get(columns.get(role, ""))) for role in ("email", "value", "note"))
        if email is None and raw is None and note is None:
            continue
        problems = _row_problems(email, raw, recipients, seen, campaign)
        errors += [FieldError(columns.get(role, role), message, line) for role, message in problems]
        if not problems and email is not None and raw is not None:
            seen[email.lower()] = line
            rows.append((line, recipients[email.lower()][0], normalise(raw), note))
    if errors:
        raise ImportRejected(errors)
    if not rows:
        raise ImportRejected([FieldError("file", "has no rows to import", 1)])
    return rows


def _row_problems(email: str | None, raw: str | None, recipients: dict[str, tuple[int, str]],
                  seen: dict[str, int], campaign: Campaign) -> list[tuple[str, str]]:
    problems = []
    key = (email or "").lower()
    if email is None:
        problems.append(("email", "is required"))
    elif key not in recipients:
        problems.append(("email", f"{email} is not a recipient of campaign {campaign.name!r} you can see"))
    elif key in seen:
        problems.append(("email", f"{email} is also on line {seen[key]} of this file"))
    value = normalise(raw)
    if raw is None:
        problems.append(("value", "is required"))
    elif value not in VALUES:
        problems.append(("value", f"{raw!r} is not one of: {', '.join(v.replace('_', ' ') for v in VALUES)}"))
    elif key in recipients and value in RESPONSES and recipients[key][1] in NOT_SENT:
        problems.append(("value", f"{email} has not been sent this campaign (status {recipients[key][1]})"))
    return problems


def _cell(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    return text or None
