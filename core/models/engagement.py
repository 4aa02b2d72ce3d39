"""Interactions on every channel, tasks and reminders, support cases, campaigns."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import NaiveDatetime
from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.config import now
from core.models.base import Editable, json_column


class Activity(Editable, table=True):
    """One interaction: a call, email, meeting, chat, SMS, social message or web form."""

    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activities_contact_time", "contact_id", "occurred_at"),
        Index("ix_activities_time_channel", "occurred_at", "channel"),
        Index("ix_activities_owner_time", "owner_id", "occurred_at"),
    )
    has_custom_fields: ClassVar[bool] = True

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int | None = Field(default=None, foreign_key="contacts.id")
    company_id: int | None = Field(default=None, foreign_key="companies.id", index=True)
    deal_id: int | None = Field(default=None, foreign_key="deals.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="cases.id", index=True)
    channel: str = Field(max_length=16)
    direction: str = Field(default="outbound", max_length=8)
    occurred_at: NaiveDatetime = Field(default_factory=now)
    subject: str | None = Field(default=None, max_length=300)  # the purpose
    notes: str | None = Field(default=None, max_length=10_000)
    outcome: str | None = Field(default=None, max_length=200)
    duration_minutes: int | None = None
    owner_id: int | None = Field(default=None, foreign_key="users.id")  # who handled it
    source: str = Field(default="manual", max_length=16)
    custom: dict[str, Any] = json_column()


class Task(Editable, table=True):
    """A task or follow-up reminder."""

    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_assignee_status_due", "assignee_id", "status", "due_at"),)
    owner_field: ClassVar[str | None] = "assignee_id"
    has_custom_fields: ClassVar[bool] = True

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=300)
    notes: str | None = Field(default=None, max_length=5000)
    due_at: NaiveDatetime | None = Field(default=None, index=True)
    assignee_id: int | None = Field(default=None, foreign_key="users.id")
    contact_id: int | None = Field(default=None, foreign_key="contacts.id", index=True)
    deal_id: int | None = Field(default=None, foreign_key="deals.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="cases.id", index=True)
    status: str = Field(default="open", max_length=16)
    priority: str = Field(default="normal", max_length=8)
    recurrence: str = Field(default="none", max_length=8)
    completed_at: NaiveDatetime | None = None
    reminder_sent_at: NaiveDatetime | None = None
    custom: dict[str, Any] = json_column()


class Case(Editable, table=True):
    """A support case."""

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_status_priority", "status", "priority"),)
    owner_field: ClassVar[str | None] = "assignee_id"
    has_custom_fields: ClassVar[bool] = True

    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(max_length=300)
    description: str | None = Field(default=None, max_length=10_000)
    contact_id: int | None = Field(default=None, foreign_key="contacts.id", index=True)
    company_id: int | None = Field(default=None, foreign_key="companies.id", index=True)
    status: str = Field(default="new", max_length=16)
    priority: str = Field(default="normal", max_length=8)
    channel: str = Field(default="email", max_length=16)
    opened_at: NaiveDatetime = Field(default_factory=now, index=True)
    resolved_at: NaiveDatetime | None = None
    sla_due_at: NaiveDatetime | None = None
    assignee_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    custom: dict[str, Any] = json_column()


class Campaign(Editable, table=True):
    __tablename__ = "campaigns"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    channel: str = Field(default="email", max_length=16)
    status: str = Field(default="draft", max_length=16)
    subject: str | None = Field(default=None, max_length=300)
    body: str | None = Field(default=None, max_length=20_000)
    segment_id: int | None = Field(default=None, foreign_key="segments.id")
    owner_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    budget: float | None = None
    sent_at: NaiveDatetime | None = None


class CampaignRecipient(Editable, table=True):
    """A contact targeted by a campaign, with the response recorded."""

    __tablename__ = "campaign_recipients"
    __table_args__ = (
        UniqueConstraint("campaign_id", "contact_id", name="uq_campaign_recipient"),
        Index("ix_campaign_recipients_contact", "contact_id"),
        # Covering the campaign results' recount of one campaign's answers (campaign_summary).
        Index("ix_campaign_recipients_answers", "campaign_id", "status", "response", "sent_at", "deleted_at"),
    )
    owner_field: ClassVar[str | None] = None

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaigns.id", index=True)
    contact_id: int = Field(foreign_key="contacts.id")
    status: str = Field(default="pending", max_length=16)
    sent_at: NaiveDatetime | None = None
    responded_at: NaiveDatetime | None = None
    # The delivery status above moves on (sent -> opened -> clicked); the response is what the
    # person said (replied, interested, not_interested, unsubscribed) and is kept apart.
    response: str | None = Field(default=None, max_length=16)
    response_note: str | None = Field(default=None, max_length=2000)


class OutboxMessage(SQLModel, table=True):
    """Every email the CRM sends (campaigns, reminders, automation), kept so it can be inspected.

    With SMTP configured a message is sent at once and kept as `sent` (or `failed` with the
    server's answer); without SMTP it stays `queued` here, which is what a test or a demo reads.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_status_created", "status", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    created_at: NaiveDatetime = Field(default_factory=now)
    kind: str = Field(max_length=16)  # campaign, reminder, automation
    to_address: str = Field(max_length=320)
    subject: str = Field(max_length=300)
    body: str = Field(max_length=50_000)
    status: str = Field(default="queued", max_length=16)  # queued, sent, failed
    sent_at: NaiveDatetime | None = None
    error: str | None = Field(default=None, max_length=2000)
    campaign_id: int | None = Field(default=None, foreign_key="campaigns.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contacts.id")
    user_id: int | None = Field(default=None, foreign_key="users.id")  # the addressee, if a user


class Notification(SQLModel, table=True):
    """An in-app message for one user (a due reminder, an automation's "notify"), shown until read."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id")
    created_at: NaiveDatetime = Field(default_factory=now)
    kind: str = Field(default="info", max_length=16)  # reminder, automation, info
    text: str = Field(max_length=2000)
    entity: str | None = Field(default=None, max_length=32)  # what it is about, for a link
    entity_id: int | None = None
    read_at: NaiveDatetime | None = None
