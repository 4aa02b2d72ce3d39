"""Who may receive a campaign: the rules `campaign_audience` applies, in Python and as SQL.

Kept apart from the audience service so that the campaign summary (core.analytics) can count the
same outcomes when it folds recipients, without importing the service that reads it.
An outcome is ELIGIBLE, ALREADY_SENT, or the first exclusion reason that applies.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, case, literal, or_, true

from core.models import CampaignRecipient, Contact

RESENDABLE = ("pending", "failed")  # recipient statuses a send (re)tries
CONSENT = {"email": "consent_email", "phone": "consent_phone", "sms": "consent_sms"}
MISSING = {"email": "no email address", "phone": "no phone number", "sms": "no mobile or phone number"}
NOT_VISIBLE = "deleted, or not visible to you"
UNSUBSCRIBED = "unsubscribed"
ELIGIBLE, ALREADY_SENT = "eligible", "already sent"  # the other two outcomes, for the SQL count


def exclusion_reason(contact: Any, channel: str) -> str | None:
    """Why `contact` may not receive a campaign on `channel`, or None when it may."""
    if contact.unsubscribed:
        return UNSUBSCRIBED
    if not getattr(contact, CONSENT[channel]):
        return f"no {channel} consent"
    address = contact.email if channel == "email" else (contact.mobile or contact.phone)
    if not address:
        return MISSING[channel]
    return None


def exclusions(channel: str) -> list[tuple[ColumnElement[bool], Any]]:
    """`exclusion_reason` as CASE branches, first reason first (NULL or '' counts as missing)."""
    def missing(column: Any) -> ColumnElement[bool]:
        return or_(column.is_(None), column == "")

    address = (missing(Contact.email) if channel == "email"
               else and_(missing(Contact.mobile), missing(Contact.phone)))
    return [(Contact.unsubscribed.is_(true()), literal(UNSUBSCRIBED)),
            (getattr(Contact, CONSENT[channel]).is_not(true()), literal(f"no {channel} consent")),
            (address, literal(MISSING[channel]))]


def recipient_outcome(channel: Any) -> ColumnElement[str]:
    """The outcome of a recipient row whose contact the sender may see, for the campaign channel
    held in the SQL expression `channel`: already sent unless (re)sendable, else the channel's first
    exclusion reason, else eligible. The channels' branches exclude each other, so within a channel
    the first reason still wins."""
    branches = [(and_(channel == name, condition), value)
                for name in CONSENT for condition, value in exclusions(name)]
    return case((CampaignRecipient.status.not_in(RESENDABLE), literal(ALREADY_SENT)), *branches,
                else_=literal(ELIGIBLE))
