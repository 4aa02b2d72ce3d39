"""Loop protection (self-trigger, A -> B -> A, chain cap) and the failure policy: an inline rule's
failure rolls the change back with a message naming the rule and is logged; queued rules run later."""

from __future__ import annotations

import pytest

from core.services import automation_engine, contacts
from core.services.automation_engine import AutomationFailed, run_due_triggers
from tests.integration.automation_support import add_rule, rows, runs


def test_a_rule_does_not_trigger_itself(session, engine, admin, staff) -> None:
    rule = add_rule(session, admin, entity="contacts", trigger="updated", name="Tag movers", actions=[
        {"type": "set_field", "field": "job_title", "value": "moved"}])
    contact = contacts.create(session=session, user=staff, data={"first_name": "Ana"})
    contacts.update(session=session, user=staff, record_id=contact.id, changes={"city": "Roma"})
    assert rows(engine, "SELECT city, job_title FROM contacts") == [("Roma", "moved")]
    # The stop is logged while the rule's actions run, so before the rule's own (ok) run.
    assert [(r[0], r[3]) for r in runs(engine)] == [(rule.id, "skipped"), (rule.id, "ok")]
    assert runs(engine)[0][4] == ("loop stopped: the change came from this rule's own actions "
                                  "(rule chain: 'Tag movers')")


def test_a_to_b_to_a_stops_at_a(session, engine, admin, staff) -> None:
    a = add_rule(session, admin, entity="contacts", trigger="updated", name="A", actions=[
        {"type": "set_field", "field": "job_title", "value": "from A"}],
        conditions=[{"field": "city", "op": "is not empty"}])
    b = add_rule(session, admin, entity="contacts", trigger="updated", name="B", actions=[
        {"type": "set_field", "field": "source", "value": "from B"}],
        conditions=[{"field": "job_title", "op": "=", "value": "from A"}])
    contact = contacts.create(session=session, user=staff, data={"first_name": "Ana"})
    contacts.update(session=session, user=staff, record_id=contact.id, changes={"city": "Roma"})
    assert rows(engine, "SELECT job_title, source FROM contacts") == [("from A", "from B")]
    log = runs(engine)
    # A fires; its change fires A (itself: stopped) and B; B's change fires A (stopped) and B (itself).
    assert (a.id, "ok") in [(r[0], r[3]) for r in log] and (b.id, "ok") in [(r[0], r[3]) for r in log]
    stops = [r for r in log if r[3] == "skipped"]
    assert stops and all(r[4].startswith("loop stopped") for r in stops)
    assert any("'A' -> 'B'" in r[4] and r[0] == a.id for r in stops)
    assert len(log) < 10


def test_a_long_chain_stops_at_the_cap(session, engine, admin, staff, monkeypatch) -> None:
    monkeypatch.setattr(automation_engine, "MAX_CHAIN", 1)
    add_rule(session, admin, entity="contacts", trigger="created", name="R0",
             actions=[{"type": "create_task", "title": "Call {first_name}"}])
    second = add_rule(session, admin, entity="tasks", trigger="created", name="R1",
                      actions=[{"type": "notify", "to": "owner", "text": "new task"}])
    contacts.create(session=session, user=staff, data={"first_name": "Ana"})
    assert rows(engine, "SELECT title FROM tasks") == [("Call Ana",)]
    assert rows(engine, "SELECT count(*) FROM notifications") == [(0,)]
    assert (second.id, "skipped", "loop stopped: the limit of 1 rules triggering each other was reached "
                                  "(rule chain: 'R0')") in [(r[0], r[3], r[4]) for r in runs(engine)]


def test_an_inline_failure_rolls_the_change_back_names_the_rule_and_is_logged(
        session, engine, admin, staff) -> None:
    add_rule(session, admin, entity="contacts", trigger="created", name="Bad stage", actions=[
        {"type": "notify", "to": "owner", "text": "x"},
        {"type": "set_field", "field": "lifecycle_stage", "value": "nonsense"}])
    with pytest.raises(AutomationFailed, match=r"Automation rule 'Bad stage' failed, so the change was not "
                                               r"saved: action 2 could not set a field: .*lifecycle_stage"):
        contacts.create(session=session, user=staff, data={"first_name": "Ana"})
    assert rows(engine, "SELECT count(*) FROM contacts") == [(0,)]
    assert rows(engine, "SELECT count(*) FROM notifications") == [(0,)]
    [(_, entity, _, status, message)] = runs(engine)
    assert (entity, status) == ("contacts", "failed") and "Bad stage" in message


