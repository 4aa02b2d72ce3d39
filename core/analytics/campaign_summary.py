"""Campaign results kept in the database: what the campaign pages read instead of every recipient
joined to every order.

Counting a campaign's results from the raw rows means reading all its recipients (half a million
per campaign at a million contacts) and looking up each one's orders and deals: tens of seconds.
The results themselves are small, so three tables keep them (core/models/summaries.py):

- campaign_answer_counts: per campaign, its live recipients counted per delivery status, response
  and whether a send time is recorded (the funnel and the answers are sums over these groups);
- campaign_reply_medians: per campaign, the median days from sending to a positive answer;
- campaign_follow_ups: each order (sold, of a live contact) and each live deal of a recipient's
  contact placed up to WINDOW_DAYS after the recipient was sent the campaign, with its amount,
  owner and exact delay, so a reader applies its own window rule and sees only its own orders.

The same summary keeps each campaign's audience for the workspace (`campaign_reach`: every live
recipient's outcome, counted per contact owner).

They are folded on read (`summaries.refresh`): new or audited recipients have their campaign's
counts recomputed and their follow-ups found again; new or audited orders, order lines, deals and
contacts have the follow-ups of their contact's recipients found again; new or audited recipients
and the recipients of audited contacts move to their new audience counts, and an audited campaign
whose channel changed has its audience counted again. Readers are scoped on the campaign (whose
recipients they may see), on the follow-up's owner (whose orders and deals they may see) and on the
recipient's contact's owner (whose contacts they may see), the same rule as every read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Connection, Select, and_, delete, func, insert, select
from sqlmodel import Session

from core.analytics import campaign_reach, summaries
from core.analytics._frames import days_between, to_datetime
from core.analytics.campaigns import PERFORMANCE_COLUMNS, STEPS, answer_flags, with_rates
from core.analytics.loaders import _raw, read_frame
from core.models import (
    Campaign,
    CampaignAnswerCount,
    CampaignFollowUp,
    CampaignRecipient,
    CampaignReplyMedian,
    Contact,
    Deal,
    Order,
    OrderLine,
    User,
)
from core.models.base import NOT_SOLD_ORDER_STATUSES
from core.query.sqlfuncs import days_between as sql_days_between
from core.services.permissions import owner_visible_clause, visible_clause

NAME = "campaigns"
WINDOW_DAYS = 30  # the longest window kept: follow-ups up to this many days after sending
POSITIVE = ("replied", "interested")  # the answers that count as a response
REBUILD_ABOVE = 200_000  # recipients to refold beyond which a full build is cheaper
SOURCES = ("campaign_recipients", "orders", "order_lines", "deals", "audit_log")
ANSWERS = CampaignAnswerCount.__table__  # type: ignore[attr-defined]
MEDIANS = CampaignReplyMedian.__table__  # type: ignore[attr-defined]
FOLLOW_UPS = CampaignFollowUp.__table__  # type: ignore[attr-defined]
LAST_SECOND = WINDOW_DAYS * 86400 + 1  # kept a second beyond, for the readers that round to seconds
COLUMNS = ("kind", "record_id", "recipient_id", "campaign_id", "owner_id", "amount", "after_seconds")


def answer(status: str, response: str | None) -> str:
    """What the person answered: the response when one is recorded, else the delivery status."""
    return status if response is None else response


# ---- build and fold -----------------------------------------------------------------------------------


def build(connection: Connection) -> None:
    for table in (ANSWERS, MEDIANS, FOLLOW_UPS):
        connection.execute(delete(table))
    _count_answers(connection, None)
    _find_follow_ups(connection, None)
    campaign_reach.build(connection)


def fold(connection: Connection, new: dict[str, summaries.NewRows]) -> None:
    """Recount the campaigns of the new and audited recipients, find again the follow-ups of the
    recipients whose rows, contact, orders or deals changed, and refold the audience of the
    recipients whose rows or contacts changed."""
    touched = _touched(connection, new)
    direct, related = touched.direct, touched.related
    recipients = direct | related
    if len(recipients) > REBUILD_ABOVE:
        raise summaries.RebuildNeeded
    campaigns = summaries.ids_matching(connection, "SELECT campaign_id FROM campaign_recipients", "id",
                                       direct)
    for chunk in summaries.chunks(campaigns):
        connection.execute(delete(ANSWERS).where(ANSWERS.c.campaign_id.in_(chunk)))
        connection.execute(delete(MEDIANS).where(MEDIANS.c.campaign_id.in_(chunk)))
        _count_answers(connection, chunk)
    for chunk in summaries.chunks(recipients):
        connection.execute(delete(FOLLOW_UPS).where(FOLLOW_UPS.c.recipient_id.in_(chunk)))
        _find_follow_ups(connection, chunk)
    campaign_reach.fold(connection, direct | touched.of_contacts, touched.campaigns)


SUMMARY = summaries.register(summaries.Summary(NAME, SOURCES, build, fold))


def refresh(session: Session) -> bool:
    """Bring the kept campaign results up to date (built on first use); True when anything changed."""
    return summaries.refresh(session, SUMMARY)


@dataclass(frozen=True)
class Touched:
    direct: set[int]  # recipients added or audited
    related: set[int]  # recipients whose contact, orders or deals changed
    of_contacts: set[int]  # recipients of audited contacts (their audience outcome may move)
    campaigns: set[int]  # audited campaigns (their channel may have changed)


def _touched(connection: Connection, new: dict[str, summaries.NewRows]) -> Touched:
    """What the new rows and audit entries touch."""
    def ids(sql: str) -> set[int]:
        return summaries.ids(connection, sql)

    audited = summaries.audited_ids(connection, new["audit_log"],
                                    ("campaign_recipients", "orders", "deals", "contacts", "campaigns"))
    direct = ids(f"SELECT id FROM campaign_recipients WHERE {new['campaign_recipients'].where('id')}")
    direct |= audited["campaign_recipients"]
    of_contacts = _recipients_of(connection, audited["contacts"])
    contacts = ids(f"SELECT contact_id FROM orders WHERE {new['orders'].where('id')}")
    contacts |= ids("SELECT o.contact_id FROM order_lines l JOIN orders o ON o.id = l.order_id "
                    f"WHERE {new['order_lines'].where('l.id')}")
    contacts |= ids(f"SELECT contact_id FROM deals WHERE {new['deals'].where('id')}")
    related: set[int] = set(of_contacts)
    for kind, table in (("order", "orders"), ("deal", "deals")):
        for chunk in summaries.chunks(audited[table]):
            contacts |= ids(f"SELECT contact_id FROM {table} WHERE {summaries.in_list('id', chunk)}")
            # the recipients it followed before, in case it moved to another contact
            related |= ids(f"SELECT recipient_id FROM campaign_follow_ups WHERE kind = '{kind}' "
                           f"AND {summaries.in_list('record_id', chunk)}")
    related |= _recipients_of(connection, contacts - audited["contacts"])
    return Touched(direct, related, of_contacts, audited["campaigns"])


def _recipients_of(connection: Connection, contact_ids: set[int]) -> set[int]:
    return summaries.ids_matching(connection, "SELECT id FROM campaign_recipients", "contact_id", contact_ids)


# ---- answers and reply times ---------------------------------------------------------------------------


def _count_answers(connection: Connection, campaign_ids: list[int] | None) -> None:
    """Count the live recipients of these campaigns (all when None) per status, response and send
    time recorded, and keep each campaign's median days to a positive answer."""
    live = [CampaignRecipient.deleted_at.is_(None)]
    if campaign_ids is not None:
        live.append(CampaignRecipient.campaign_id.in_(campaign_ids))
    dated = CampaignRecipient.sent_at.is_not(None)
    keys = (CampaignRecipient.campaign_id, CampaignRecipient.status, CampaignRecipient.response, dated)
    groups = connection.execute(select(*keys, func.count()).where(*live).group_by(*keys)).all()
    rows = [{"campaign_id": campaign, "status": status, "response": response, "dated": bool(sent),
             "recipients": int(count)} for campaign, status, response, sent, count in groups]
    if rows:
        connection.execute(insert(ANSWERS), rows)
    positive = sorted({answer(row["status"], row["response"]) for row in rows
                       if answer(row["status"], row["response"]).strip().lower() in POSITIVE})
    if positive:
        _keep_medians(connection, live, positive)


