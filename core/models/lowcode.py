"""What admins build in the browser (custom fields, views, segments, reports, rules), the audit log
and the assistant's conversations."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import NaiveDatetime
from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.config import now
from core.models.base import Editable, json_column, json_list_column


class CustomFieldDefinition(Editable, table=True):
    __tablename__ = "custom_field_definitions"
    __table_args__ = (UniqueConstraint("entity", "name", name="uq_custom_field_entity_name"),)
    owner_field: ClassVar[str | None] = None

    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(max_length=32)
    name: str = Field(max_length=64)  # the key in the record's `custom` JSON
    label: str = Field(max_length=120)
    field_type: str = Field(default="text", max_length=16)
    options: list[str] = json_list_column()  # for "select"
    required: bool = Field(default=False)
    position: int = Field(default=0)


class SavedView(Editable, table=True):
    """A grid's filters, sort and visible columns, kept per user and optionally shared."""

    __tablename__ = "saved_views"

    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(max_length=32, index=True)
    name: str = Field(max_length=120)
    owner_id: int | None = Field(default=None, foreign_key="users.id")
    shared: bool = Field(default=False)
    config: dict[str, Any] = json_column()


class Segment(Editable, table=True):
    """A saved, dynamic filter over contacts (a QuerySpec's filters)."""

    __tablename__ = "segments"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    description: str | None = Field(default=None, max_length=1000)
    owner_id: int | None = Field(default=None, foreign_key="users.id")
    shared: bool = Field(default=True)
    spec: dict[str, Any] = json_column()


class SavedReport(Editable, table=True):
    __tablename__ = "saved_reports"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    owner_id: int | None = Field(default=None, foreign_key="users.id")
    shared: bool = Field(default=False)
    chart_type: str = Field(default="table", max_length=16)
    spec: dict[str, Any] = json_column()


class AutomationRule(Editable, table=True):
    __tablename__ = "automation_rules"
    owner_field: ClassVar[str | None] = None

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    entity: str = Field(max_length=32)
    trigger: str = Field(max_length=32)  # created, updated, stage_entered, task_overdue, ...
    conditions: list[dict[str, Any]] = json_list_column()
    actions: list[dict[str, Any]] = json_list_column()
    active: bool = Field(default=True)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    # stage_entered: the stage the deal enters (validated by the service; stages are soft-deleted).
    stage_id: int | None = None
    run_mode: str = Field(default="inline", max_length=16)  # inline (same transaction) or queued


class AutomationRun(SQLModel, table=True):
    __tablename__ = "automation_runs"

    id: int | None = Field(default=None, primary_key=True)
    rule_id: int = Field(foreign_key="automation_rules.id", index=True)
    at: NaiveDatetime = Field(default_factory=now)
    entity: str = Field(max_length=32)
    entity_id: int | None = None
    status: str = Field(max_length=16)  # ok, skipped, failed, queued
    message: str | None = Field(default=None, max_length=2000)
    # The rules whose actions led to this run (loop protection, kept across the queue).
    chain: list[int] = json_list_column()


class AuditLog(SQLModel, table=True):
    """Who changed what, when, with the record before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: NaiveDatetime = Field(default_factory=now, index=True)
    user_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    source: str = Field(default="app", max_length=16)  # app, grid, import, assistant, cli, ...
    action: str = Field(max_length=16)  # create, update, delete, restore, bulk
    entity: str = Field(max_length=32)
    entity_id: int | None = None
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class AuditIdRange(SQLModel, table=True):
    """The ids of records an import created, as ranges of its one bulk creation entry
    (core/audit_batches.py): a record's history finds that entry by one index seek, the range
    starting at or below its id (ranges of one entity never overlap)."""

    __tablename__ = "audit_id_ranges"
    __table_args__ = {"sqlite_with_rowid": False}

    entity: str = Field(max_length=32, primary_key=True)
    first_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last_id: int
    entry_id: int = Field(foreign_key="audit_log.id")


class Conversation(SQLModel, table=True):
    __tablename__ = "conversations"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    started_at: NaiveDatetime = Field(default_factory=now)
    title: str | None = Field(default=None, max_length=200)


class ConversationMessage(SQLModel, table=True):
    __tablename__ = "conversation_messages"

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversations.id", index=True)
    role: str = Field(max_length=16)  # user, assistant
    content: str = Field(max_length=20_000)
    payload: dict[str, Any] = json_column()
    created_at: NaiveDatetime = Field(default_factory=now)
