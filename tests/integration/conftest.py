"""Fixtures several integration tests share: the `crm` command on the test database, a real SMTP
server on 127.0.0.1 that keeps what it receives, and the campaign world."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from click.testing import Result
from sqlmodel import Session
from typer.testing import CliRunner

from app.cli import app
from core import config, db
from core.analytics import cache
from core.models import User
from tests.integration import campaign_world as campaign_world_data

SENDER = "crm@example.com"


@pytest.fixture
def cli(engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Result]]:  # type: ignore[no-untyped-def]
    """Run `crm ARGS...` against the test database: cli("report", "revenue", stdin=None)."""
    monkeypatch.setenv("CRM_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()
    runner = CliRunner()
    yield lambda *args, stdin=None: runner.invoke(app, list(args), input=stdin)
    db.get_engine.cache_clear()


class Inbox:
    """What the SMTP server received: (recipients, message) in order."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    """An aiosmtpd server on a free local port, with the CRM_SMTP_* settings pointing at it."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("CRM_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CRM_SMTP_PORT", str(port))
    monkeypatch.setenv("CRM_SMTP_STARTTLS", "false")
    monkeypatch.setenv("CRM_SMTP_SENDER", SENDER)
    config.get_settings.cache_clear()
    yield inbox
    controller.stop()
    config.get_settings.cache_clear()


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    """An empty analytics result cache before and after the test, so a figure is computed, not
    recalled (PostgreSQL test databases are emptied between tests and reuse ids and versions)."""
    cache.RESULTS.clear()
    yield
    cache.RESULTS.clear()


@pytest.fixture
def readers(admin: User, manager: User, staff: User, other_staff: User, outsider: User) -> dict[str, User]:
    """Every kind of reader, by name: admin, manager, two staff of one team, staff of another team."""
    return {"admin": admin, "manager": manager, "staff": staff, "other": other_staff, "outsider": outsider}


@pytest.fixture
def campaign_readers(readers: dict[str, User]) -> list[User]:
    """Every kind of reader of the campaign world, in `readers`' order."""
    return list(readers.values())


@pytest.fixture
def campaign_world(session: Session, admin: User, manager: User, staff: User, other_staff: User,
                   outsider: User) -> dict[str, Any]:
    """The campaign world (tests/integration/campaign_world.py) the campaign summary tests share."""
    return campaign_world_data.build(session, admin, manager, staff, other_staff, outsider)
