"""One campaign's results: the response funnel, and the deals and orders that followed it.

The funnel, the rates and the revenue follow the rules of `campaigns.campaign_performance` (see
there), read from the campaign results kept in the database (`campaign_summary`: the recipients
counted per answer, and the orders and deals that followed each); the answers are counted from the
recorded responses; deals count when a recipient's deal was created after they were sent the
campaign and within the same window as orders (30 days). Delays are compared in whole seconds.
"Followed" is not "caused": a deal or an order may have happened anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, and_, distinct, func, select, true
from sqlmodel import Session

from core.analytics import campaign_summary
from core.analytics.cache import cached, user_scope
from core.analytics.campaigns import FUNNEL, STEPS
from core.analytics.version import QUERY_MODELS, data_version
from core.models import CampaignRecipient, Contact, Deal, Order, OrderLine, User
from core.models.base import NOT_SOLD_ORDER_STATUSES
from core.query.sqlfuncs import days_between
from core.services.permissions import visible_clause
from core.services.records import get_record

WINDOW_DAYS = 30
ANSWERS = ("replied", "interested", "not_interested", "unsubscribed")


@dataclass(frozen=True)
class CampaignResults:
    recipients: int
    pending: int
    failed: int
    sent: int
    bounced: int
    delivered: int
    opened: int
    clicked: int
    answers: dict[str, int]  # replied, interested, not_interested, unsubscribed
    response_rate: float | None  # replied or interested, per recipient sent
    ordered: int  # recipients who ordered within the window
    revenue: float
    deals: int
    deal_amount: float
    window_days: int

    def funnel(self) -> pd.DataFrame:
        """step, recipients: for a chart."""
        steps = {"Sent": self.sent, "Delivered": self.delivered, "Opened": self.opened,
                 "Clicked": self.clicked, "Replied": self.answers["replied"],
                 "Interested": self.answers["interested"], "Ordered": self.ordered}
        return pd.DataFrame({"step": list(steps), "recipients": list(steps.values())})


def campaign_results(session: Session, user: User, campaign_id: int,
                     window_days: int = WINDOW_DAYS) -> CampaignResults:
    """The results of one campaign the user may see (NotFound otherwise), counted in the database
    (a campaign of half a million recipients is a few GROUP BYs, not a frame of every recipient),
    cached per data version and reader."""
    get_record(session, user, "campaigns", campaign_id)
    return cached("campaign-results", data_version(session, QUERY_MODELS), user_scope(user),
                  (campaign_id, window_days), lambda: _results(session, user, campaign_id, window_days))


def _results(session: Session, user: User, campaign_id: int, window_days: int) -> CampaignResults:
    if window_days > campaign_summary.WINDOW_DAYS:  # longer than the kept follow-ups: from the rows
        return _results_from_rows(session, user, campaign_id, window_days)
    # The kept results (campaign_summary): answer groups, and the orders and deals that followed.
    groups = [group[1:] for group in campaign_summary.answer_groups(session, [campaign_id])]
    within = campaign_summary.within_whole_seconds(window_days)
    ordered, _, revenue = campaign_summary.follow_up_totals(
        session, user, "order", [campaign_id], within).get(campaign_id, (0, 0, 0.0))
    _, deals, amount = campaign_summary.follow_up_totals(
        session, user, "deal", [campaign_id], within).get(campaign_id, (0, 0, 0.0))
    return _assemble(groups, (ordered, round(revenue, 2)), (deals, amount), window_days)


def _results_from_rows(session: Session, user: User, campaign_id: int, window_days: int) -> CampaignResults:
    live = (CampaignRecipient.campaign_id == campaign_id, CampaignRecipient.deleted_at.is_(None))
    answer = func.coalesce(CampaignRecipient.response, CampaignRecipient.status)
    dated = CampaignRecipient.sent_at.is_not(None)
    # One pass over the recipients: every figure below is a sum over these few groups.
    keys = (CampaignRecipient.status, CampaignRecipient.response, dated)
    groups = [(str(status), response, bool(sent), int(count)) for status, response, sent, count in
              session.execute(select(*keys, func.count()).where(*live).group_by(*keys)).all()]
    # Sent, as the funnel counts it: a send time, and an answer that is not (read as) pending.
    pending = sorted({_answer(status, response) for status, response, _, _ in groups
                      if _normal(_answer(status, response)) == "pending"})
    sent_rows = and_(*live, CampaignRecipient.sent_at.is_not(None),
                     answer.not_in(pending) if pending else true())
    orders = _orders_after(session, user, sent_rows, window_days)
    deals = _deals_after(session, user, and_(*live, CampaignRecipient.sent_at.is_not(None)), window_days)
    return _assemble(groups, orders, deals, window_days)


def _assemble(groups: list[tuple[str, str | None, bool, int]], orders: tuple[int, float],
              deals: tuple[int, float], window_days: int) -> CampaignResults:
    """The results from the (status, response, has a send time, recipients) groups and the
    (recipients who ordered, revenue) and (deals, amount) that followed."""
    steps = _steps([(_answer(status, response), sent, count) for status, response, sent, count in groups])
    statuses: dict[str, int] = {}
    answers: dict[str, int] = {}
    for status, response, _, count in groups:
        statuses[status] = statuses.get(status, 0) + count
        if response is not None:
            answers[response] = answers.get(response, 0) + count
    sent = steps["sent"]
    return CampaignResults(
        recipients=steps["recipients"], pending=int(statuses.get("pending", 0)),
        failed=int(statuses.get("failed", 0)), sent=sent, bounced=steps["bounced"],
        delivered=sent - steps["bounced"], opened=steps["opened"], clicked=steps["clicked"],
        answers={name: int(answers.get(name, 0)) for name in ANSWERS},
        response_rate=steps["responded"] / sent if sent else None,
        ordered=orders[0], revenue=orders[1], deals=deals[0], deal_amount=deals[1], window_days=window_days)


def _answer(status: str, response: str | None) -> str:
    """What the person answered: the response when one is recorded, else the delivery status."""
    return status if response is None else response


def _normal(status: str) -> str:
    return status.strip().lower()


def _steps(groups: list[tuple[str, bool, int]]) -> dict[str, int]:
    """Funnel counts from (answer, has a send time, recipients) groups, by the rules of
    `campaigns.recipient_steps` (an unknown answer counts as sent when a send time is recorded)."""
    totals = dict.fromkeys(("recipients", *STEPS, "bounced"), 0)
    for raw, dated, count in groups:
        status = _normal(raw)
        flags = FUNNEL.get(status, (int(dated), 0, 0, 0))
        totals["recipients"] += count
        for step, flag in zip(STEPS, flags, strict=True):
            totals[step] += flag * count
        totals["bounced"] += count if status == "bounced" else 0
    return totals


def _within(later: Any, sent_at: Any, window_days: int) -> ColumnElement[bool]:
    """0 < later - sent_at <= window, compared in whole seconds (julianday's float arithmetic would
    put a difference of exactly 30 days a hair either side)."""
    seconds = func.round(days_between(later, sent_at) * 86400)
    return and_(seconds > 0, seconds <= window_days * 86400)


def _orders_after(session: Session, user: User, sent_rows: ColumnElement[bool],
                  window_days: int) -> tuple[int, float]:
    """Recipients sent the campaign who ordered within the window after, and the revenue of those
    orders (visible, sold orders of live contacts; an order's amount is the sum of its lines).
    Read from each sent recipient through the orders' (contact, date) index, never every order."""
    line_amount = func.coalesce(OrderLine.quantity * OrderLine.unit_price, 0.0)
    row = session.execute(
        select(func.count(distinct(CampaignRecipient.id)), func.coalesce(func.sum(line_amount), 0.0))
        .select_from(CampaignRecipient)
        .join(Order, and_(Order.contact_id == CampaignRecipient.contact_id,
                          Order.ordered_at > CampaignRecipient.sent_at))
        .join(Contact, and_(Contact.id == Order.contact_id, Contact.deleted_at.is_(None)))
        .outerjoin(OrderLine, OrderLine.order_id == Order.id)
        .where(sent_rows, _within(Order.ordered_at, CampaignRecipient.sent_at, window_days),
               visible_clause(user, Order), Order.deleted_at.is_(None),
               Order.status.not_in(NOT_SOLD_ORDER_STATUSES))).one()
    return int(row[0]), round(float(row[1]), 2)


def _deals_after(session: Session, user: User, sent_rows: ColumnElement[bool],
                 window_days: int) -> tuple[int, float]:
    """Deals (visible to the user) of recipients created within the window after they were sent.
    A contact is a campaign's recipient once at most, so each deal pairs with one recipient."""
    row = session.execute(
        select(func.count(), func.coalesce(func.sum(Deal.amount), 0.0)).select_from(CampaignRecipient)
        .join(Deal, and_(Deal.contact_id == CampaignRecipient.contact_id,
                         Deal.created_at > CampaignRecipient.sent_at))
        .where(sent_rows, _within(Deal.created_at, CampaignRecipient.sent_at, window_days),
               Deal.deleted_at.is_(None), visible_clause(user, Deal))).one()
    return int(row[0]), float(row[1])
