"""A campaign's audience kept with its results (campaign_summary builds and folds these tables).

Counting a campaign's audience from the raw rows joins every recipient (455,000 for a large
campaign at a million contacts) to its contact on each cold open of the workspace: 1–2 s. What a
recipient counts for depends only on its own row, its contact (owner, deleted or not, unsubscribed,
consents, addresses) and the campaign's channel, so it is kept:

- campaign_audience_recipients: per live recipient row, its contact's owner, whether the contact is
  live, and its outcome for a sender who may see the contact (core.services.audience_rules);
- campaign_audience_counts: those rows counted per campaign, owner, live and outcome, with the
  channel the outcomes were decided for.

A reader sums the counts: a live contact it may see counts for its outcome, any other recipient
still to send counts as "deleted, or not visible to you", one already sent that it may not see is
left out (the rule of `campaign_audience.audience`). A fold moves only the recipients that changed
(their row, or their contact, was added or audited) from their old count to their new one; a
campaign whose channel changed is counted again whole. Segment members without a recipient row
are not kept: a segment is resolved when it is read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Select, and_, delete, func, insert, select, true
from sqlmodel import Session

from core.analytics import summaries
from core.models import (
    Campaign,
    CampaignAudienceCount,
    CampaignAudienceRecipient,
    CampaignRecipient,
    Contact,
    User,
)
from core.services.audience_rules import ALREADY_SENT, NOT_VISIBLE, recipient_outcome
from core.services.permissions import owner_visible_clause

FACTS = CampaignAudienceRecipient.__table__  # type: ignore[attr-defined]
COUNTS = CampaignAudienceCount.__table__  # type: ignore[attr-defined]
FACT_COLUMNS = ("recipient_id", "campaign_id", "contact_id", "owner_id", "live", "outcome")
COUNT_COLUMNS = ("campaign_id", "channel", "owner_id", "live", "outcome", "recipients")
Key = tuple[int, int | None, bool, str]  # campaign_id, owner_id, live, outcome


# ---- build and fold -----------------------------------------------------------------------------------


def build(connection: Connection, campaign_ids: list[int] | None = None) -> None:
    """Keep the outcome of every live recipient of these campaigns (all when None), and count them."""
    facts, grouped = _facts(), _grouped()
    if campaign_ids is None:
        connection.execute(delete(FACTS))
        connection.execute(delete(COUNTS))
    else:
        connection.execute(delete(FACTS).where(FACTS.c.campaign_id.in_(campaign_ids)))
        connection.execute(delete(COUNTS).where(COUNTS.c.campaign_id.in_(campaign_ids)))
        facts = facts.where(CampaignRecipient.campaign_id.in_(campaign_ids))
        grouped = grouped.where(FACTS.c.campaign_id.in_(campaign_ids))
    connection.execute(insert(FACTS).from_select(FACT_COLUMNS, facts))
    connection.execute(insert(COUNTS).from_select(COUNT_COLUMNS, grouped))


def fold(connection: Connection, recipient_ids: set[int], campaign_ids: set[int]) -> None:
    """Move the changed recipients (added, audited, or of an audited contact) to their new counts,
    and count again whole the audited campaigns whose channel changed (every outcome may move)."""
    rechanneled = _rechanneled(connection, campaign_ids)  # before the counts are rewritten below
    delta: Counter[Key] = Counter()
    for chunk in summaries.chunks(recipient_ids):
        delta.subtract(_kept_keys(connection, chunk))
        connection.execute(delete(FACTS).where(FACTS.c.recipient_id.in_(chunk)))
        connection.execute(insert(FACTS).from_select(
            FACT_COLUMNS, _facts().where(CampaignRecipient.id.in_(chunk))))
        delta.update(_kept_keys(connection, chunk))
    _apply(connection, {key: change for key, change in delta.items() if change})
    if rechanneled:
        build(connection, sorted(rechanneled))


def _facts() -> Select[Any]:
    """Each live recipient row with its contact's owner, live flag and outcome."""
    return (select(CampaignRecipient.id, CampaignRecipient.campaign_id, CampaignRecipient.contact_id,
                   Contact.owner_id, Contact.deleted_at.is_(None), recipient_outcome(Campaign.channel))
            .select_from(CampaignRecipient)
            .join(Contact, Contact.id == CampaignRecipient.contact_id)
            .join(Campaign, Campaign.id == CampaignRecipient.campaign_id)
            .where(CampaignRecipient.deleted_at.is_(None)))


