"""Each action: create a task with a due offset, set a field, assign the owner, send an email from a
template, add to a campaign, notify a user; writes audited with source "automation"."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text

from core.models import Campaign
from core.services import contacts, deals
from tests.integration.automation_support import add_rule, rows, runs


def test_create_task_with_due_offset_for_the_owner(session, engine, admin, staff) -> None:
    add_rule(session, admin, entity="deals", trigger="created", actions=[
        {"type": "create_task", "title": "Onboard {title}", "due_in_days": 2, "due_in_hours": 3,
         "assignee": "owner"}])
    deal = deals.create(session=session, user=staff, data={"title": "Acme"})
    [(title, due, assignee, deal_id)] = rows(engine, "SELECT title, due_at, assignee_id, deal_id FROM tasks")
    assert (title, assignee, deal_id) == ("Onboard Acme", staff.id, deal.id)
    due = due if isinstance(due, datetime) else datetime.fromisoformat(due)
    offset = due - deal.created_at
    assert timedelta(days=2, hours=3) <= offset < timedelta(days=2, hours=3, minutes=1)


def test_create_task_for_a_chosen_user(session, engine, admin, staff, other_staff) -> None:
    add_rule(session, admin, entity="contacts", trigger="created", actions=[
        {"type": "create_task", "title": "Call {first_name}", "assignee": other_staff.id}])
    contact = contacts.create(session=session, user=staff, data={"first_name": "Ana"})
    assert rows(engine, "SELECT assignee_id, contact_id FROM tasks") == [(other_staff.id, contact.id)]


def test_set_field_goes_through_the_service_and_is_audited(session, engine, admin, staff) -> None:
    add_rule(session, admin, entity="contacts", trigger="created", actions=[
        {"type": "set_field", "field": "lifecycle_stage", "value": "prospect"}])
    contact = contacts.create(session=session, user=staff, data={"first_name": "Ana"})
    assert rows(engine, "SELECT lifecycle_stage FROM contacts") == [("prospect",)]
    audit = rows(engine, "SELECT user_id, source, action FROM audit_log WHERE entity = 'contacts' "
                         "AND entity_id = :id ORDER BY id", id=contact.id)
    assert audit == [(staff.id, "app", "create"), (admin.id, "automation", "update")]


def test_set_a_custom_field(session, engine, admin, staff) -> None:
    from core.models import CustomFieldDefinition

    session.add(CustomFieldDefinition(entity="contacts", name="tier", label="Tier"))
    session.commit()
    add_rule(session, admin, entity="contacts", trigger="created", actions=[
        {"type": "set_field", "field": "tier", "value": "gold"}])
    contacts.create(session=session, user=staff, data={"first_name": "Ana"})
    assert "gold" in str(rows(engine, "SELECT custom FROM contacts")[0][0])


def test_assign_owner(session, engine, admin, staff, other_staff) -> None:
    add_rule(session, admin, entity="contacts", trigger="created", actions=[
        {"type": "assign_owner", "user_id": other_staff.id}])
    contacts.create(session=session, user=staff, data={"first_name": "Ana"})
    assert rows(engine, "SELECT owner_id FROM contacts") == [(other_staff.id,)]
    assert rows(engine, "SELECT source FROM audit_log WHERE action = 'update'") == [("automation",)]


def test_send_email_from_a_template_to_the_contact(session, engine, admin, staff) -> None:
    add_rule(session, admin, entity="contacts", trigger="created", actions=[
        {"type": "send_email", "to": "contact", "subject": "Welcome {first_name}",
         "body": "Dear {first_name} {last_name}, welcome."}])
    contact = contacts.create(session=session, user=staff,
                              data={"first_name": "Ana", "last_name": "Rossi", "email": "ana@example.com"})
    sent = rows(engine, "SELECT kind, to_address, subject, body, contact_id, status FROM outbox_messages")
    assert sent == [("automation", "ana@example.com", "Welcome Ana", "Dear Ana Rossi, welcome.",
                     contact.id, "queued")]


def test_send_email_to_the_owner_and_a_missing_address_is_noted(session, engine, admin) -> None:
    from tests.conftest import insert_user

    owner = insert_user(engine, "olivia", "staff")
    session.execute(text("UPDATE users SET email = 'o@example.com' WHERE id = :i"), {"i": owner.id})
    session.commit()
    add_rule(session, admin, entity="deals", trigger="created", actions=[
        {"type": "send_email", "to": "owner", "subject": "New deal {title}", "body": "{amount}"},
        {"type": "send_email", "to": "contact", "subject": "Hi", "body": "Hi"}])
    deals.create(session=session, user=admin, data={"title": "Acme", "owner_id": owner.id, "amount": 5})
    assert rows(engine, "SELECT to_address, subject, body, user_id FROM outbox_messages") == [
        ("o@example.com", "New deal Acme", "5.0", owner.id)]
    assert "skipped send_email: no email sent: the contact has no email address" in runs(engine)[0][4]


def test_add_to_campaign_once(session, engine, admin, staff) -> None:
    campaign = Campaign(name="Welcome series")
    session.add(campaign)
    session.commit()
    add_rule(session, admin, entity="contacts", trigger="updated", actions=[
        {"type": "add_to_campaign", "campaign_id": campaign.id}])
    contact = contacts.create(session=session, user=staff, data={"first_name": "Ana"})
    contacts.update(session=session, user=staff, record_id=contact.id, changes={"city": "Roma"})
    contacts.update(session=session, user=staff, record_id=contact.id, changes={"city": "Milano"})
    recipients = rows(engine, "SELECT campaign_id, contact_id FROM campaign_recipients")
    assert recipients == [(campaign.id, contact.id)]
    assert "already in campaign" in runs(engine)[-1][4]
    audit = rows(engine, "SELECT source FROM audit_log WHERE entity = 'campaign_recipients'")
    assert audit == [("automation",)]


def test_notify_a_chosen_user(session, engine, admin, staff, manager) -> None:
    add_rule(session, admin, entity="contacts", trigger="created", actions=[
        {"type": "notify", "to": manager.id, "text": "New contact {first_name} in {city}"}])
    contacts.create(session=session, user=staff, data={"first_name": "Ana", "city": "Roma"})
    assert rows(engine, "SELECT user_id, kind, text FROM notifications") == [
        (manager.id, "automation", "New contact Ana in Roma")]


def test_several_actions_run_in_order_and_the_run_says_what_they_did(session, engine, admin, staff) -> None:
    add_rule(session, admin, entity="contacts", trigger="created", actions=[
        {"type": "notify", "to": "owner", "text": "x"},
        {"type": "create_task", "title": "Call", "assignee": "owner"}])
    contacts.create(session=session, user=staff, data={"first_name": "Ana"})
    [(_, _, _, status, message)] = runs(engine)
    assert status == "ok" and message == f"notified user {staff.id}; created task 1"
