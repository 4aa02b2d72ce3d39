"""Campaign performance: the response funnel per campaign and the orders that followed it.

Input: recipients (campaign, status, sent_at, responded_at, contact_id) and orders (contact_id,
ordered_at, amount). A recipient's status records the furthest step reached, so it implies the
steps before it:

    status          sent  opened  clicked  responded
    pending          -      -       -         -
    sent             x      -       -         -
    bounced          x      -       -         -      (counted as sent, also reported as bounced)
    opened           x      x       -         -
    clicked          x      x       x         -
    replied          x      x       -         x
    interested       x      x       -         x
    not_interested   x      x       -         -      (an answer, but not a positive response)
    unsubscribed     x      x       -         -      (also reported as unsubscribed)

A reply does not imply a click (phone and SMS campaigns have no link), so clicked can be lower than
responded. An unknown status counts as sent when sent_at is set and as nothing more.

Conversion: a sent recipient converted when they ordered after sent_at and within `window_days`
(30) of it; revenue is the sum of those orders. This is "ordered after", not proof the campaign
caused the order, and an order inside two campaigns' windows counts for both. Recipients without
sent_at cannot convert. All rates are shares of the recipients sent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.analytics._frames import days_between, ensure_columns, to_datetime

RECIPIENT_COLUMNS = ("campaign", "status", "sent_at", "responded_at", "contact_id")
ORDER_COLUMNS = ("contact_id", "ordered_at", "amount")
STEPS = ("sent", "opened", "clicked", "responded")
FUNNEL = {
    "pending": (0, 0, 0, 0),
    "sent": (1, 0, 0, 0),
    "bounced": (1, 0, 0, 0),
    "opened": (1, 1, 0, 0),
    "clicked": (1, 1, 1, 0),
    "replied": (1, 1, 0, 1),
    "interested": (1, 1, 0, 1),
    "not_interested": (1, 1, 0, 0),
    "unsubscribed": (1, 1, 0, 0),
}
PERFORMANCE_COLUMNS = (
    "campaign",
    "recipients",
    "sent",
    "bounced",
    "opened",
    "clicked",
    "responded",
    "unsubscribed",
    "converted",
    "revenue",
    "open_rate",
    "click_rate",
    "response_rate",
    "conversion_rate",
    "median_days_to_respond",
)


def recipient_steps(recipients: pd.DataFrame) -> pd.DataFrame:
    """Per recipient row, 0/1 flags for sent, opened, clicked, responded, bounced, unsubscribed."""
    status = recipients["status"].fillna("").astype(str).str.strip().str.lower()
    table = pd.DataFrame.from_dict(FUNNEL, orient="index", columns=list(STEPS))
    steps = table.reindex(status.to_numpy()).fillna(0).astype(int).set_index(recipients.index)
    unknown = ~status.isin(FUNNEL.keys())
    steps.loc[unknown, "sent"] = recipients.loc[unknown, "sent_at"].notna().astype(int)
    steps["bounced"] = status.eq("bounced").astype(int)
    steps["unsubscribed"] = status.eq("unsubscribed").astype(int)
    return steps


def conversions(recipients: pd.DataFrame, orders: pd.DataFrame, window_days: int = 30) -> pd.DataFrame:
    """Per recipient row that was sent: converted (0/1) and revenue of orders in the window."""
    sent = recipients.assign(sent_moment=to_datetime(recipients["sent_at"]))
    sent = sent[recipient_steps(recipients)["sent"].eq(1) & sent["sent_moment"].notna()]
    bought = pd.DataFrame({"contact_id": orders["contact_id"], "ordered": to_datetime(orders["ordered_at"]),
                           "amount": pd.to_numeric(orders["amount"], errors="coerce").fillna(0.0)})
    pairs = sent[["contact_id", "sent_moment"]].reset_index(names="row").merge(bought, on="contact_id")
    after = days_between(pairs["ordered"], pairs["sent_moment"])
    pairs = pairs[(after > 0) & (after <= window_days)]
    per_row = pairs.groupby("row")["amount"].agg(converted="size", revenue="sum")
    per_row = per_row.reindex(sent.index, fill_value=0)
    per_row["converted"] = (per_row["converted"] > 0).astype(int)
    return per_row


def campaign_performance(
    recipients: pd.DataFrame, orders: pd.DataFrame, *, window_days: int = 30
) -> pd.DataFrame:
    """One row per campaign: funnel counts, conversions, revenue after the campaign and rates."""
    recipients = ensure_columns(recipients, RECIPIENT_COLUMNS, "recipients")
    orders = ensure_columns(orders, ORDER_COLUMNS, "orders")
    if recipients.empty:
        return pd.DataFrame(columns=list(PERFORMANCE_COLUMNS))
    work = recipient_steps(recipients).join(conversions(recipients, orders, window_days))
    work = work.fillna({"converted": 0, "revenue": 0.0})
    work["campaign"] = recipients["campaign"]
    days = days_between(to_datetime(recipients["responded_at"]), to_datetime(recipients["sent_at"]))
    work["days_to_respond"] = days.where(work["responded"].eq(1))
    per_campaign = work.groupby("campaign", dropna=False).agg(
        recipients=("sent", "size"),
        **{column: (column, "sum") for column in (*STEPS, "bounced", "unsubscribed", "converted", "revenue")},
        median_days_to_respond=("days_to_respond", "median"),
    )
    per_campaign["converted"] = per_campaign["converted"].astype(int)
    return with_rates(per_campaign.reset_index())


def with_rates(per_campaign: pd.DataFrame) -> pd.DataFrame:
    """The per-campaign counts with their rates (shares of the recipients sent, NaN when nobody
    was), in PERFORMANCE_COLUMNS order."""
    sent = per_campaign["sent"].replace(0, np.nan)
    for step, rate in (("opened", "open_rate"), ("clicked", "click_rate"), ("responded", "response_rate"),
                       ("converted", "conversion_rate")):
        per_campaign[rate] = per_campaign[step] / sent
    return per_campaign[list(PERFORMANCE_COLUMNS)]


def answer_flags(answer: str, dated: bool) -> dict[str, int]:
    """`recipient_steps` for one recipient: 0/1 per step, bounced and unsubscribed, from what they
    answered (the response, else the delivery status) and whether a send time is recorded."""
    status = answer.strip().lower()
    flags = dict(zip(STEPS, FUNNEL.get(status, (int(dated), 0, 0, 0)), strict=True))
    return {**flags, "bounced": int(status == "bounced"), "unsubscribed": int(status == "unsubscribed")}
