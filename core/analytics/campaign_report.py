"""One campaign's results: the response funnel, and the deals and orders that followed it.

The funnel, the rates and the revenue come from `campaigns.campaign_performance` (see its rules);
the answers are counted from the recorded responses; deals count when a recipient's deal was
created after they were sent the campaign and within the same window as orders (30 days).
"Followed" is not "caused": a deal or an order may have happened anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select
from sqlmodel import Session

from core.analytics._frames import days_between, to_datetime
from core.analytics.campaigns import campaign_performance
from core.analytics.loaders import campaign_orders_frame, read_frame, recipients_frame
from core.models import CampaignRecipient, Deal, User
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
    """The results of one campaign the user may see (NotFound otherwise)."""
    get_record(session, user, "campaigns", campaign_id)
    recipients = recipients_frame(session, user, campaign_id)
    orders = campaign_orders_frame(session, user, campaign_id)
    row = campaign_performance(recipients, orders, window_days=window_days)
    perf = row.iloc[0] if not row.empty else pd.Series(dtype=object)
    statuses = dict(session.execute(
        select(CampaignRecipient.status, func.count()).where(
            CampaignRecipient.campaign_id == campaign_id, CampaignRecipient.deleted_at.is_(None))
        .group_by(CampaignRecipient.status)).all())
    answers = dict(session.execute(
        select(CampaignRecipient.response, func.count()).where(
            CampaignRecipient.campaign_id == campaign_id, CampaignRecipient.deleted_at.is_(None),
            CampaignRecipient.response.is_not(None))
        .group_by(CampaignRecipient.response)).all())
    deals, amount = _deals_after(session, user, recipients, window_days)
    sent, bounced = int(perf.get("sent", 0)), int(perf.get("bounced", 0))
    rate = perf.get("response_rate")
    return CampaignResults(
        recipients=len(recipients), pending=int(statuses.get("pending", 0)),
        failed=int(statuses.get("failed", 0)), sent=sent, bounced=bounced, delivered=sent - bounced,
        opened=int(perf.get("opened", 0)), clicked=int(perf.get("clicked", 0)),
        answers={name: int(answers.get(name, 0)) for name in ANSWERS},
        response_rate=None if rate is None or pd.isna(rate) else float(rate),
        ordered=int(perf.get("converted", 0)), revenue=float(perf.get("revenue", 0.0)),
        deals=deals, deal_amount=amount, window_days=window_days)


def _deals_after(session: Session, user: User, recipients: pd.DataFrame,
                 window_days: int) -> tuple[int, float]:
    """Deals (visible to the user) of recipients created within the window after they were sent."""
    sent = recipients.dropna(subset=["sent_at"])
    if sent.empty:
        return 0, 0.0
    ids = [int(i) for i in sent["contact_id"].unique()]
    frames = [read_frame(session, select(Deal.id, Deal.contact_id, Deal.created_at, Deal.amount).where(
        Deal.contact_id.in_(ids[start:start + 500]), Deal.deleted_at.is_(None),
        visible_clause(user, Deal)), ("created_at",)) for start in range(0, len(ids), 500)]
    deals = pd.concat(frames, ignore_index=True)
    pairs = deals.merge(sent[["contact_id", "sent_at"]], on="contact_id")
    after = days_between(to_datetime(pairs["created_at"]), to_datetime(pairs["sent_at"]))
    chosen = pairs[(after > 0) & (after <= window_days)].drop_duplicates("id")
    return len(chosen), float(pd.to_numeric(chosen["amount"]).sum())
