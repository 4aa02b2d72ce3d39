"""Rules are records: admin-only writes, audited, validated with messages that say what to fix."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.errors import PermissionDenied, ValidationError
from core.services import automation_rules
from core.services.automation import recent_runs
from core.services.deals import ensure_default_pipeline, find_stage
from tests.integration.automation_support import rows

NOTIFY = [{"type": "notify", "to": "owner", "text": "Hi {first_name}"}]


def _create(session, user, **data):  # type: ignore[no-untyped-def]
    values = {"name": "Welcome", "entity": "contacts", "trigger": "created", "actions": NOTIFY, **data}
    return automation_rules.create(session=session, user=user, data=values)


def test_admin_creates_a_rule_it_is_audited_and_runs_as_its_creator(session, engine, admin) -> None:
    rule = _create(session, admin, conditions=[{"field": "city", "op": "=", "value": "Roma"}])
    assert rows(engine, "SELECT name, created_by_id, run_mode, active FROM automation_rules") == [
        ("Welcome", admin.id, "inline", True)]
    assert rows(engine, "SELECT user_id, action, entity, entity_id FROM audit_log") == [
        (admin.id, "create", "automation_rules", rule.id)]


@pytest.mark.parametrize("role", ["manager", "staff"])
def test_only_admins_write_rules(session, engine, admin, manager, staff, role) -> None:
    user = {"manager": manager, "staff": staff}[role]
    with pytest.raises(PermissionDenied, match="Only admin"):
        _create(session, user)
    rule = _create(session, admin)
    with pytest.raises(PermissionDenied, match="Only admin"):
        automation_rules.update(session=session, user=user, record_id=rule.id, changes={"active": False})
    with pytest.raises(PermissionDenied, match="Only admin"):
        recent_runs(session, user)
    assert rows(engine, "SELECT active FROM automation_rules") == [(True,)]


def test_trigger_must_suit_the_entity(session, admin) -> None:
    with pytest.raises(ValidationError, match="'Task overdue' trigger works on tasks, not 'contacts'"):
        _create(session, admin, trigger="task_overdue")
    with pytest.raises(ValidationError, match="unknown trigger 'whenever'"):
        _create(session, admin, trigger="whenever")


def test_stage_entered_needs_a_stage(session, engine, admin) -> None:
    with pytest.raises(ValidationError, match="stage_id: choose the stage the deal enters"):
        _create(session, admin, entity="deals", trigger="stage_entered",
                actions=[{"type": "notify", "to": "owner", "text": "won {title}"}])
    won = find_stage(session, ensure_default_pipeline(session).id, "Won")
    session.commit()
    _create(session, admin, entity="deals", trigger="stage_entered", stage_id=won.id,
            actions=[{"type": "notify", "to": "owner", "text": "won {title}"}])
    assert rows(engine, "SELECT stage_id FROM automation_rules") == [(won.id,)]


def test_conditions_are_checked_like_grid_filters(session, admin) -> None:
    with pytest.raises(ValidationError, match="condition 1: contacts have no column 'colour'"):
        _create(session, admin, conditions=[{"field": "colour", "op": "=", "value": "red"}])
    with pytest.raises(ValidationError, match="condition 1: 'abc' is not a valid integer"):
        _create(session, admin, conditions=[{"field": "id", "op": ">", "value": "abc"}])
    with pytest.raises(ValidationError, match="condition 1"):
        _create(session, admin, conditions=[{"field": "city", "op": "roughly", "value": "x"}])


@pytest.mark.parametrize(("action", "message"), [
    ({"type": "explode"}, "action 1: unknown type 'explode'"),
    ({"type": "create_task", "title": ""}, r"action 1 \(create_task\): title is required"),
    ({"type": "create_task", "title": "Hi {nickname}"}, "title uses unknown field.s. nickname"),
    ({"type": "create_task", "title": "x", "due_in_days": "soon"}, "due_in_days must be a number"),
    ({"type": "create_task", "title": "x", "assignee": 999}, "choose \"owner\" or an active user"),
    ({"type": "set_field", "field": "colour", "value": "x"}, "choose a field of contacts"),
    ({"type": "set_field", "field": "lifecycle_stage", "value": "boss"}, "value: Input should be"),
    ({"type": "assign_owner", "user_id": None}, "choose an active user"),
    ({"type": "send_email", "to": "all", "subject": "s", "body": "b"}, 'to must be "contact" or "owner"'),
    ({"type": "add_to_campaign", "campaign_id": 42}, "choose an existing campaign"),
    ({"type": "notify", "to": "owner", "text": "{"}, "text: Single '{' encountered"),
])
def test_each_action_says_what_to_fix(session, admin, action, message) -> None:
    with pytest.raises(ValidationError, match=message):
        _create(session, admin, actions=[action])


def test_a_rule_needs_an_action(session, admin) -> None:
    with pytest.raises(ValidationError, match="actions: add at least one action"):
        _create(session, admin, actions=[])


def test_actions_that_do_not_suit_the_entity_are_refused(session, admin) -> None:
    with pytest.raises(ValidationError, match="companies are not linked to a contact"):
        _create(session, admin, entity="companies", actions=[{"type": "add_to_campaign", "campaign_id": 1}])
    with pytest.raises(ValidationError, match="campaign_recipients have no fields a rule may set"):
        _create(session, admin, entity="campaign_recipients", trigger="campaign_response",
                actions=[{"type": "set_field", "field": "status", "value": "x"}])


def test_switching_a_rule_off_and_the_runs_log(session, engine, admin, staff) -> None:
    from core.services import contacts

    rule = _create(session, admin)
    contacts.create(session=session, user=staff, data={"first_name": "Ana"})
    automation_rules.update(session=session, user=admin, record_id=rule.id, changes={"active": False})
    contacts.create(session=session, user=staff, data={"first_name": "Bea"})
    log = recent_runs(session, admin)
    assert [(r["rule"], r["status"], r["message"]) for r in log] == [
        ("Welcome", "ok", f"notified user {staff.id}")]
    assert rows(engine, "SELECT count(*) FROM notifications") == [(1,)]


def test_an_admin_saving_a_rule_of_an_inactive_admin_takes_it_over(session, engine, admin) -> None:
    from tests.conftest import insert_user

    gone = insert_user(engine, "gone", "admin")
    rule = _create(session, gone)
    session.execute(text("UPDATE users SET active = :no WHERE id = :id"), {"no": False, "id": gone.id})
    session.commit()
    automation_rules.update(session=session, user=admin, record_id=rule.id, changes={"name": "Mine now"})
    assert rows(engine, "SELECT created_by_id FROM automation_rules") == [(admin.id,)]
