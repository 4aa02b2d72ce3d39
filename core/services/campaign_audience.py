"""Who a campaign reaches: the members of its saved segment plus the contacts added to it (from a
filter or a list), limited to the contacts the sender may see, minus those who may not be contacted.

A segment is resolved when the audience is read (its members are always current); contacts added
from a filter or a list are kept as `pending` recipient rows. Exclusions, first reason wins:
not visible to you, unsubscribed, no consent for the channel, no address or number for it.
A recipient already sent is counted apart and never sent again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, case, func, literal, select
from sqlmodel import Session

from core.analytics import campaign_summary
from core.errors import NotFound, ValidationError
from core.models import Campaign, CampaignRecipient, Contact, Order, OrderLine, Product, Segment, User
from core.query.segments import filter_members, segment_members
from core.services import permissions
from core.services.audience_rules import (
    ALREADY_SENT,
    ELIGIBLE,
    NOT_VISIBLE,
    RESENDABLE,
    exclusion_reason,
    exclusions,
)
from core.services.records import audit, commit, get_record, snapshot, use_case

CHUNK = 500  # ids per IN (...) list


def chunks(ids: list[int], size: int = CHUNK) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


@dataclass
class Audience:
    eligible: list[int] = field(default_factory=list)  # contact ids a send would reach now
    already_sent: list[int] = field(default_factory=list)
    excluded: dict[str, list[int]] = field(default_factory=dict)  # reason -> contact ids

    @property
    def excluded_count(self) -> int:
        return sum(len(ids) for ids in self.excluded.values())

    def report(self) -> list[dict[str, Any]]:
        """Rows for a table: reason and count, largest first."""
        rows = [{"reason": reason, "contacts": len(ids)} for reason, ids in self.excluded.items()]
        return sorted(rows, key=lambda row: (-row["contacts"], row["reason"]))


def audience(session: Session, user: User, campaign: Campaign) -> Audience:
    """Resolve the campaign's audience now, for `user` (the one who would send it)."""
    statuses = dict(session.execute(select(CampaignRecipient.contact_id, CampaignRecipient.status).where(
        CampaignRecipient.campaign_id == campaign.id, CampaignRecipient.deleted_at.is_(None))).all())
    candidates = set(statuses) | set(_segment_ids(session, user, campaign))
    result = Audience()
    seen: set[int] = set()
    for chunk in chunks(sorted(candidates)):
        rows = session.execute(select(
            Contact.id, Contact.email, Contact.phone, Contact.mobile, Contact.unsubscribed,
            Contact.consent_email, Contact.consent_phone, Contact.consent_sms,
        ).where(Contact.id.in_(chunk), Contact.deleted_at.is_(None),
                permissions.visible_clause(user, Contact))).all()
        for row in rows:
            seen.add(row.id)
            if statuses.get(row.id, "pending") not in RESENDABLE:
                result.already_sent.append(row.id)
            elif (reason := exclusion_reason(row, campaign.channel)) is not None:
                result.excluded.setdefault(reason, []).append(row.id)
            else:
                result.eligible.append(row.id)
    # Recipients added earlier that the sender may not see; segment members they may not see are
    # simply not theirs to reach, and are not reported.
    hidden = sorted(c for c in set(statuses) - seen if statuses[c] in RESENDABLE)
    if hidden:
        result.excluded[NOT_VISIBLE] = hidden
    return result


def _segment_ids(session: Session, user: User, campaign: Campaign) -> list[int]:
    members = _segment_query(session, user, campaign)
    return [] if members is None else list(session.scalars(members))


def _segment_query(session: Session, user: User, campaign: Campaign) -> Select[Any] | None:
    if campaign.segment_id is None:
        return None
    segment = session.get(Segment, campaign.segment_id)
    if segment is None or segment.deleted_at is not None:
        raise NotFound(f"The campaign's segment (#{campaign.segment_id}) no longer exists; choose another.")
    return segment_members(session, user, segment.name)


# ---- the same audience counted in the database, for the campaign page --------------------------------


@dataclass(frozen=True)
class AudienceCounts:
    """How many contacts a send would reach, were sent already, and are excluded (by reason):
    `audience()`'s figures without reading every recipient."""

    eligible: int = 0
    already_sent: int = 0
    excluded: dict[str, int] = field(default_factory=dict)

    @property
    def excluded_count(self) -> int:
        return sum(self.excluded.values())

    def report(self) -> list[dict[str, Any]]:
        rows = [{"reason": reason, "contacts": count} for reason, count in self.excluded.items()]
        return sorted(rows, key=lambda row: (-row["contacts"], row["reason"]))


def audience_counts(session: Session, user: User, campaign: Campaign) -> AudienceCounts:
    """`audience()` counted without reading every recipient: the recipient rows from the counts
    kept per campaign (campaign_summary), plus the segment members without a row, counted now."""
    kept, _ = campaign_summary.audience_outcomes(session, user, campaign.id)
    counts = Counter(kept)
    joining = _newcomers(session, user, campaign)
    if joining is not None:
        rows = session.execute(select(joining.c.outcome, func.count()).group_by(joining.c.outcome)).all()
        counts.update({str(name): int(count) for name, count in rows})
    found = {name: count for name, count in counts.items() if count}
    return AudienceCounts(eligible=found.pop(ELIGIBLE, 0), already_sent=found.pop(ALREADY_SENT, 0),
                          excluded=found)


