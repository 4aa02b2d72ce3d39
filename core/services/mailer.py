"""Outgoing email: through SMTP when `CRM_SMTP_HOST` is set, otherwise kept in the outbox table.

Every message is recorded in `outbox_messages` either way, so a person can see what was sent, to
whom and whether the server took it. One `Mailer` keeps one SMTP connection for a whole batch (a
campaign to thousands of people does not log in thousands of times).
"""

from __future__ import annotations

import contextlib
import smtplib
from email.message import EmailMessage
from types import TracebackType

from sqlmodel import Session

from core.config import Settings, get_settings, now
from core.models import OutboxMessage


class Mailer:
    """`with Mailer(session) as mailer: mailer.send(...)`; the caller commits the session."""

    def __init__(self, session: Session, settings: Settings | None = None):
        self.session = session
        self.settings = settings or get_settings()
        self._smtp: smtplib.SMTP | None = None

    @property
    def uses_smtp(self) -> bool:
        return bool(self.settings.smtp_host)

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._smtp is not None:
            # The messages are already handed over; a failed goodbye changes nothing.
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._smtp.quit()
            self._smtp = None

    def send(self, *, to: str, subject: str, body: str, kind: str, campaign_id: int | None = None,
             contact_id: int | None = None, user_id: int | None = None) -> OutboxMessage:
        """Record the message and, with SMTP configured, hand it to the server now."""
        message = OutboxMessage(kind=kind, to_address=to, subject=subject, body=body,
                                campaign_id=campaign_id, contact_id=contact_id, user_id=user_id)
        if self.uses_smtp:
            self._deliver(message)
        self.session.add(message)
        self.session.flush()
        return message

    def _deliver(self, message: OutboxMessage) -> None:
        email = EmailMessage()
        email["From"] = self.settings.smtp_sender
        email["To"] = message.to_address
        email["Subject"] = message.subject
        email.set_content(message.body)
        try:
            self._connection().send_message(email)
        except (smtplib.SMTPException, OSError) as error:
            message.status, message.error = "failed", f"{type(error).__name__}: {error}"[:2000]
            self._smtp = None  # reconnect for the next message
            return
        message.status, message.sent_at = "sent", now()

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            settings = self.settings
            smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s)
            if settings.smtp_starttls and smtp.has_extn("starttls"):
                smtp.starttls()
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password)
            self._smtp = smtp
        return self._smtp
