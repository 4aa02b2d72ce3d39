"""Sending a campaign: email through the Mailer (SMTP, or the outbox without it), SMS to the outbox
(there is no SMS gateway), and phone campaigns as call tasks for each contact's owner.

Only the audience's eligible contacts are sent (see campaign_audience); a recipient already sent
is never sent again, so sending twice only reaches the contacts added since, and the ones whose
delivery failed. Work is committed every CHUNK recipients, so a send cut short keeps what went out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlmodel import Session

from core.config import Settings, now, today
from core.errors import ValidationError
from core.models import Campaign, CampaignRecipient, Contact, OutboxMessage, User
from core.services import campaign_templates as templates
from core.services import permissions
from core.services.activities import tasks
from core.services.campaign_audience import Audience, audience, chunks
from core.services.mailer import Mailer
from core.services.records import audit, batch, get_record, snapshot, use_case

CHUNK = 100


@dataclass
class SendResult:
    sent: int = 0
    failed: int = 0
    tasks_created: int = 0
    already_sent: int = 0
    excluded: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # the first few delivery failures


def next_business_day(day: date | None = None) -> datetime:
    """09:00 on the next working day (Monday to Friday) after `day` (default: today)."""
    current = (day or today()) + timedelta(days=1)
    while current.weekday() >= 5:
        current += timedelta(days=1)
    return datetime.combine(current, time(9))


def check_ready(session: Session, campaign: Campaign) -> None:
    """What a campaign needs before it can go out: a message to send, with known placeholders."""
    missing = []
    if campaign.channel == "email" and not (campaign.subject or "").strip():
        missing.append("subject")
    if campaign.channel in ("email", "sms") and not (campaign.body or "").strip():
        missing.append("body")
    if missing:
        raise ValidationError.single(" and ".join(missing),
                                     f"a {campaign.channel} campaign needs a {' and a '.join(missing)}")
    templates.check_templates(session, {"subject": campaign.subject, "body": campaign.body})


def plan_send(session: Session, user: User, campaign_id: int) -> tuple[Campaign, Audience]:
    """The campaign and who a send would reach now (for the confirmation step)."""
    campaign = get_record(session, user, "campaigns", campaign_id)
    return campaign, audience(session, user, campaign)


@use_case
def send_campaign(*, session: Session, user: User, campaign_id: int, settings: Settings | None = None,
                  progress: Callable[[float], None] | None = None, source: str = "app") -> SendResult:
    """Send the campaign to its eligible recipients now; the campaign becomes `sent`."""
    campaign = get_record(session, user, "campaigns", campaign_id)
    permissions.require_write(session, user, "campaigns", campaign)
    if campaign.status == "cancelled":
        raise ValidationError.single("status", "this campaign is cancelled; reopen it as a draft first")
    check_ready(session, campaign)
    reach = audience(session, user, campaign)
    result = SendResult(already_sent=len(reach.already_sent),
                        excluded={reason: len(ids) for reason, ids in reach.excluded.items()})
    if not reach.eligible:
        if reach.already_sent:
            return result  # everyone was sent already: nothing new to do
        reasons = "; ".join(f"{r['reason']}: {r['contacts']}" for r in reach.report())
        raise ValidationError.single("audience", "nobody in this campaign's audience can receive it"
                                                 + (f" ({reasons})" if reasons else " (it is empty)"))
    with Mailer(session, settings) as mailer:
        done = 0
        for chunk in chunks(reach.eligible, CHUNK):
            with batch(session):
                for recipient, contact in _recipients(session, user, campaign, chunk, source):
                    _deliver(session, user, campaign, recipient, contact, mailer, result, source)
            done += len(chunk)
            if progress:
                progress(done / len(reach.eligible))
    _mark_sent(session, user, campaign, source)
    return result


def _recipients(session: Session, user: User, campaign: Campaign, contact_ids: list[int],
                source: str) -> list[tuple[CampaignRecipient, Contact]]:
    """The recipient rows for `contact_ids`, created (pending) for segment members new to it."""
    rows = {r.contact_id: r for r in session.scalars(select(CampaignRecipient).where(
        CampaignRecipient.campaign_id == campaign.id, CampaignRecipient.contact_id.in_(contact_ids)))}
    contacts = templates.contacts_by_id(session, contact_ids)
    pairs = []
    for contact_id in contact_ids:
        recipient = rows.get(contact_id)
        if recipient is None:
            recipient = CampaignRecipient(campaign_id=campaign.id, contact_id=contact_id)
            session.add(recipient)
            session.flush()
            audit(session, user, "create", "campaign_recipients", recipient.id, None, snapshot(recipient),
                  source)
        elif recipient.deleted_at is not None:
            continue
        pairs.append((recipient, contacts[contact_id]))
    return pairs


def _deliver(session: Session, user: User, campaign: Campaign, recipient: CampaignRecipient,
             contact: Contact, mailer: Mailer, result: SendResult, source: str) -> None:
    before = snapshot(recipient)
    values = templates.contact_values(session, contact)
    subject, body = templates.render(campaign.subject, values), templates.render(campaign.body, values)
    error = None
    if campaign.channel == "email":
        message = mailer.send(to=contact.email or "", subject=subject, body=body, kind="campaign",
                              campaign_id=campaign.id, contact_id=contact.id)
        error = message.error if message.status == "failed" else None
    elif campaign.channel == "sms":
        session.add(OutboxMessage(kind="sms", to_address=contact.mobile or contact.phone or "",
                                  subject=subject or campaign.name, body=body, campaign_id=campaign.id,
                                  contact_id=contact.id))
    else:
        _call_task(session, user, campaign, contact, subject, body, source)
        result.tasks_created += 1
    if error is None:
        recipient.status, recipient.sent_at = "sent", now()
        result.sent += 1
    else:
        recipient.status = "failed"
        result.failed += 1
        if len(result.errors) < 5:
            result.errors.append(f"{contact.email}: {error}")
    recipient.updated_at = now()
    session.flush()
    audit(session, user, "update", "campaign_recipients", recipient.id, before, snapshot(recipient), source)


def assignee_for(session: Session, user: User, contact: Contact, campaign: Campaign) -> int:
    """Who should call: the contact's owner, else the campaign's owner, else the user (active ones)."""
    for candidate in (contact.owner_id, campaign.owner_id):
        owner = session.get(User, candidate) if candidate else None
        if owner is not None and owner.active and owner.deleted_at is None:
            return owner.id  # type: ignore[return-value]
    return user.id  # type: ignore[return-value]


def _call_task(session: Session, user: User, campaign: Campaign, contact: Contact, subject: str,
               body: str, source: str) -> None:
    tasks.create(session=session, user=user, source=source, data={
        "title": f"Call {contact.full_name}: {subject or campaign.name}"[:300],
        "notes": body or None, "due_at": next_business_day(), "contact_id": contact.id,
        "assignee_id": assignee_for(session, user, contact, campaign),
    })


def _mark_sent(session: Session, user: User, campaign: Campaign, source: str) -> None:
    with batch(session):
        before = snapshot(campaign)
        campaign.status = "sent"
        campaign.sent_at = campaign.sent_at or now()
        campaign.updated_at = now()
        session.flush()
        audit(session, user, "update", "campaigns", campaign.id, before, snapshot(campaign), source)