def audience_sample(session: Session, user: User, campaign: Campaign, limit: int = 200) -> list[int]:
    """The first `limit` contact ids of the eligible, then of the already sent, by id: the
    recipients a preview may pick from (each list read in id order, stopping at `limit`)."""
    joining = _newcomers(session, user, campaign)
    chosen: list[int] = []
    for outcome in (ELIGIBLE, ALREADY_SENT):
        wanted = limit - len(chosen)
        if wanted <= 0:
            break
        ids = campaign_summary.audience_first_contacts(session, user, campaign.id, outcome, wanted)
        if joining is not None and outcome == ELIGIBLE:  # a segment's newcomers are all still to send
            ids += session.scalars(select(joining.c.contact_id).where(joining.c.outcome == outcome)
                                   .order_by(joining.c.contact_id).limit(wanted))
        chosen += sorted(int(i) for i in ids)[:wanted]
    return chosen


def _newcomers(session: Session, user: User, campaign: Campaign) -> Any:
    """(contact_id, outcome) of the segment members the sender may see without a live recipient
    row (they would join as pending), as `audience()` decides it; None without a segment. Members
    the sender may not see are not theirs to reach: left out."""
    members = _segment_query(session, user, campaign)
    if members is None:
        return None
    visible = and_(Contact.deleted_at.is_(None), permissions.visible_clause(user, Contact))
    outcome = case(*exclusions(campaign.channel), else_=literal(ELIGIBLE))
    added = select(CampaignRecipient.id).where(CampaignRecipient.campaign_id == campaign.id,
                                               CampaignRecipient.deleted_at.is_(None),
                                               CampaignRecipient.contact_id == Contact.id)
    return (select(Contact.id.label("contact_id"), outcome.label("outcome"))
            .where(Contact.id.in_(members), visible, ~added.exists()).subquery("newcomers"))


def matching_contacts(session: Session, user: User, filters: list[dict[str, Any]]) -> list[int]:
    """Ids of the contacts `user` may see that match `filters` (the saved segments' format)."""
    members = filter_members(session, user, filters)
    query = select(Contact.id).where(Contact.id.in_(members), permissions.visible_clause(user, Contact))
    return list(session.scalars(query.order_by(Contact.id)))


def visible_contacts(session: Session, user: User, contact_ids: Iterable[int]) -> list[int]:
    """The ids, in order, after checking each is a live contact `user` may see (NotFound otherwise)."""
    wanted = list(dict.fromkeys(int(i) for i in contact_ids))
    found: set[int] = set()
    for chunk in chunks(wanted):
        found |= set(session.scalars(select(Contact.id).where(
            Contact.id.in_(chunk), Contact.deleted_at.is_(None), permissions.visible_clause(user, Contact))))
    missing = [i for i in wanted if i not in found]
    if missing:
        shown = ", ".join(f"#{i}" for i in missing[:20])
        raise NotFound(f"There is no contact you may see with id {shown}.")
    return wanted


@use_case
def add_recipients(*, session: Session, user: User, campaign_id: int, contact_ids: Iterable[int],
                   source: str = "app") -> int:
    """Add contacts to the campaign as pending recipients (each at most once); returns how many
    were new. Every contact must be one the user may see."""
    campaign = get_record(session, user, "campaigns", campaign_id)
    permissions.require_write(session, user, "campaigns", campaign)
    wanted = visible_contacts(session, user, contact_ids)
    existing = set(session.scalars(select(CampaignRecipient.contact_id).where(
        CampaignRecipient.campaign_id == campaign.id)))
    added = 0
    for contact_id in wanted:
        if contact_id in existing:
            continue
        recipient = CampaignRecipient(campaign_id=campaign.id, contact_id=contact_id)
        session.add(recipient)
        session.flush()
        audit(session, user, "create", "campaign_recipients", recipient.id, None, snapshot(recipient), source)
        added += 1
    commit(session)
    return added


@use_case
def add_recipients_from_filter(*, session: Session, user: User, campaign_id: int,
                               filters: list[dict[str, Any]], source: str = "app") -> int:
    """Add every contact the user may see that matches `filters`; returns how many were new."""
    if not filters:
        raise ValidationError.single("filters", "add at least one condition (to reach everyone, "
                                                "use a segment)")
    ids = matching_contacts(session, user, filters)
    return add_recipients(session=session, user=user, campaign_id=campaign_id, contact_ids=ids,
                          source=source)


def cross_sell_audience(session: Session, user: User, product: str, partner: str | None = None) -> list[int]:
    """Contacts the user may see who bought `product` and never `partner`: whom to offer the partner."""
    query = select(Contact.id).where(Contact.id.in_(_buyers(product)), Contact.deleted_at.is_(None),
                                     permissions.visible_clause(user, Contact))
    if partner:
        query = query.where(Contact.id.not_in(_buyers(partner)))
    return list(session.scalars(query.order_by(Contact.id)))


def _buyers(product: str) -> Any:
    # The product's ids first: the lines are then found through the (product_id, order_id) index
    # instead of scanning every line and joining its product to compare names.
    ids = select(Product.id).where(Product.name == product)
    return (select(Order.contact_id).join(OrderLine, OrderLine.order_id == Order.id)
            .where(OrderLine.product_id.in_(ids), Order.status != "cancelled", Order.deleted_at.is_(None),
                   Order.contact_id.is_not(None)))