def test_a_failed_sweep_run_does_not_stop_the_others_and_is_retried(session, engine, admin, staff) -> None:
    from datetime import datetime

    from core.models import Task

    session.add_all([Task(title="No owner", due_at=datetime(2026, 6, 1)),
                     Task(title="Owned", due_at=datetime(2026, 6, 1), assignee_id=staff.id)])
    session.commit()
    add_rule(session, admin, entity="tasks", trigger="task_overdue", actions=[
        {"type": "set_field", "field": "priority", "value": "urgent"},
        {"type": "set_field", "field": "title", "value": ""}],
        conditions=[{"field": "title", "op": "=", "value": "No owner"}])
    add_rule(session, admin, entity="tasks", trigger="task_overdue", actions=[
        {"type": "notify", "to": "owner", "text": "{title} is late"}])
    result = run_due_triggers(session, datetime(2026, 6, 15))
    assert (result.fired, result.failed) == (2, 1)
    assert rows(engine, "SELECT priority FROM tasks ORDER BY id") == [("normal",), ("normal",)]
    assert [r[3] for r in runs(engine)] == ["failed", "ok", "ok"]
    assert run_due_triggers(session, datetime(2026, 6, 15)).failed == 1  # a failed run is tried again


def test_a_queued_rule_runs_later_and_its_failure_keeps_the_change(session, engine, admin, staff) -> None:
    add_rule(session, admin, entity="contacts", trigger="created", run_mode="queued", actions=[
        {"type": "notify", "to": "owner", "text": "Hello {first_name}"}])
    add_rule(session, admin, entity="contacts", trigger="created", run_mode="queued", name="Breaks", actions=[
        {"type": "set_field", "field": "email", "value": "not an email"}])
    contacts.create(session=session, user=staff, data={"first_name": "Ana"})
    assert [r[3] for r in runs(engine)] == ["queued", "queued"]
    assert rows(engine, "SELECT count(*) FROM notifications") == [(0,)]
    result = run_due_triggers(session)
    assert (result.queued_done, result.queued_failed) == (1, 1)
    assert rows(engine, "SELECT text FROM notifications") == [("Hello Ana",)]
    log = runs(engine)
    assert [r[3] for r in log] == ["ok", "failed"] and "Automation rule 'Breaks' failed" in log[1][4]
    assert rows(engine, "SELECT first_name, email FROM contacts") == [("Ana", None)]


def test_a_queued_rule_keeps_its_chain_across_the_queue(session, engine, admin, staff) -> None:
    rule = add_rule(session, admin, entity="contacts", trigger="updated", run_mode="queued", actions=[
        {"type": "set_field", "field": "job_title", "value": "x"}])
    contact = contacts.create(session=session, user=staff, data={"first_name": "Ana"})
    contacts.update(session=session, user=staff, record_id=contact.id, changes={"city": "Roma"})
    run_due_triggers(session)
    run_due_triggers(session)
    assert [(r[0], r[3]) for r in runs(engine)] == [(rule.id, "ok"), (rule.id, "skipped")]


def test_a_rule_whose_creator_is_inactive_is_skipped_with_the_reason(session, engine, staff) -> None:
    from tests.conftest import insert_user

    gone = insert_user(engine, "gone", "admin", active=False)
    add_rule(session, gone, entity="contacts", trigger="created", actions=[
        {"type": "notify", "to": "owner", "text": "x"}])
    contacts.create(session=session, user=staff, data={"first_name": "Ana"})
    assert runs(engine)[0][3] == "skipped" and "creator is inactive" in runs(engine)[0][4]


def test_a_failure_during_a_grid_save_rolls_back_the_whole_save(session, engine, admin, staff) -> None:
    from core.services.bulk_edit import RowEdit, save_grid

    first = contacts.create(session=session, user=staff, data={"first_name": "Ana"})
    second = contacts.create(session=session, user=staff, data={"first_name": "Bea"})
    add_rule(session, admin, entity="contacts", trigger="updated", name="Strict", actions=[
        {"type": "set_field", "field": "email", "value": "bad"}],
        conditions=[{"field": "city", "op": "=", "value": "Bari"}])
    edits = [RowEdit(0, first.id, first.version, {"city": "Roma"}),
             RowEdit(1, second.id, second.version, {"city": "Bari"})]
    with pytest.raises(AutomationFailed, match="'Strict' failed"):
        save_grid(session=session, user=staff, entity="contacts", edits=edits, added=[], deleted=[])
    assert rows(engine, "SELECT city FROM contacts ORDER BY id") == [(None,), (None,)]
    assert [r[3] for r in runs(engine)] == ["failed"]


def test_a_broken_condition_is_a_failure_that_names_the_rule(session, engine, admin, staff) -> None:
    from datetime import datetime

    from core.models import Task

    session.add(Task(title="Late", due_at=datetime(2026, 6, 1), assignee_id=staff.id))
    session.commit()
    broken = [{"field": "tier", "op": "=", "value": "gold"}]  # a custom field removed since
    add_rule(session, admin, entity="contacts", trigger="created", name="Gold", actions=[
        {"type": "notify", "to": "owner", "text": "x"}], conditions=broken)
    add_rule(session, admin, entity="tasks", trigger="task_overdue", name="Late gold", actions=[
        {"type": "notify", "to": "owner", "text": "x"}], conditions=broken)
    with pytest.raises(AutomationFailed, match=r"'Gold' failed.*no column 'tier'"):
        contacts.create(session=session, user=staff, data={"first_name": "Ana"})
    assert run_due_triggers(session, datetime(2026, 6, 15)).failed == 1
    assert [(r[3], "no column 'tier'" in r[4]) for r in runs(engine)] == [("failed", True), ("failed", True)]