def _keep_medians(connection: Connection, live: list[ColumnElement[bool]], positive: list[str]) -> None:
    """The median of (responded_at − sent_at) in days per campaign, over its recipients who answered
    one of `positive`, computed as `campaigns.campaign_performance` computes it."""
    answered = func.coalesce(CampaignRecipient.response, CampaignRecipient.status)
    query = select(CampaignRecipient.campaign_id.label("campaign"),
                   _raw(CampaignRecipient.sent_at, "sent_at"),
                   _raw(CampaignRecipient.responded_at, "responded_at")).where(*live, answered.in_(positive))
    replies = read_frame(connection, query, ("sent_at", "responded_at"))
    days = days_between(to_datetime(replies["responded_at"]), to_datetime(replies["sent_at"]))
    medians = days.groupby(replies["campaign"]).median().dropna()
    rows = [{"campaign_id": int(campaign), "median_days": float(median)}
            for campaign, median in medians.items()]
    if rows:
        connection.execute(insert(MEDIANS), rows)


# ---- follow-ups -------------------------------------------------------------------------------------


def _find_follow_ups(connection: Connection, recipient_ids: list[int] | None) -> None:
    """Keep the orders and deals that followed these recipients (all when None) within the window."""
    for kind, query in (("order", _order_candidates()), ("deal", _deal_candidates())):
        if recipient_ids is not None:
            query = query.where(CampaignRecipient.id.in_(recipient_ids))
        found = read_frame(connection, query, ("sent_at", "at"))
        after = (found["at"] - found["sent_at"]).dt.total_seconds()
        keep = (after > 0) & (after <= LAST_SECOND)
        if kind == "order":  # an answer read as pending was not sent, whatever its send time says
            answers = found["response"].where(found["response"].notna(), found["status"])
            keep &= answers.astype(str).str.strip().str.lower().ne("pending")
        found = found.assign(kind=kind, after_seconds=after)[keep]
        rows = [_plain(dict(zip(COLUMNS, values, strict=True)))
                for values in found[list(COLUMNS)].itertuples(index=False)]
        if rows:
            connection.execute(insert(FOLLOW_UPS), rows)


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """numpy scalars and NaN owners as the driver wants them."""
    owner = row["owner_id"]
    return {**row, "record_id": int(row["record_id"]), "recipient_id": int(row["recipient_id"]),
            "campaign_id": int(row["campaign_id"]), "owner_id": None if pd.isna(owner) else int(owner),
            "amount": float(row["amount"]), "after_seconds": float(row["after_seconds"])}


