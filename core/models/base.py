"""Shared columns and the vocabularies (allowed values) of the domain."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import NaiveDatetime
from sqlalchemy import JSON
from sqlalchemy.orm import declared_attr
from sqlmodel import Column, Field, SQLModel

from core.config import now


def json_column() -> Any:
    """A JSON column (JSON on SQLite, JSON on PostgreSQL), never NULL."""
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False, default=dict))


def json_list_column() -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False, default=list))


class Editable(SQLModel):
    """Columns every table a person edits carries: timestamps, optimistic-lock version, soft delete.

    `version` is SQLAlchemy's version counter: every UPDATE says `WHERE version = <read value>`,
    so two people saving the same row cannot silently overwrite each other.
    """

    created_at: NaiveDatetime = Field(default_factory=now, nullable=False)
    updated_at: NaiveDatetime = Field(default_factory=now, nullable=False)
    version: int = Field(default=1, nullable=False)
    deleted_at: NaiveDatetime | None = Field(default=None)

    # Which column names the record's owner (for permissions); None = not owned by a person.
    owner_field: ClassVar[str | None] = "owner_id"
    # Whether the table has a `custom` JSON column for admin-defined fields.
    has_custom_fields: ClassVar[bool] = False

    @declared_attr  # type: ignore[misc]
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


# Vocabularies. Stored as plain strings so adding a value needs no database migration.
ROLES = ("admin", "manager", "staff")
LIFECYCLE_STAGES = ("lead", "prospect", "customer", "former")
GENDERS = ("female", "male", "other", "unknown")
CHANNELS = ("phone", "email", "meeting", "chat", "sms", "social", "web")
CONTACT_CHANNELS = ("phone", "email", "sms", "chat", "meeting", "social")
DIRECTIONS = ("inbound", "outbound")
ACTIVITY_SOURCES = ("manual", "import", "assistant", "automation", "demo")
DEAL_STATUSES = ("open", "won", "lost")
ORDER_STATUSES = ("quote", "placed", "paid", "shipped", "cancelled")
# Orders in these statuses are not sales: revenue, order counts and purchase history leave them out.
NOT_SOLD_ORDER_STATUSES = ("quote", "cancelled")
TASK_STATUSES = ("open", "done", "cancelled")
PRIORITIES = ("low", "normal", "high", "urgent")
RECURRENCES = ("none", "daily", "weekly", "monthly")
CASE_STATUSES = ("new", "open", "waiting", "resolved", "closed")
CAMPAIGN_CHANNELS = ("email", "phone", "sms")
CAMPAIGN_STATUSES = ("draft", "scheduled", "sending", "sent", "cancelled")
RECIPIENT_STATUSES = (
    "pending",
    "failed",  # the mail server refused it; the next send tries again
    "sent",
    "bounced",
    "opened",
    "clicked",
    "replied",
    "interested",
    "not_interested",
    "unsubscribed",
)
CONTACT_SOURCES = (
    "website",
    "referral",
    "event",
    "campaign",
    "cold_call",
    "partner",
    "social",
    "import",
    "other",
)
CUSTOM_FIELD_TYPES = ("text", "number", "date", "select", "checkbox")
CUSTOMISABLE_ENTITIES = (
    "contacts",
    "companies",
    "deals",
    "products",
    "orders",
    "activities",
    "tasks",
    "cases",
)
