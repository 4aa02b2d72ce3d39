"""Sending campaigns: through a real SMTP server on 127.0.0.1, to the outbox without one, as SMS and
as call tasks; consent, unsubscribe, templates, re-sending and permissions."""

from __future__ import annotations

from datetime import datetime
from email.message import Message

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core import config
from core.errors import NotFound, PermissionDenied, ValidationError
from core.models import User
from core.services.campaign_audience import add_recipients, add_recipients_from_filter, audience
from core.services.campaign_sending import send_campaign
from core.services.campaign_templates import preview
from core.services.campaigns import campaigns, create_campaign, create_for_contacts
from tests.integration.campaign_data import add_campaign, add_company, add_contact, add_segment
from tests.integration.conftest import SENDER, Inbox, free_port


def _body(message: Message) -> str:
    return message.get_payload(decode=True).decode().replace("\r\n", "\n")  # type: ignore[union-attr]


def _rows(engine: Engine, sql: str, **params: object) -> list[tuple]:  # type: ignore[type-arg]
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql), params)]


def _audience_of_four(engine: Engine, staff: User, other_staff: User) -> dict[str, int]:
    acme = add_company(engine, "Acme")
    people = {
        "ana": add_contact(engine, staff, "Ana", "Alves", company_id=acme.id),
        "bea": add_contact(engine, staff, "Bea", "Bruni"),
        "carl": add_contact(engine, staff, "Carl", "Conti", consent_email=False),
        "dora": add_contact(engine, staff, "Dora", "Dini", unsubscribed=True),
        "eve": add_contact(engine, staff, "Eve", "Esposito", email=None),
        "olga": add_contact(engine, other_staff, "Olga", "Orsi"),  # someone else's contact
        "rome": add_contact(engine, staff, "Rita", "Rossi", city="Roma"),
    }
    return {key: contact.id for key, contact in people.items()}


def test_an_email_campaign_goes_through_smtp_to_the_consenting_contacts(
        engine: Engine, session: Session, staff: User, other_staff: User, smtp: Inbox) -> None:
    ids = _audience_of_four(engine, staff, other_staff)
    segment = add_segment(engine, "Milano people", [{"field": "city", "op": "=", "value": "Milano"}])
    campaign = add_campaign(engine, staff, segment_id=segment.id)

    result = send_campaign(session=session, user=staff, campaign_id=campaign.id)

    received = sorted((rcpt, msg["Subject"], msg["From"], _body(msg)) for rcpt, msg in smtp.messages)
    assert received == [
        (["ana@example.com"], "Hello Ana", SENDER,
         "Dear Ana Alves of Acme,\nour spring offer is here.\n"),
        (["bea@example.com"], "Hello Bea", SENDER,
         "Dear Bea Bruni of ,\nour spring offer is here.\n"),
    ]
    assert (result.sent, result.failed) == (2, 0)
    assert result.excluded == {"no email consent": 1, "unsubscribed": 1, "no email address": 1}
    assert _rows(engine, "SELECT contact_id, status FROM campaign_recipients ORDER BY contact_id") == [
        (ids["ana"], "sent"), (ids["bea"], "sent")]
    assert _rows(engine, "SELECT to_address, status FROM outbox_messages ORDER BY to_address") == [
        ("ana@example.com", "sent"), ("bea@example.com", "sent")]
    assert _rows(engine, "SELECT status FROM campaigns") == [("sent",)]
    audited = _rows(engine, "SELECT entity, action, count(*) FROM audit_log GROUP BY entity, action "
                            "ORDER BY entity, action")
    assert audited == [("campaign_recipients", "create", 2), ("campaign_recipients", "update", 2),
                       ("campaigns", "update", 1)]


def test_without_smtp_the_messages_wait_in_the_outbox(engine: Engine, session: Session, staff: User,
                                                      other_staff: User) -> None:
    ids = _audience_of_four(engine, staff, other_staff)
    campaign = add_campaign(engine, staff, subject="News for {city}", body="Hi {first_name}")
    add_recipients(session=session, user=staff, campaign_id=campaign.id,
                   contact_ids=[ids["ana"], ids["rome"]])

    result = send_campaign(session=session, user=staff, campaign_id=campaign.id)

    assert result.sent == 2
    assert _rows(engine, "SELECT kind, to_address, subject, body, status, contact_id FROM outbox_messages "
                         "ORDER BY contact_id") == [
        ("campaign", "ana@example.com", "News for Milano", "Hi Ana", "queued", ids["ana"]),
        ("campaign", "rita@example.com", "News for Roma", "Hi Rita", "queued", ids["rome"])]


