"""In-app notifications: a due reminder or an automation's "notify", shown until the user reads it."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlmodel import Session

from core.config import now
from core.models import Notification, User


def notify(session: Session, *, user_id: int, text: str, kind: str = "info",
           entity: str | None = None, entity_id: int | None = None) -> Notification:
    """Add a notification for one user; the caller's transaction commits it."""
    notification = Notification(user_id=user_id, text=text[:2000], kind=kind, entity=entity,
                                entity_id=entity_id)
    session.add(notification)
    session.flush()
    return notification


def unread(session: Session, user: User, limit: int = 50) -> list[Notification]:
    """The user's unread notifications, newest first."""
    query = (select(Notification)
             .where(Notification.user_id == user.id, Notification.read_at.is_(None))
             .order_by(Notification.created_at.desc(), Notification.id.desc())
             .limit(limit))
    return list(session.scalars(query))


def mark_read(session: Session, user: User, notification_ids: list[int]) -> int:
    """Mark some of the user's own notifications read (others' are left alone); returns how many."""
    if not notification_ids:
        return 0
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.id.in_(notification_ids),
               Notification.read_at.is_(None))
        .values(read_at=now())
    )
    session.commit()
    return int(result.rowcount or 0)
