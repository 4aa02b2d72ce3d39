"""The conversation log: every question and reply, per user, in the database."""

from __future__ import annotations

from sqlmodel import Session, col, select

from bot.reply import Reply, Turn
from core.models import Conversation, ConversationMessage, User

TITLE_LENGTH = 80


def log_turn(session: Session, user: User, question: str, reply: Reply,
             conversation_id: int | None = None) -> int:
    """Store the question and the reply (with its table, query and any pending action); returns the
    conversation's id, a new conversation when `conversation_id` is None."""
    if conversation_id is None:
        conversation = Conversation(user_id=user.id, title=question[:TITLE_LENGTH])
        session.add(conversation)
        session.flush()
        conversation_id = conversation.id
    assert conversation_id is not None
    session.add(ConversationMessage(conversation_id=conversation_id, role="user", content=question))
    session.add(ConversationMessage(conversation_id=conversation_id, role="assistant", content=reply.text,
                                    payload=reply.to_payload()))
    session.commit()
    return conversation_id


def load_conversation(session: Session, user: User, conversation_id: int) -> list[Turn]:
    """The turns of one of `user`'s conversations, oldest first (empty if it is not theirs)."""
    owner = session.get(Conversation, conversation_id)
    if owner is None or owner.user_id != user.id:
        return []
    messages = session.exec(select(ConversationMessage)
                            .where(ConversationMessage.conversation_id == conversation_id)
                            .order_by(col(ConversationMessage.id))).all()
    return [Turn(message.role, message.content,  # type: ignore[arg-type]
                 Reply.from_payload(message.payload) if message.role == "assistant" else None)
            for message in messages]


def latest_conversation_id(session: Session, user: User) -> int | None:
    return session.scalar(select(Conversation.id).where(Conversation.user_id == user.id)
                          .order_by(col(Conversation.id).desc()).limit(1))