def _near(later: Any) -> ColumnElement[bool]:
    """A loose window (a day either side) the database can test; the exact one is applied in pandas."""
    days = sql_days_between(later, CampaignRecipient.sent_at)
    return and_(days > -1, days < WINDOW_DAYS + 1)


def _recipient_columns() -> tuple[Any, ...]:
    return (CampaignRecipient.id.label("recipient_id"), CampaignRecipient.campaign_id,
            CampaignRecipient.status, CampaignRecipient.response, _raw(CampaignRecipient.sent_at, "sent_at"))


def _order_candidates() -> Select[Any]:
    """Sold orders of live contacts near each sent recipient's send time, with their amount."""
    amount = (select(func.coalesce(func.sum(OrderLine.quantity * OrderLine.unit_price), 0.0))
              .where(OrderLine.order_id == Order.id).scalar_subquery())
    return (select(*_recipient_columns(), Order.id.label("record_id"), Order.owner_id,
                   _raw(Order.ordered_at, "at"), amount.label("amount"))
            .select_from(CampaignRecipient)
            .join(Order, Order.contact_id == CampaignRecipient.contact_id)
            .join(Contact, and_(Contact.id == Order.contact_id, Contact.deleted_at.is_(None)))
            .where(CampaignRecipient.deleted_at.is_(None), CampaignRecipient.sent_at.is_not(None),
                   Order.deleted_at.is_(None), Order.status.not_in(NOT_SOLD_ORDER_STATUSES),
                   _near(Order.ordered_at)))


def _deal_candidates() -> Select[Any]:
    """Live deals created near each sent recipient's send time."""
    return (select(*_recipient_columns(), Deal.id.label("record_id"), Deal.owner_id,
                   _raw(Deal.created_at, "at"), Deal.amount)
            .select_from(CampaignRecipient)
            .join(Deal, Deal.contact_id == CampaignRecipient.contact_id)
            .where(CampaignRecipient.deleted_at.is_(None), CampaignRecipient.sent_at.is_not(None),
                   Deal.deleted_at.is_(None), _near(Deal.created_at)))


# ---- reading --------------------------------------------------------------------------------------------


def visible_campaigns(user: User) -> Select[Any]:
    """The ids of the live campaigns `user` may see (whose recipients they may see)."""
    return select(Campaign.id).where(visible_clause(user, Campaign), Campaign.deleted_at.is_(None))


Group = tuple[int, str, str | None, bool, int]  # campaign_id, status, response, dated, recipients


