"""Marketing campaigns: the campaign record, and creating one for a segment, a filter or a list.

Sending lives in campaign_sending, responses in campaign_responses, the audience in
campaign_audience and the message templates in campaign_templates.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlmodel import Session

from core.analytics import campaign_summary
from core.analytics.cache import cached, user_scope
from core.analytics.version import QUERY_MODELS, data_version
from core.errors import ValidationError
from core.models import Campaign, CampaignRecipient, Contact, Segment, User
from core.services import campaign_templates, permissions
from core.services.campaign_audience import (
    AudienceCounts,
    add_recipients,
    add_recipients_from_filter,
    audience_counts,
    audience_sample,
    visible_contacts,
)
from core.services.records import EntityRules, EntityService, batch, check_references, get_record, use_case
from core.services.schemas import CampaignIn

NAME_ORDER = (Contact.last_name, Contact.first_name, Contact.id)  # the live contacts' name index order
WALK_LIMIT = 50_000  # contacts a page may walk past in name order before sorting the recipients is cheaper


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


# ---- reading, for the campaign page ----------------------------------------------------------------


def campaigns_for(session: Session, user: User) -> list[Campaign]:
    """The live campaigns the user may see, newest first."""
    query = select(Campaign).where(Campaign.deleted_at.is_(None), permissions.visible_clause(user, Campaign))
    return list(session.scalars(query.order_by(Campaign.id.desc())))


def audience_overview(session: Session, user: User, campaign: Campaign,
                      sample: int = 200) -> tuple[AudienceCounts, list[int]]:
    """The campaign's audience counted in the database, and the first `sample` contacts a preview
    may pick from; kept per data version and reader (the page reruns on every click)."""
    key = (campaign.id, campaign.version, campaign.segment_id, campaign.channel, sample)
    return cached("campaign-audience", data_version(session, QUERY_MODELS), user_scope(user), key,
                  lambda: (audience_counts(session, user, campaign),
                           audience_sample(session, user, campaign, sample)))


def recipients_table(session: Session, user: User, campaign_id: int, *, page: int = 1,
                     page_size: int = 100) -> tuple[pd.DataFrame, int]:
    """One page of the campaign's recipients the user may see (indexed by contact id), and the
    total; kept per data version and reader. The frame is shared: do not change it."""
    get_record(session, user, "campaigns", campaign_id)
    return cached("campaign-recipients", data_version(session, QUERY_MODELS), user_scope(user),
                  (campaign_id, max(1, page), page_size),
                  lambda: _recipients_page(session, user, campaign_id, page, page_size))


def _recipients_page(session: Session, user: User, campaign_id: int, page: int,
                     page_size: int) -> tuple[pd.DataFrame, int]:
    where = (CampaignRecipient.campaign_id == campaign_id, CampaignRecipient.deleted_at.is_(None),
             Contact.deleted_at.is_(None), permissions.visible_clause(user, Contact))
    # The live recipient rows of live contacts the user may see, from the counts kept per campaign
    # (counting them joined 455,000 recipients to their contacts for a large campaign).
    _, total = campaign_summary.audience_outcomes(session, user, campaign_id)
    ids = _page_ids(session, user, campaign_id, int(total), (max(1, page) - 1) * page_size, page_size)
    query = (select(Contact.id.label("contact_id"), Contact.first_name, Contact.last_name, Contact.email,
                    CampaignRecipient.status, CampaignRecipient.response,
                    CampaignRecipient.response_note.label("note"), CampaignRecipient.sent_at,
                    CampaignRecipient.responded_at)
             .join(Contact, Contact.id == CampaignRecipient.contact_id)
             .where(*where, Contact.id.in_(ids)).order_by(*NAME_ORDER))
    rows = session.execute(query).all()
    frame = pd.DataFrame([row._asdict() for row in rows], columns=[
        "contact_id", "first_name", "last_name", "email", "status", "response", "note", "sent_at",
        "responded_at"])
    frame.insert(1, "name", (frame["first_name"] + " " + frame["last_name"]).str.strip())
    return frame.drop(columns=["first_name", "last_name"]).set_index("contact_id", drop=False), int(total)


def _page_ids(session: Session, user: User, campaign_id: int, total: int, offset: int,
              limit: int) -> list[int]:
    """The contact ids of one page of recipients in name order. When the campaign reaches a good
    share of the contacts, the page is read walking the live contacts' name index and keeping those
    with a recipient row (a few hundred looked at for page 1 of half a million recipients); else
    the recipients are sorted (sorting half a million rows to show 100 took a second or more)."""
    live = (CampaignRecipient.campaign_id == campaign_id, CampaignRecipient.deleted_at.is_(None))
    highest = session.scalar(select(func.max(Contact.id))) or 0
    if (offset + limit) * highest <= WALK_LIMIT * total:
        # The owner compared as `owner_id + 0`, which no index serves: else SQLite finds a manager's
        # or staff member's contacts through the owner index and sorts them all (0.4–4 s at 100,000
        # contacts) instead of walking the names.
        query = select(Contact.id).where(Contact.deleted_at.is_(None),
                                         permissions.owner_visible_clause(user, Contact.owner_id + 0))
        query = query.where(select(CampaignRecipient.id).where(
            *live, CampaignRecipient.contact_id == Contact.id).exists())
    else:
        query = (select(Contact.id).join(CampaignRecipient, CampaignRecipient.contact_id == Contact.id)
                 .where(*live, Contact.deleted_at.is_(None), permissions.visible_clause(user, Contact)))
    return list(session.scalars(query.order_by(*NAME_ORDER).offset(offset).limit(limit)))


def contact_labels(session: Session, contact_ids: list[int]) -> dict[int, str]:
    """"Ana Alves <ana@example.com>" per contact id (for pickers), in the order given."""
    rows = {row.id: row for row in session.execute(select(
        Contact.id, Contact.first_name, Contact.last_name, Contact.email).where(Contact.id.in_(contact_ids)))}
    labels = {}
    for contact_id in contact_ids:
        row = rows.get(contact_id)
        if row is not None:
            name = f"{row.first_name} {row.last_name}".strip()
            labels[contact_id] = f"{name} <{row.email}>" if row.email else name
    return labels