def _grouped() -> Select[Any]:
    keys = (FACTS.c.campaign_id, Campaign.channel, FACTS.c.owner_id, FACTS.c.live, FACTS.c.outcome)
    return (select(*keys, func.count()).select_from(FACTS)
            .join(Campaign, Campaign.id == FACTS.c.campaign_id).group_by(*keys))


def _key(campaign: Any, owner: Any, live: Any, outcome: Any) -> Key:
    return int(campaign), None if owner is None else int(owner), bool(live), str(outcome)


def _kept_keys(connection: Connection, recipient_ids: list[int]) -> Iterable[Key]:
    rows = connection.execute(select(FACTS.c.campaign_id, FACTS.c.owner_id, FACTS.c.live, FACTS.c.outcome)
                              .where(FACTS.c.recipient_id.in_(recipient_ids))).all()
    return [_key(*row) for row in rows]


def _apply(connection: Connection, delta: dict[Key, int]) -> None:
    """Add `delta` to the kept counts of its campaigns (rewritten with the campaign's channel)."""
    for chunk in summaries.chunks({key[0] for key in delta}):
        rows = connection.execute(select(COUNTS.c.campaign_id, COUNTS.c.owner_id, COUNTS.c.live,
                                         COUNTS.c.outcome, COUNTS.c.recipients)
                                  .where(COUNTS.c.campaign_id.in_(chunk))).all()
        totals: Counter[Key] = Counter({_key(*row[:4]): int(row[4]) for row in rows})
        totals.update({key: change for key, change in delta.items() if key[0] in chunk})
        if any(count < 0 for count in totals.values()):
            raise summaries.RebuildNeeded  # the kept rows were changed behind the summary's back
        channels = dict(connection.execute(select(Campaign.id, Campaign.channel)
                                           .where(Campaign.id.in_(chunk))).all())
        connection.execute(delete(COUNTS).where(COUNTS.c.campaign_id.in_(chunk)))
        fresh = [dict(zip(COUNT_COLUMNS, (key[0], channels[key[0]], *key[1:], count), strict=True))
                 for key, count in totals.items() if count and key[0] in channels]
        if fresh:
            connection.execute(insert(COUNTS), fresh)


def _rechanneled(connection: Connection, campaign_ids: set[int]) -> set[int]:
    """The campaigns among these whose counts were decided for another channel than theirs now."""
    found: set[int] = set()
    for chunk in summaries.chunks(campaign_ids):
        found |= set(connection.execute(
            select(COUNTS.c.campaign_id).distinct().join(Campaign, Campaign.id == COUNTS.c.campaign_id)
            .where(COUNTS.c.campaign_id.in_(chunk), COUNTS.c.channel != Campaign.channel)).scalars())
    return found


# ---- reading (after campaign_summary.refresh) -----------------------------------------------------------


def outcomes(session: Session, user: User, campaign_id: int) -> tuple[dict[str, int], int]:
    """The campaign's recipients counted per outcome for `user`, and how many of them `user` may
    see (live contacts in their scope): a live contact they may see counts for its outcome, one
    they may not see counts as not visible while it is still to send, and not at all once sent."""
    seen = and_(COUNTS.c.live.is_(true()), owner_visible_clause(user, COUNTS.c.owner_id))
    rows = session.execute(select(COUNTS.c.outcome, seen.label("seen"), COUNTS.c.recipients)
                           .where(COUNTS.c.campaign_id == campaign_id)).all()
    counts: Counter[str] = Counter()
    visible = 0
    for outcome, is_seen, recipients in rows:
        if is_seen:
            counts[str(outcome)] += int(recipients)
            visible += int(recipients)
        elif outcome != ALREADY_SENT:
            counts[NOT_VISIBLE] += int(recipients)
    return dict(counts), visible


def first_contacts(session: Session, user: User, campaign_id: int, outcome: str, limit: int) -> list[int]:
    """The first `limit` contact ids, in id order, of the campaign's recipients `user` may see
    whose outcome is `outcome` (read along the kept rows' index, stopping at `limit`)."""
    query = (select(FACTS.c.contact_id)
             .where(FACTS.c.campaign_id == campaign_id, FACTS.c.outcome == outcome,
                    FACTS.c.live.is_(true()), owner_visible_clause(user, FACTS.c.owner_id))
             .order_by(FACTS.c.contact_id).limit(limit))
    return [int(i) for i in session.scalars(query)]
