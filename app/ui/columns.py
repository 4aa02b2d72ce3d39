"""Typed column settings for st.data_editor, derived from the model, vocabularies and custom fields."""

from __future__ import annotations

from typing import Any

import streamlit as st
from sqlalchemy import Boolean, Date, DateTime, Float, Integer, select
from sqlmodel import Session

from core.models import ENTITIES, Pipeline, Stage, User
from core.models import base as vocab
from core.services import custom_fields
from core.services.listing import LABEL_TO_KEY

# Columns whose values come from a fixed list, per entity where the same name means different lists.
CHOICES: dict[str, tuple[str, ...]] = {
    "lifecycle_stage": vocab.LIFECYCLE_STAGES,
    "gender": vocab.GENDERS,
    "preferred_channel": vocab.CONTACT_CHANNELS,
    "channel": vocab.CHANNELS,
    "direction": vocab.DIRECTIONS,
    "priority": vocab.PRIORITIES,
    "recurrence": vocab.RECURRENCES,
    "role": vocab.ROLES,
    "source": vocab.CONTACT_SOURCES,
}
STATUS_CHOICES = {
    "deals": vocab.DEAL_STATUSES,
    "orders": vocab.ORDER_STATUSES,
    "tasks": vocab.TASK_STATUSES,
    "cases": vocab.CASE_STATUSES,
    "campaigns": vocab.CAMPAIGN_STATUSES,
}
ENTITY_CHOICES = {
    ("campaigns", "channel"): vocab.CAMPAIGN_CHANNELS,
    ("activities", "source"): vocab.ACTIVITY_SOURCES,
}
MONEY = {"amount", "price", "total", "household_income", "budget", "unit_price"}


def column_config(
    session: Session, entity: str, columns: list[str], read_only: frozenset[str], required: set[str]
) -> dict[str, Any]:
    config = {name: _config_for(session, entity, name, name in required) for name in columns}
    for name in read_only & set(columns):
        config[name] = _disabled(config[name], name)
    return config


def _config_for(session: Session, entity: str, name: str, required: bool) -> Any:
    label = name.replace("_", " ").capitalize()
    options = _options(session, entity, name)
    if options is not None:
        return st.column_config.SelectboxColumn(label, options=options, required=required)
    custom = (
        {d.name: d for d in custom_fields.definitions(session, entity)}
        if ENTITIES[entity].has_custom_fields
        else {}
    )
    if name in custom:
        return _custom_config(custom[name])
    return _typed_config(entity, name, label, required)


def _typed_config(entity: str, name: str, label: str, required: bool) -> Any:
    column = ENTITIES[entity].__table__.columns.get(name)
    kind = column.type if column is not None else None
    if name == "email":
        return st.column_config.TextColumn(
            label, required=required, validate=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$"
        )
    if name == "website":
        return st.column_config.LinkColumn(label)
    if isinstance(kind, Boolean):
        return st.column_config.CheckboxColumn(label)
    if isinstance(kind, DateTime):
        return st.column_config.DatetimeColumn(label, format="YYYY-MM-DD HH:mm", required=required)
    if isinstance(kind, Date):
        return st.column_config.DateColumn(label, format="YYYY-MM-DD", required=required)
    if isinstance(kind, Float):
        money = name in MONEY
        return st.column_config.NumberColumn(
            label, min_value=0 if money else None, format="%.2f" if money else None, required=required
        )
    if isinstance(kind, Integer):
        return st.column_config.NumberColumn(label, step=1, required=required)
    return st.column_config.TextColumn(label, required=required)


def _custom_config(definition: Any) -> Any:
    label = definition.label
    if definition.field_type == "select":
        return st.column_config.SelectboxColumn(
            label, options=definition.options, required=definition.required
        )
    if definition.field_type == "number":
        return st.column_config.NumberColumn(label, required=definition.required)
    if definition.field_type == "checkbox":
        return st.column_config.CheckboxColumn(label)
    if definition.field_type == "date":
        return st.column_config.DateColumn(label, format="YYYY-MM-DD", required=definition.required)
    return st.column_config.TextColumn(label, required=definition.required)


def _options(session: Session, entity: str, name: str) -> list[str] | None:
    if (entity, name) in ENTITY_CHOICES:
        return list(ENTITY_CHOICES[(entity, name)])
    if name == "status":
        return list(STATUS_CHOICES.get(entity, ())) or None
    if name in CHOICES and not (entity == "activities" and name == "source"):
        return list(CHOICES[name])
    if LABEL_TO_KEY.get(name) in ("owner_id", "assignee_id"):
        return list(session.scalars(select(User.username).where(User.active).order_by(User.username)))
    if name == "stage":
        return sorted(set(session.scalars(select(Stage.name).where(Stage.deleted_at.is_(None)))))
    if name == "pipeline":
        return list(session.scalars(select(Pipeline.name).where(Pipeline.deleted_at.is_(None))))
    return None


def _disabled(config: Any, name: str) -> Any:
    if isinstance(config, dict):
        return {**config, "disabled": True}
    return st.column_config.Column(name.replace("_", " ").capitalize(), disabled=True)