def test_sending_again_never_sends_twice(engine: Engine, session: Session, staff: User,
                                         other_staff: User, smtp: Inbox) -> None:
    ids = _audience_of_four(engine, staff, other_staff)
    campaign = add_campaign(engine, staff)
    add_recipients(session=session, user=staff, campaign_id=campaign.id, contact_ids=[ids["ana"]])
    send_campaign(session=session, user=staff, campaign_id=campaign.id)
    add_recipients(session=session, user=staff, campaign_id=campaign.id, contact_ids=[ids["ana"], ids["bea"]])

    second = send_campaign(session=session, user=staff, campaign_id=campaign.id)
    third = send_campaign(session=session, user=staff, campaign_id=campaign.id)

    assert [rcpt for rcpt, _ in smtp.messages] == [["ana@example.com"], ["bea@example.com"]]
    assert (second.sent, second.already_sent, third.sent, third.already_sent) == (1, 1, 0, 2)
    assert _rows(engine, "SELECT count(*) FROM campaign_recipients") == [(2,)]


def test_a_failed_delivery_is_marked_and_retried_on_the_next_send(
        engine: Engine, session: Session, staff: User, other_staff: User,
        monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _audience_of_four(engine, staff, other_staff)
    campaign = add_campaign(engine, staff)
    add_recipients(session=session, user=staff, campaign_id=campaign.id, contact_ids=[ids["ana"]])
    monkeypatch.setenv("CRM_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CRM_SMTP_PORT", str(free_port()))  # nobody listens there
    config.get_settings.cache_clear()

    failed = send_campaign(session=session, user=staff, campaign_id=campaign.id)

    assert (failed.sent, failed.failed) == (0, 1)
    assert _rows(engine, "SELECT status, sent_at FROM campaign_recipients") == [("failed", None)]
    monkeypatch.delenv("CRM_SMTP_HOST")
    config.get_settings.cache_clear()
    retried = send_campaign(session=session, user=staff, campaign_id=campaign.id)
    assert retried.sent == 1
    assert _rows(engine, "SELECT status FROM outbox_messages ORDER BY id") == [("failed",), ("queued",)]


def test_sms_goes_to_the_outbox_and_phone_campaigns_become_call_tasks(
        engine: Engine, session: Session, staff: User, manager: User, other_staff: User) -> None:
    ids = _audience_of_four(engine, staff, other_staff)
    mobile = add_contact(engine, staff, "Mo", "Bile", mobile="+39 333 1", consent_sms=True)
    no_sms = add_contact(engine, staff, "No", "Sms", consent_sms=False)
    sms = add_campaign(engine, staff, name="Flash", channel="sms", subject=None,
                       body="{first_name}: -20% today")
    add_recipients(session=session, user=staff, campaign_id=sms.id, contact_ids=[mobile.id, no_sms.id])
    assert send_campaign(session=session, user=staff, campaign_id=sms.id).excluded == {"no sms consent": 1}
    assert _rows(engine, "SELECT kind, to_address, body FROM outbox_messages") == [
        ("sms", "+39 333 1", "Mo: -20% today")]

    calls = add_campaign(engine, manager, name="Call round", channel="phone", subject="Renewal",
                         body="Ask {first_name} about the renewal")
    unowned = add_contact(engine, None, "Ugo", "Nowner")
    add_recipients(session=session, user=manager, campaign_id=calls.id,
                   contact_ids=[ids["ana"], ids["olga"], unowned.id])
    result = send_campaign(session=session, user=manager, campaign_id=calls.id)

    assert result.tasks_created == 3
    tasks = _rows(engine, "SELECT t.title, u.username, t.notes, t.due_at FROM tasks t "
                          "JOIN users u ON u.id = t.assignee_id ORDER BY t.title")
    tuesday_9 = datetime(2026, 6, 16, 9)
    assert [(title, who, notes) for title, who, notes, _ in tasks] == [
        ("Call Ana Alves: Renewal", "sam", "Ask Ana about the renewal"),
        ("Call Olga Orsi: Renewal", "olga", "Ask Olga about the renewal"),
        ("Call Ugo Nowner: Renewal", "mia", "Ask Ugo about the renewal")]
    assert {str(due)[:16] for *_, due in tasks} == {tuesday_9.isoformat(sep=" ")[:16]}
    assert _rows(engine, "SELECT count(*) FROM outbox_messages WHERE campaign_id = :c", c=calls.id) == [(0,)]


def test_staff_cannot_send_to_contacts_they_cannot_see(engine: Engine, session: Session, staff: User,
                                                        other_staff: User, manager: User) -> None:
    ids = _audience_of_four(engine, staff, other_staff)
    segment = add_segment(engine, "Everyone in Milano", [{"field": "city", "op": "=", "value": "Milano"}])
    campaign = add_campaign(engine, staff, segment_id=segment.id)

    with pytest.raises(NotFound):
        add_recipients(session=session, user=staff, campaign_id=campaign.id, contact_ids=[ids["olga"]])
    reach = audience(session, staff, campaign)
    assert sorted(reach.eligible) == [ids["ana"], ids["bea"]]  # Olga is in Milano, but not Sam's
    # A recipient someone else added is not sent by a sender who may not see them.
    add_recipients(session=session, user=manager, campaign_id=campaign.id, contact_ids=[ids["olga"]])
    assert audience(session, staff, campaign).excluded["deleted, or not visible to you"] == [ids["olga"]]
    send_campaign(session=session, user=staff, campaign_id=campaign.id)
    assert _rows(engine, "SELECT status FROM campaign_recipients WHERE contact_id = :c", c=ids["olga"]) == [
        ("pending",)]
    # Nor may they send someone else's campaign.
    theirs = add_campaign(engine, other_staff, name="Olga's")
    with pytest.raises(NotFound):
        send_campaign(session=session, user=staff, campaign_id=theirs.id)
    with pytest.raises((NotFound, PermissionDenied)):
        create_for_contacts(session=session, user=staff, name="x", contact_ids=[ids["ana"], ids["olga"]])
    assert _rows(engine, "SELECT count(*) FROM campaigns WHERE name = 'x'") == [(0,)]


def test_unknown_placeholders_are_caught_on_save_and_preview(engine: Engine, session: Session,
                                                             staff: User, other_staff: User) -> None:
    ids = _audience_of_four(engine, staff, other_staff)
    with Session(engine) as raw:
        raw.execute(text("INSERT INTO custom_field_definitions (entity, name, label, field_type, options, "
                         "required, position, created_at, updated_at, version) VALUES ('contacts', "
                         "'loyalty_tier', 'Loyalty tier', 'text', '[]', false, 0, '2026-06-01', "
                         "'2026-06-01', 1)"))
        raw.execute(text("UPDATE contacts SET custom = '{\"loyalty_tier\": \"gold\"}' WHERE id = :i"),
                    {"i": ids["ana"]})
        raw.commit()

    with pytest.raises(ValidationError) as raised:
        campaigns.create(session=session, user=staff, data={"name": "Bad", "subject": "Hi {frist_name}"})
    message = str(raised.value)
    assert "unknown placeholder {frist_name}" in message and "{first_name}" in message
    assert "{loyalty_tier}" in message
    assert _rows(engine, "SELECT count(*) FROM campaigns") == [(0,)]

    good = campaigns.create(session=session, user=staff, data={
        "name": "Tiers", "subject": "{first_name}, you are {loyalty_tier}", "body": "{{not a field}}"})
    from core.models import Contact
    shown = preview(session, subject=good.subject, body=good.body, channel="email",
                    contact=session.get(Contact, ids["ana"]))
    assert (shown.to, shown.subject, shown.body) == ("ana@example.com", "Ana, you are gold", "{not a field}")
    with pytest.raises(ValidationError, match=r"unknown placeholder \{city_name\}"):
        preview(session, subject="x", body="{city_name}", channel="email",
                contact=session.get(Contact, ids["ana"]))


def test_a_campaign_from_a_filter_holds_the_matching_contacts(engine: Engine, session: Session,
                                                              staff: User, other_staff: User) -> None:
    ids = _audience_of_four(engine, staff, other_staff)
    campaign = create_campaign(session=session, user=staff,
                               data={"name": "Rome", "subject": "s", "body": "b"},
                               filters=[{"field": "city", "op": "=", "value": "Roma"}])
    assert _rows(engine, "SELECT contact_id, status FROM campaign_recipients WHERE campaign_id = :c",
                 c=campaign.id) == [(ids["rome"], "pending")]
    with pytest.raises(ValidationError):
        add_recipients_from_filter(session=session, user=staff, campaign_id=campaign.id, filters=[])
    with pytest.raises(ValidationError):
        send_campaign(session=session, user=staff, campaign_id=add_campaign(engine, staff, name="Empty").id)
