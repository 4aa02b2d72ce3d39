"""Each trigger fires its rules: record created/updated, deal enters a stage, task overdue, campaign
response received, case SLA breached; conditions true and false."""

from __future__ import annotations

from datetime import datetime

from core.models import Campaign, CampaignRecipient, Case, Contact, Task
from core.services import cases, contacts, deals, tasks
from core.services.automation_engine import run_due_triggers
from core.services.deals import ensure_default_pipeline, find_stage
from core.services.events import Event, emit
from tests.integration.automation_support import add_rule, rows, runs

NOTIFY_OWNER = [{"type": "notify", "to": "owner", "text": "Look at {id}"}]


def _notifications(engine):  # type: ignore[no-untyped-def]
    return rows(engine, "SELECT user_id, text, entity, entity_id FROM notifications ORDER BY id")


def test_record_created_fires_and_its_change_commits_together(session, engine, admin, staff) -> None:
    add_rule(session, admin, entity="contacts", trigger="created", actions=NOTIFY_OWNER)
    contact = contacts.create(session=session, user=staff, data={"first_name": "Ana"})
    assert _notifications(engine) == [(staff.id, f"Look at {contact.id}", "contacts", contact.id)]
    assert runs(engine)[0][:4] == (1, "contacts", contact.id, "ok")


def test_record_updated_fires_when_conditions_hold_and_skips_otherwise(session, engine, admin, staff) -> None:
    add_rule(session, admin, entity="contacts", trigger="updated", actions=NOTIFY_OWNER,
             conditions=[{"field": "city", "op": "=", "value": "Milano"}])
    contact = contacts.create(session=session, user=staff, data={"first_name": "Ana"})
    contacts.update(session=session, user=staff, record_id=contact.id, changes={"city": "Roma"})
    assert _notifications(engine) == []
    assert runs(engine)[-1][3:] == ("skipped", "conditions not met")
    contacts.update(session=session, user=staff, record_id=contact.id, changes={"city": "Milano"})
    assert len(_notifications(engine)) == 1
    assert runs(engine)[-1][3] == "ok"


def test_an_update_that_changes_nothing_fires_nothing(session, engine, admin, staff) -> None:
    add_rule(session, admin, entity="contacts", trigger="updated", actions=NOTIFY_OWNER)
    contact = contacts.create(session=session, user=staff, data={"first_name": "Ana"})
    contacts.update(session=session, user=staff, record_id=contact.id, changes={"first_name": "Ana"})
    assert runs(engine) == []


def test_conditions_use_the_grid_columns_such_as_lookup_labels(session, engine, admin, staff) -> None:
    add_rule(session, admin, entity="contacts", trigger="created", actions=NOTIFY_OWNER,
             conditions=[{"field": "owner", "op": "=", "value": "sam"}])
    contacts.create(session=session, user=admin, data={"first_name": "Mine"})
    contacts.create(session=session, user=staff, data={"first_name": "Sams"})
    assert [r[3] for r in runs(engine)] == ["skipped", "ok"]


def test_deal_entering_the_chosen_stage_fires(session, engine, admin, staff) -> None:
    pipeline = ensure_default_pipeline(session)
    won, qualified = find_stage(session, pipeline.id, "Won"), find_stage(session, pipeline.id, "Qualified")
    session.commit()
    add_rule(session, admin, entity="deals", trigger="stage_entered", stage_id=won.id, actions=NOTIFY_OWNER)
    deal = deals.create(session=session, user=staff, data={"title": "Big", "amount": 100})
    deals.update(session=session, user=staff, record_id=deal.id, changes={"stage_id": qualified.id})
    assert _notifications(engine) == []
    deals.update(session=session, user=staff, record_id=deal.id, changes={"stage_id": won.id})
    assert _notifications(engine) == [(staff.id, f"Look at {deal.id}", "deals", deal.id)]
    deals.update(session=session, user=staff, record_id=deal.id, changes={"amount": 200})  # still Won
    assert len(_notifications(engine)) == 1


