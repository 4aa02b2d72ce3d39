"""Marketing campaigns: the campaign record, and creating one for a segment, a filter or a list.

Sending lives in campaign_sending, responses in campaign_responses, the audience in
campaign_audience and the message templates in campaign_templates.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from core.errors import ValidationError
from core.models import Campaign, Segment, User
from core.services import campaign_templates
from core.services.campaign_audience import add_recipients, add_recipients_from_filter, visible_contacts
from core.services.records import EntityRules, EntityService, batch, check_references, use_case
from core.services.schemas import CampaignIn


def _check_campaign(session: Session, user: User, campaign: Campaign, values: dict[str, Any]) -> None:
    check_references(session, campaign, {"segment_id": Segment, "owner_id": User})
    # An unknown placeholder is caught now, when the campaign is saved, not while it is sent.
    campaign_templates.check_templates(session, {"subject": campaign.subject, "body": campaign.body})


campaigns = EntityService(EntityRules("campaigns", CampaignIn, before_save=_check_campaign))


@use_case
def create_campaign(*, session: Session, user: User, data: dict[str, Any],
                    filters: list[dict[str, Any]] | None = None, contact_ids: list[int] | None = None,
                    source: str = "app") -> Campaign:
    """A draft campaign for a saved segment (data["segment_id"]), the contacts matching `filters`,
    and/or an explicit list of contacts: all written, or nothing."""
    with batch(session):
        if contact_ids is not None:
            visible_contacts(session, user, contact_ids)  # before anything is written
        campaign = campaigns.create(session=session, user=user, data={**data, "status": "draft"},
                                    source=source)
        if filters:
            add_recipients_from_filter(session=session, user=user, campaign_id=campaign.id,
                                       filters=filters, source=source)
        if contact_ids:
            add_recipients(session=session, user=user, campaign_id=campaign.id, contact_ids=contact_ids,
                           source=source)
    return campaign


def create_for_contacts(*, session: Session, user: User, name: str, contact_ids: list[int],
                        channel: str = "email", subject: str | None = None, body: str | None = None,
                        source: str = "app") -> Campaign:
    """A draft campaign for chosen contacts (cross-sell, up-sell, prospects to call)."""
    if not contact_ids:
        raise ValidationError.single("contacts", "choose at least one contact")
    return create_campaign(session=session, user=user, contact_ids=contact_ids, source=source,
                           data={"name": name, "channel": channel, "subject": subject, "body": body})
