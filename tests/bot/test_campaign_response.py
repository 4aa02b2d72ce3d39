"""A campaign response told to the assistant: proposed first, written only on "yes", through the
campaign service (follow-up call for an interested recipient, audit source "assistant")."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.assistant import Assistant
from bot.reply import Turn
from core.models import User
from tests.bot.dataset import insert_world

KATARZYNA, SUMMER_LAUNCH = 13, 1


def _rows(engine: Engine, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def test_an_interested_recipient_is_recorded_after_yes(
        engine: Engine, admin: User, manager: User, staff: User, other_staff: User, outsider: User) -> None:
    insert_world(engine, {u.username: u for u in (admin, manager, staff, other_staff, outsider)})
    recipient = ("SELECT status, response FROM campaign_recipients "
                 f"WHERE campaign_id = {SUMMER_LAUNCH} AND contact_id = {KATARZYNA}")
    before = _rows(engine, recipient)
    with Session(engine, expire_on_commit=False) as session:
        assistant = Assistant(session, use_llm=False, log_conversation=False)
        question = "Katarzyna Wójcik is interested in the Summer Launch 2026 campaign"
        proposal = assistant.ask(question, admin)
        assert proposal.status == "needs_confirmation"
        assert proposal.action is not None
        assert any("follow-up call" in line for line in proposal.action.summary)
        assert _rows(engine, recipient) == before  # nothing written yet
        history = [Turn("user", question), Turn("assistant", proposal.text, proposal)]
        done = assistant.ask("yes", admin, history)
    assert done.status == "done", done.text
    assert _rows(engine, recipient) == [(before[0][0], "interested")]
    assert _rows(engine, f"SELECT count(*) FROM tasks WHERE contact_id = {KATARZYNA} "
                         "AND title LIKE 'Follow-up call%'") == [(1,)]
    assert _rows(engine, "SELECT DISTINCT source FROM audit_log WHERE entity = 'campaign_recipients'") == [
        ("assistant",)]
