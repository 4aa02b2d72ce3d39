"""Domain events: what just happened to a record, for listeners such as the automation rules.

A use case calls `emit(...)` inside its own transaction, after the write is flushed, so a listener's
writes commit or roll back together with the change that caused them. Listeners register once at
import time with `subscribe`. Events: created, updated, stage_entered, task_overdue,
campaign_response, case_sla_breached.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from core.models import Editable, User


@dataclass(frozen=True)
class Event:
    name: str  # one of the events above
    entity: str  # "deals", "tasks", ...
    record: Editable
    user: User | None  # who made the change (None for a scheduled sweep)
    changes: dict[str, Any] = field(default_factory=dict)  # field -> (before, after) for updates
    source: str = "app"


Listener = Callable[[Session, Event], None]
_listeners: list[Listener] = []


def subscribe(listener: Listener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def emit(session: Session, event: Event) -> None:
    for listener in list(_listeners):
        listener(session, event)
