"""The automation page: make a rule in the browser (trigger, stage, condition, action), see it work and
its run in the log; validation errors are shown; rules switch off; staff never see the page."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.services.deals import ensure_default_pipeline, find_stage
from tests.app.conftest import sign_in
from tests.integration.automation_support import add_rule, rows


def _page(app_factory):  # type: ignore[no-untyped-def]
    at = sign_in(app_factory(), "ada")
    at.switch_page("../pages/admin_automation.py")
    return at.run()


def _by_label(widgets, label):  # type: ignore[no-untyped-def]
    return next(w for w in widgets if w.label == label)


def test_page_opens_empty(app_factory, admin) -> None:
    at = _page(app_factory)
    assert not at.exception
    assert "No rules yet" in at.info[0].value


def test_admin_builds_a_stage_rule_and_it_runs(app_factory, admin, staff, session, engine) -> None:
    from core.services import deals

    pipeline = ensure_default_pipeline(session)
    won = find_stage(session, pipeline.id, "Won")
    session.commit()
    at = _page(app_factory)
    at.text_input(key="rule-name:0-1").input("Onboarding")
    at.selectbox(key="rule-entity:0-1").select("deals").run()
    at.selectbox(key="rule-trigger:0-1").select("stage_entered").run()
    at.selectbox(key="rule-stage:0-1").select(won.id).run()
    _by_label(at.selectbox, "Column").select("amount")
    _by_label(at.selectbox, "Condition").select(">")
    _by_label(at.text_input, "Value").input("1000")
    _by_label(at.button, "Add condition").click().run()
    at.text_input(key="title:0-1:create_task").input("Onboard {title}")
    at.number_input(key="days:0-1:create_task").set_value(2)
    at.button(key="add-action:0-1").click().run()
    assert not at.exception and not at.error
    at.button(key="save-rule").click().run()
    assert not at.exception and not at.error
    [(name, entity, trigger, stage_id, conditions, actions)] = rows(
        engine, "SELECT name, entity, trigger, stage_id, conditions, actions FROM automation_rules")
    assert (name, entity, trigger, stage_id) == ("Onboarding", "deals", "stage_entered", won.id)
    assert "amount" in str(conditions) and "Onboard {title}" in str(actions)

    small = deals.create(session=session, user=staff, data={"title": "Small", "amount": 10})
    big = deals.create(session=session, user=staff, data={"title": "Big", "amount": 5000})
    for deal in (small, big):
        deals.update(session=session, user=staff, record_id=deal.id, changes={"stage_id": won.id})
    made = rows(engine, "SELECT title, assignee_id, deal_id FROM tasks")
    assert made == [("Onboard Big", staff.id, big.id)]
    at.run()
    log = at.dataframe[0].value
    assert list(log["status"]) == ["ok", "skipped"] and list(log["rule"]) == ["Onboarding", "Onboarding"]


def test_a_rule_that_cannot_be_saved_says_why(app_factory, admin) -> None:
    at = _page(app_factory)
    at.text_input(key="rule-name:0-1").input("Nothing to do")
    at.button(key="save-rule").click().run()
    assert not at.exception
    assert "actions: add at least one action" in at.error[0].value


def test_switch_a_rule_off_and_edit_it(app_factory, admin, session, engine) -> None:
    rule = add_rule(session, admin, entity="contacts", trigger="created", name="Greet",
                    actions=[{"type": "notify", "to": "owner", "text": "Hi"}])
    at = _page(app_factory)
    at.toggle(key=f"active:{rule.id}").set_value(False).run()
    assert not at.exception
    assert rows(engine, "SELECT active FROM automation_rules") == [(False,)]
    at.selectbox(key="rule-choice").select(rule.id).run()
    key = f"{rule.id}-2"
    assert at.text_input(key=f"rule-name:{key}").value == "Greet"
    at.text_input(key=f"rule-name:{key}").input("Greet them")
    at.button(key=f"rm-action:{key}:0").click().run()
    at.selectbox(key=f"action-type:{key}").select("notify").run()
    at.text_input(key=f"text:{key}:notify").input("Hello {first_name}")
    at.button(key=f"add-action:{key}").click().run()
    at.button(key="save-rule").click().run()
    assert not at.exception and not at.error
    with engine.connect() as connection:
        name, actions = connection.execute(text("SELECT name, actions FROM automation_rules")).one()
    assert name == "Greet them" and "Hello {first_name}" in str(actions)


def test_staff_cannot_open_the_automation_page(app_factory, staff) -> None:
    at = sign_in(app_factory(), "sam")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("../pages/admin_automation.py")