def test_campaign_response_event_fires(session, engine, admin, staff) -> None:
    contact = Contact(first_name="Ana", owner_id=staff.id)
    campaign = Campaign(name="Spring")
    session.add_all([contact, campaign])
    session.flush()
    recipient = CampaignRecipient(campaign_id=campaign.id, contact_id=contact.id, response="interested")
    session.add(recipient)
    session.commit()
    add_rule(session, admin, entity="campaign_recipients", trigger="campaign_response", actions=NOTIFY_OWNER,
             conditions=[{"field": "response", "op": "=", "value": "interested"}])
    emit(session, Event("campaign_response", "campaign_recipients", recipient, staff))
    session.commit()
    # A recipient has no owner: "owner" is its contact's owner.
    assert _notifications(engine) == [(staff.id, f"Look at {recipient.id}", "campaign_recipients",
                                       recipient.id)]


def test_task_overdue_sweep_fires_once_per_task(session, engine, admin, staff) -> None:
    late = Task(title="Late", due_at=datetime(2026, 6, 10, 9), assignee_id=staff.id)
    done = Task(title="Done", due_at=datetime(2026, 6, 10, 9), assignee_id=staff.id, status="done")
    future = Task(title="Later", due_at=datetime(2026, 6, 20, 9), assignee_id=staff.id)
    session.add_all([late, done, future])
    session.commit()
    add_rule(session, admin, entity="tasks", trigger="task_overdue", actions=NOTIFY_OWNER)
    result = run_due_triggers(session, datetime(2026, 6, 15, 12))
    assert result.fired == 1
    assert _notifications(engine) == [(staff.id, f"Look at {late.id}", "tasks", late.id)]
    assert run_due_triggers(session, datetime(2026, 6, 15, 13)).fired == 0  # once per task
    assert len(_notifications(engine)) == 1


def test_task_overdue_honours_conditions(session, engine, admin, staff) -> None:
    session.add_all([Task(title="Low", due_at=datetime(2026, 6, 1), priority="low", assignee_id=staff.id),
                     Task(title="High", due_at=datetime(2026, 6, 1), priority="high", assignee_id=staff.id)])
    session.commit()
    add_rule(session, admin, entity="tasks", trigger="task_overdue", actions=NOTIFY_OWNER,
             conditions=[{"field": "priority", "op": "=", "value": "high"}])
    assert run_due_triggers(session, datetime(2026, 6, 15)).fired == 1
    notified = rows(engine, "SELECT t.title FROM notifications n JOIN tasks t ON t.id = n.entity_id")
    assert notified == [("High",)]


def test_case_sla_breached_sweep_fires_for_open_cases_past_due(session, engine, admin, staff) -> None:
    breached = Case(subject="Broken", sla_due_at=datetime(2026, 6, 14), assignee_id=staff.id)
    resolved = Case(subject="Fixed", sla_due_at=datetime(2026, 6, 14), status="resolved",
                    assignee_id=staff.id)
    in_time = Case(subject="Fresh", sla_due_at=datetime(2026, 6, 16), assignee_id=staff.id)
    session.add_all([breached, resolved, in_time])
    session.commit()
    add_rule(session, admin, entity="cases", trigger="case_sla_breached", actions=NOTIFY_OWNER)
    assert run_due_triggers(session, datetime(2026, 6, 15)).fired == 1
    assert _notifications(engine) == [(staff.id, f"Look at {breached.id}", "cases", breached.id)]


def test_inactive_rules_do_not_fire(session, engine, admin, staff) -> None:
    add_rule(session, admin, entity="contacts", trigger="created", actions=NOTIFY_OWNER, active=False)
    contacts.create(session=session, user=staff, data={"first_name": "Ana"})
    assert runs(engine) == [] and _notifications(engine) == []


def test_task_and_case_services_emit_too(session, engine, admin, staff) -> None:
    add_rule(session, admin, entity="tasks", trigger="created", actions=NOTIFY_OWNER)
    add_rule(session, admin, entity="cases", trigger="created", actions=NOTIFY_OWNER)
    tasks.create(session=session, user=staff, data={"title": "Call"})
    cases.create(session=session, user=staff, data={"subject": "Help"})
    assert [r[1] for r in _notifications(engine)] == ["Look at 1", "Look at 1"]
