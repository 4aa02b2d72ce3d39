"""Writes the assistant proposes: a Reply with status needs_confirmation and a PendingAction.

Nothing here writes. Each function checks that the user may see the records involved (get_record
raises NotFound for hidden ones, so a staff member cannot even learn that they exist) and spells
out in the summary exactly what `bot.actions.execute` will write once the person confirms.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.people import Match
from bot.reply import PendingAction, Reply
from core.errors import NotFound
from core.models import Contact, Deal, User
from core.services.deals import find_stage, stages_of
from core.services.records import get_record

CHANNELS = {
    "call": "phone",
    "phone": "phone",
    "phone call": "phone",
    "ring": "phone",
    "email": "email",
    "e-mail": "email",
    "mail": "email",
    "meeting": "meeting",
    "visit": "meeting",
    "sms": "sms",
    "text": "sms",
    "text message": "sms",
    "chat": "chat",
    "whatsapp": "chat",
    "social": "social",
    "web": "web",
}
CHANNEL_WORDS = {
    "phone": "call",
    "email": "email",
    "meeting": "meeting",
    "sms": "SMS",
    "chat": "chat",
    "social": "social message",
    "web": "web form",
}
ENTITY_WORDS = {"contact": "contacts", "company": "companies", "deal": "deals"}
CONFIRM = "Reply “yes” to save it, or “no” to cancel."


def when(moment: datetime) -> str:
    """ "Tue 16 Jun 2026 09:00" (the time only when it is not midnight, i.e. a due day)."""
    text = moment.strftime("%a %d %b %Y")
    return text if moment.hour == moment.minute == 0 else f"{text} {moment:%H:%M}"


def contact_name(contact: Contact) -> str:
    return f"{contact.first_name} {contact.last_name or ''}".strip()


def _readable(session: Session, user: User, entity: str, record_id: int) -> Any:
    """The record, or None when it does not exist or the user may not see it."""
    try:
        return get_record(session, user, entity, record_id)
    except NotFound:
        return None


def _not_found(entity: str) -> Reply:
    return Reply(
        "refused", f"I cannot find that {entity} among the records you can see; nothing was proposed."
    )


def _proposal(kind: Any, summary: list[str], params: dict[str, Any]) -> Reply:
    lines = "\n".join(f"- {line}" for line in summary)
    text = f"I will write this once you confirm:\n{lines}\n{CONFIRM}"
    return Reply("needs_confirmation", text, action=PendingAction(kind, summary, params))


def propose_activity(
    session: Session,
    user: User,
    *,
    contact_id: int,
    channel: str,
    occurred_at: datetime,
    subject: str | None,
    notes: str | None,
    follow_up: tuple[str, datetime] | None = None,
) -> Reply:
    """Log an interaction with a contact (on the contact's company too), optionally with a follow-up."""
    contact = _readable(session, user, "contacts", contact_id)
    if contact is None:
        return _not_found("contact")
    kind = CHANNELS.get(channel.lower().strip(), channel.lower().strip())
    name = contact_name(contact)
    line = f"Log a {CHANNEL_WORDS.get(kind, kind)} (outbound) with {name} on {when(occurred_at)}"
    line += f", subject “{subject}”" if subject else ""
    line += f", notes “{notes}”" if notes else ""
    summary = [line]
    params: dict[str, Any] = {
        "contact_id": contact.id,
        "company_id": contact.company_id,
        "channel": kind,
        "direction": "outbound",
        "occurred_at": occurred_at.isoformat(),
        "subject": subject,
        "notes": notes,
        "follow_up": None,
    }
    if follow_up is not None:
        title, due = follow_up
        summary.append(f"Create the task “{title}” for you, due {when(due)}, about {name}")
        params["follow_up"] = {"title": title, "due_at": due.isoformat()}
    return _proposal("log_activity", summary, params)


def propose_task(
    session: Session,
    user: User,
    *,
    title: str,
    due_at: datetime | None,
    contact_id: int | None = None,
    notes: str | None = None,
) -> Reply:
    """A task for the user themselves, optionally about a contact."""
    line = f"Create the task “{title}” for you"
    line += f", due {when(due_at)}" if due_at else ", with no due date"
    if contact_id is not None:
        contact = _readable(session, user, "contacts", contact_id)
        if contact is None:
            return _not_found("contact")
        line += f", about {contact_name(contact)}"
    line += f", notes “{notes}”" if notes else ""
    params = {
        "title": title,
        "due_at": due_at.isoformat() if due_at else None,
        "contact_id": contact_id,
        "notes": notes,
    }
    return _proposal("create_task", [line], params)


def propose_deal_move(session: Session, user: User, *, deal_id: int, stage_name: str) -> Reply:
    """Move a deal to another stage of its pipeline (named in any case)."""
    deal: Deal | None = _readable(session, user, "deals", deal_id)
    if deal is None:
        return _not_found("deal")
    stages = stages_of(session, deal.pipeline_id)
    stage = find_stage(session, deal.pipeline_id, stage_name)
    if stage is None:
        names = ", ".join(s.name for s in stages)
        return Reply(
            "refused",
            f"The deal “{deal.title}” has no stage called “{stage_name}”. "
            f"Its pipeline's stages are: {names}.",
        )
    current = next((s.name for s in stages if s.id == deal.stage_id), "?")
    if stage.id == deal.stage_id:
        return Reply("refused", f"The deal “{deal.title}” is already in {stage.name}; nothing to change.")
    summary = [f"Move the deal “{deal.title}” from {current} to {stage.name}"]
    params = {"deal_id": deal.id, "stage_id": stage.id, "expected_version": deal.version}
    return _proposal("move_deal", summary, params)


RESPONSE_PHRASES = {"interested": "is interested", "not_interested": "is not interested",
                    "replied": "replied", "unsubscribed": "unsubscribed"}
RESPONSE_CONSEQUENCES = {
    "interested": "a follow-up call for the next business day is created for the contact's owner",
    "unsubscribed": "the contact is unsubscribed from all campaigns",
}


def propose_campaign_response(session: Session, user: User, *, campaign_id: int, contact_id: int,
                              response: str) -> Reply:
    """Record a recipient's response to a campaign (they must have been sent it)."""
    contact = _readable(session, user, "contacts", contact_id)
    campaign = _readable(session, user, "campaigns", campaign_id)
    if contact is None or campaign is None:
        return _not_found("contact" if contact is None else "campaign")
    said = RESPONSE_PHRASES.get(response, response)
    summary = [f"Record that {contact_name(contact)} {said} (campaign “{campaign.name}”)"]
    if response in RESPONSE_CONSEQUENCES:
        summary.append(f"Then {RESPONSE_CONSEQUENCES[response]}")
    return _proposal("record_response", summary, {"campaign_id": campaign.id, "contact_id": contact.id,
                                                   "response": response})


def ask_which(kind: str, matches: Sequence[Match], typed: str) -> Reply:
    """Ask back when a name matches several records, or say that none was found."""
    word = kind.rstrip("s") if kind.endswith("s") and kind not in ENTITY_WORDS else kind
    word = {"companie": "company"}.get(word, word)
    if not matches:
        who = "nobody" if word == "contact" else f"no {word}"
        return Reply(
            "refused",
            f"I found {who} called “{typed}” among the records you can see. "
            "Check the spelling, or give the full name or the email.",
        )
    lines = "\n".join(f"- {m.label}" + (f" ({m.detail})" if m.detail else "") for m in matches)
    return Reply(
        "refused",
        f"Several {word}s match “{typed}”; which one do you mean?\n{lines}\n"
        "Ask again with the full name (or the email).",
        columns=[word.title(), "Details"],
        rows=[[m.label, m.detail] for m in matches],
    )
