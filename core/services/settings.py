"""Low-code settings an admin changes in the browser: custom field definitions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from core.errors import ValidationError
from core.models import ENTITIES, CustomFieldDefinition, SavedView, User
from core.services.records import EntityRules, EntityService
from core.services.schemas import CustomFieldIn, SavedViewIn


def _check_definition(session: Session, user: User, definition: CustomFieldDefinition,
                      values: dict[str, Any]) -> None:
    # A custom name equal to a built-in column would shadow it in grids and imports.
    builtin = set(ENTITIES[definition.entity].__table__.columns.keys())
    if definition.name in builtin:
        raise ValidationError.single("name", f"{definition.name} is already a standard field of "
                                             f"{definition.entity}; choose another name")
    if definition.field_type == "select" and not definition.options:
        raise ValidationError.single("options", "a select field needs at least one option")
    query = select(CustomFieldDefinition.id).where(
        CustomFieldDefinition.entity == definition.entity,
        CustomFieldDefinition.name == definition.name,
    )
    if definition.id is not None:
        query = query.where(CustomFieldDefinition.id != definition.id)
    if session.scalar(query) is not None:
        raise ValidationError.single("name", f"{definition.entity} already has a field {definition.name}")


custom_field_definitions = EntityService(EntityRules("custom_field_definitions", CustomFieldIn,
                                          before_save=_check_definition))


def _check_view(session: Session, user: User, view: SavedView, values: dict[str, Any]) -> None:
    if view.entity not in ENTITIES:
        raise ValidationError.single("entity", f"unknown entity {view.entity!r}")


saved_views = EntityService(EntityRules("saved_views", SavedViewIn, before_save=_check_view))


def views_for(session: Session, user: User, entity: str) -> list[SavedView]:
    """The user's own saved views of `entity`, then those colleagues shared."""
    query = select(SavedView).where(
        SavedView.entity == entity, SavedView.deleted_at.is_(None),
        (SavedView.owner_id == user.id) | SavedView.shared,
    ).order_by((SavedView.owner_id != user.id), SavedView.name)
    return list(session.scalars(query))
