"""The assistant's one entry point: `Assistant(session).ask(text, user, history) -> Reply`.

Offline by default: `bot.offline` turns the sentence into a QuerySpec of the semantic layer or a
proposed action, deterministically and without network. When an LLM is configured
(`bot.settings`), the LangChain agent (`bot.agent`, imported only then) answers instead, with tools
over the same semantic layer and actions, and the offline engine answers whenever it fails.

Writes are never made while answering: a proposed write comes back as needs_confirmation and is
carried out by `confirm` (or by answering "yes"), through the services.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlmodel import Session

from bot import actions, offline
from bot.history import log_turn
from bot.reply import PendingAction, Reply, Turn, refused
from bot.settings import LLMSettings, llm_settings
from core.models import User

log = logging.getLogger(__name__)

YES = {"yes", "y", "ok", "okay", "confirm", "do it", "go ahead", "yes please", "sure"}
NO = {"no", "n", "cancel", "stop", "don't", "do not", "abort", "never mind"}


class Assistant:
    def __init__(self, session: Session, *, llm: LLMSettings | None = None, use_llm: bool | None = None,
                 log_conversation: bool = True) -> None:
        self.session = session
        self.llm = (llm or llm_settings()) if use_llm is not False else None
        self.log_conversation = log_conversation
        self.conversation_id: int | None = None

    def ask(self, text: str, user: User, history: Sequence[Turn] = ()) -> Reply:
        """Answer `text` for `user`; `history` is the conversation so far (oldest first)."""
        question = " ".join(text.split())
        reply = self._answer(question, user, history)
        if self.log_conversation and question:
            self.conversation_id = log_turn(self.session, user, question, reply, self.conversation_id)
        return reply

    def confirm(self, action: PendingAction, user: User) -> Reply:
        """Carry out a write the person confirmed."""
        return actions.execute(self.session, user, action)

    def _answer(self, question: str, user: User, history: Sequence[Turn]) -> Reply:
        if not question:
            return refused("Ask me a question, for example “revenue by month this year”.")
        pending = _pending_action(history)
        if pending is not None and question.lower().strip(" .!") in YES:
            return self.confirm(pending, user)
        if pending is not None and question.lower().strip(" .!") in NO:
            return Reply("done", "Cancelled: nothing was written.")
        if self.llm is not None:
            try:
                from bot.agent import answer_with_llm  # LangChain is imported only in LLM mode

                return answer_with_llm(self.session, user, question, history, self.llm)
            except Exception:  # any failure of the model or its server: answer offline instead
                log.warning("LLM answer failed; answering offline", exc_info=True)
                self.session.rollback()
        return offline.answer(self.session, user, question, history)


def _pending_action(history: Sequence[Turn]) -> PendingAction | None:
    """The action the last reply proposed, if the person has not answered it yet."""
    for turn in reversed(history):
        if turn.role == "assistant":
            return turn.reply.action if turn.reply and turn.reply.status == "needs_confirmation" else None
    return None