def answer_groups(session: Session, campaigns: Select[Any] | list[int]) -> list[Group]:
    """(campaign_id, status, response, dated, recipients) of these campaigns (folds changes first)."""
    refresh(session)
    query = (select(ANSWERS.c.campaign_id, ANSWERS.c.status, ANSWERS.c.response, ANSWERS.c.dated,
                    ANSWERS.c.recipients).where(ANSWERS.c.campaign_id.in_(campaigns)))
    return [(int(campaign), str(status), response, bool(dated), int(count))
            for campaign, status, response, dated, count in session.execute(query).all()]


def audience_outcomes(session: Session, user: User, campaign_id: int) -> tuple[dict[str, int], int]:
    """The campaign's recipient rows counted per audience outcome for `user`, and how many of them
    `user` may see (folds changes first); see `campaign_reach.outcomes`."""
    refresh(session)
    return campaign_reach.outcomes(session, user, campaign_id)


def audience_first_contacts(session: Session, user: User, campaign_id: int, outcome: str,
                            limit: int) -> list[int]:
    """The first `limit` contact ids of the campaign's recipients `user` may see with this outcome."""
    refresh(session)
    return campaign_reach.first_contacts(session, user, campaign_id, outcome, limit)


def reply_medians(session: Session, campaigns: Select[Any] | list[int]) -> dict[int, float]:
    rows = session.execute(select(MEDIANS.c.campaign_id, MEDIANS.c.median_days)
                           .where(MEDIANS.c.campaign_id.in_(campaigns))).all()
    return {int(campaign): float(median) for campaign, median in rows if median is not None}


def follow_up_totals(session: Session, user: User, kind: str, campaigns: Select[Any] | list[int],
                     within: ColumnElement[bool]) -> dict[int, tuple[int, int, float]]:
    """Per campaign: recipients followed, follow-ups and their amount, of the `kind` records the
    user may see whose delay passes `within` (a condition on after_seconds)."""
    column = FOLLOW_UPS.c
    rows = session.execute(
        select(column.campaign_id, func.count(func.distinct(column.recipient_id)), func.count(),
               func.coalesce(func.sum(column.amount), 0.0))
        .where(column.kind == kind, column.campaign_id.in_(campaigns), within,
               owner_visible_clause(user, column.owner_id))
        .group_by(column.campaign_id)).all()
    return {int(campaign): (int(people), int(count), float(amount))
            for campaign, people, count, amount in rows}


def within_days(window_days: int) -> ColumnElement[bool]:
    """0 < delay <= window, as `campaigns.conversions` compares it (exact, fractions of a second kept)."""
    return and_(FOLLOW_UPS.c.after_seconds > 0, FOLLOW_UPS.c.after_seconds <= window_days * 86400)


def within_whole_seconds(window_days: int) -> ColumnElement[bool]:
    """0 < delay <= window compared in whole seconds, as the campaign workspace has always counted."""
    seconds = func.round(FOLLOW_UPS.c.after_seconds)
    return and_(seconds > 0, seconds <= window_days * 86400)



def performance(session: Session, user: User, window_days: int = WINDOW_DAYS) -> pd.DataFrame:
    """`campaigns.campaign_performance` of the campaigns the user may see, from the kept results:
    the same columns and figures, the conversions limited to the orders the user may see."""
    visible = visible_campaigns(user)
    groups = answer_groups(session, visible)
    if not groups:
        return pd.DataFrame(columns=list(PERFORMANCE_COLUMNS))
    medians = reply_medians(session, visible)
    ordered = follow_up_totals(session, user, "order", visible, within_days(window_days))
    per_campaign: dict[int, dict[str, Any]] = {}
    for campaign, status, response, dated, count in groups:
        totals = per_campaign.setdefault(campaign, dict.fromkeys(("recipients", *STEPS, "bounced",
                                                                 "unsubscribed"), 0))
        totals["recipients"] += count
        for step, flag in answer_flags(answer(status, response), dated).items():
            totals[step] += flag * count
    rows = [{"campaign": campaign, **totals, "converted": ordered.get(campaign, (0, 0, 0.0))[0],
             "revenue": ordered.get(campaign, (0, 0, 0.0))[2],
             "median_days_to_respond": medians.get(campaign, float("nan"))}
            for campaign, totals in sorted(per_campaign.items())]
    counts = ["campaign", "recipients", *STEPS, "bounced", "unsubscribed", "converted"]
    return with_rates(pd.DataFrame(rows).astype({column: "int64" for column in counts}))
