"""Shared set-up for the automation tests: rules inserted directly, data read back with plain SQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.models import AutomationRule, User


def add_rule(session: Session, creator: User, *, entity: str, trigger: str,
             actions: list[dict[str, Any]], conditions: list[dict[str, Any]] | None = None,
             name: str = "rule", **extra: Any) -> AutomationRule:
    """A rule inserted directly (not through the service under test)."""
    rule = AutomationRule(name=name, entity=entity, trigger=trigger, actions=actions,
                          conditions=conditions or [], created_by_id=creator.id, **extra)
    session.add(rule)
    session.commit()
    return rule


def rows(engine: Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(text(sql), params))


def runs(engine: Engine) -> list[tuple[Any, ...]]:
    """(rule_id, entity, entity_id, status, message) of every run, in order."""
    return [tuple(row) for row in rows(
        engine, "SELECT rule_id, entity, entity_id, status, message FROM automation_runs ORDER BY id")]
