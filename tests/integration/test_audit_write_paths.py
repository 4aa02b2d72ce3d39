"""Every write path leaves an audit entry: who, source, entity, before and after.

Each row of WRITE_PATHS performs one write through one front end (forms/services, grid, import,
assistant, automation inline and queued, the CLI commands that write, campaign sending and
responses, quotes, My day, the case desk, users, restoring from the audit log). The check does
not trust the path: it reads every editable table (ENTITIES) with plain SQL before and after and
finds each record that is new, has a new version, or was deleted or restored; every one of those
must have an audit entry of the expected source, with the acting user and the values before and
after. A path that writes without auditing fails here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.assistant import Assistant
from bot.proposals import propose_activity
from core.models import ENTITIES, CampaignRecipient, Task, User
from core.services import SERVICES, my_day, quotes
from core.services.audit import restore_deleted
from core.services.bulk_edit import RowEdit, save_grid
from core.services.campaign_responses import record_response
from core.services.campaign_sending import send_campaign
from core.services.cases import log_case_interaction
from core.services.deals import move_deal
from core.services.imports import import_rows
from core.services.users import create_user, set_password

Snapshot = dict[tuple[str, int], tuple[Any, Any]]


def records(engine: Engine) -> Snapshot:
    """(entity, id) -> (version, deleted_at) of every row of every editable table."""
    found: Snapshot = {}
    with engine.connect() as connection:
        for entity in ENTITIES:
            for row in connection.execute(text(f'SELECT id, version, deleted_at FROM "{entity}"')):
                found[(entity, row[0])] = (row[1], row[2])
    return found


def audit_since(engine: Engine, last_id: int) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        result = connection.execute(text(
            "SELECT id, user_id, source, action, entity, entity_id, before, after FROM audit_log "
            "WHERE id > :last ORDER BY id"), {"last": last_id})
        return [dict(row._mapping) for row in result]


def last_audit_id(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT coalesce(max(id), 0) FROM audit_log")).scalar_one())


def as_dict(value: Any) -> dict[str, Any] | None:
    return json.loads(value) if isinstance(value, str) else value


@dataclass
class Ctx:
    engine: Engine
    session: Session
    admin: User
    staff: User
    contact_id: int
    tmp: Path
    cli: Callable[..., Any]
    before: Snapshot | None = None
    last: int = 0

    def begin(self) -> None:
        """The scenario's set-up is done: what changes from now on is the write under test."""
        self.session.expire_all()
        self.before, self.last = records(self.engine), last_audit_id(self.engine)


@dataclass
class WritePath:
    name: str
    run: Callable[[Ctx], Any]
    sources: set[str]  # the audit source(s) its entries carry
    actor: str = "staff"  # whose id the entries carry: "admin" or "staff" (automation: the rule's creator)


def _contact(ctx: Ctx, **values: Any) -> int:
    data = {"first_name": "Extra", "email": f"x{datetime.now().timestamp()}@example.com", **values}
    return SERVICES["contacts"].create(session=ctx.session, user=ctx.staff, data=data, source="setup").id


def _grid(ctx: Ctx) -> None:
    other = _contact(ctx)
    current = SERVICES["contacts"].get(session=ctx.session, user=ctx.staff, record_id=ctx.contact_id)
    ctx.begin()
    save_grid(session=ctx.session, user=ctx.staff, entity="contacts",
              edits=[RowEdit(0, ctx.contact_id, current.version, {"city": "Bergen"})],
              added=[{"first_name": "Grid", "last_name": "Added"}],
              deleted=[(1, other, 1)])


def _import(ctx: Ctx) -> None:
    import pandas as pd

    frame = pd.DataFrame([{"email": "ana@example.com", "first_name": "Ana", "city": "Oslo"},
                          {"email": "new@example.com", "first_name": "New", "city": "Roma"}])
    import_rows(session=ctx.session, user=ctx.staff, entity="contacts", frame=frame)


def _assistant(ctx: Ctx) -> None:
    reply = propose_activity(ctx.session, ctx.staff, contact_id=ctx.contact_id, channel="phone",
                             occurred_at=datetime(2026, 6, 15, 10), subject="Quote", notes="asked",
                             follow_up=("Send the quote", datetime(2026, 6, 16, 9)))
    assert reply.action is not None
    done = Assistant(ctx.session, use_llm=False).confirm(reply.action, ctx.staff)
    assert done.status == "done", done.text


def _rule(ctx: Ctx, **data: Any) -> None:
    SERVICES["automation_rules"].create(session=ctx.session, user=ctx.admin, data=data, source="setup")


def _automation_inline(ctx: Ctx) -> None:
    _rule(ctx, name="Welcome", entity="contacts", trigger="created", actions=[
        {"type": "create_task", "title": "Welcome {first_name}", "due_in_days": 1, "assignee": "owner"}])
    ctx.begin()
    SERVICES["contacts"].create(session=ctx.session, user=ctx.staff, data={"first_name": "Welcomed"})


def _automation_sweep(ctx: Ctx) -> None:
    SERVICES["tasks"].create(session=ctx.session, user=ctx.staff, source="setup",
                             data={"title": "Late", "due_at": datetime(2026, 6, 1)})
    _rule(ctx, name="Escalate", entity="tasks", trigger="task_overdue", actions=[
        {"type": "set_field", "field": "priority", "value": "urgent"}])
    ctx.begin()
    result = ctx.cli("automation", "run", "--at", "2026-06-15T09:00")
    assert result.exit_code == 0 and "Rules fired: 1, failed: 0" in result.output, result.output


def _cli_user_add(ctx: Ctx) -> None:
    result = ctx.cli("user", "add", "nina", "--role", "staff", "--password-stdin", stdin="long-password\n")
    assert result.exit_code == 0, result.output


def _cli_import(ctx: Ctx) -> None:
    source = ctx.tmp / "contacts.csv"
    source.write_text("email,first_name,city\nana@example.com,Ana,Lyon\nzoe@example.com,Zoe,Nice\n")
    result = ctx.cli("import", "contacts", str(source), "--as", "sam")
    assert result.exit_code == 0, result.output


def _cli_ask(ctx: Ctx) -> None:
    result = ctx.cli("ask", "--yes", "--as", "sam", "remind me tomorrow to call Ana Alves")
    assert result.exit_code == 0 and "Done" in result.output, result.output


def _campaign(ctx: Ctx, status: str) -> int:
    campaign = SERVICES["campaigns"].create(session=ctx.session, user=ctx.staff, source="setup", data={
        "name": f"Campaign {status}", "subject": "Hello", "body": "Hi {first_name}"})
    ctx.session.add(CampaignRecipient(campaign_id=campaign.id, contact_id=ctx.contact_id, status=status))
    ctx.session.commit()
    ctx.begin()
    return campaign.id


def _send_campaign(ctx: Ctx) -> None:
    send_campaign(session=ctx.session, user=ctx.staff, campaign_id=_campaign(ctx, "pending"))


def _response(ctx: Ctx) -> None:
    record_response(session=ctx.session, user=ctx.staff, campaign_id=_campaign(ctx, "sent"),
                    contact_id=ctx.contact_id, response="interested")


def _quote(ctx: Ctx) -> None:
    product = SERVICES["products"].create(session=ctx.session, user=ctx.admin, source="setup",
                                          data={"sku": "P1", "name": "Widget", "price": 10})
    ctx.begin()
    order = quotes.save_configured_order(session=ctx.session, user=ctx.staff, contact_id=ctx.contact_id,
                                         lines=[{"product_id": product.id, "quantity": 2}])
    quotes.convert_quote(session=ctx.session, user=ctx.staff, order_id=order.id)


def _my_day(ctx: Ctx) -> None:
    task = SERVICES["tasks"].create(session=ctx.session, user=ctx.staff, source="setup",
                                    data={"title": "Call", "due_at": datetime(2026, 6, 15, 11)})
    ctx.begin()
    my_day.snooze_until(session=ctx.session, user=ctx.staff, task_id=task.id,
                        until=datetime(2026, 6, 16, 9))
    my_day.reassign_task(session=ctx.session, user=ctx.staff, task_id=task.id, assignee_id=ctx.staff.id)


def _case_desk(ctx: Ctx) -> None:
    case = SERVICES["cases"].create(session=ctx.session, user=ctx.staff, source="setup",
                                    data={"subject": "Broken", "contact_id": ctx.contact_id})
    ctx.begin()
    log_case_interaction(session=ctx.session, user=ctx.staff, case_id=case.id, channel="phone",
                         notes="called back", new_status="resolved")


def _deal(ctx: Ctx) -> None:
    deal = SERVICES["deals"].create(session=ctx.session, user=ctx.staff, data={"title": "Big"})
    stages = ctx.session.execute(text("SELECT id FROM stages WHERE pipeline_id = :p ORDER BY position"),
                                 {"p": deal.pipeline_id}).scalars().all()
    move_deal(session=ctx.session, user=ctx.staff, deal_id=deal.id, stage_id=stages[2])


def _forms(ctx: Ctx) -> None:
    service = SERVICES["contacts"]
    service.update(session=ctx.session, user=ctx.staff, record_id=ctx.contact_id, changes={"city": "Oslo"})
    service.delete(session=ctx.session, user=ctx.staff, record_id=ctx.contact_id)
    service.restore(session=ctx.session, user=ctx.staff, record_id=ctx.contact_id)


def _settings(ctx: Ctx) -> None:
    SERVICES["custom_field_definitions"].create(session=ctx.session, user=ctx.admin, data={
        "entity": "contacts", "name": "tier", "label": "Tier"})
    SERVICES["pipelines"].create(session=ctx.session, user=ctx.admin, data={"name": "Renewals"})


def _users(ctx: Ctx) -> None:
    user = create_user(session=ctx.session, actor=ctx.admin, password="long enough",
                       data={"username": "nina", "display_name": "Nina"})
    set_password(session=ctx.session, actor=ctx.admin, user_id=user.id, password="longer still")
    SERVICES["users"].update(session=ctx.session, user=ctx.admin, record_id=user.id,
                             changes={"team": "north"})


def _restore_from_audit(ctx: Ctx) -> None:
    SERVICES["contacts"].delete(session=ctx.session, user=ctx.staff, record_id=ctx.contact_id,
                                source="setup")
    ctx.begin()
    restore_deleted(ctx.session, ctx.admin, "contacts", ctx.contact_id)


WRITE_PATHS = [
    WritePath("forms: contacts update, delete, restore", _forms, {"app"}),
    WritePath("forms: deal create and move (stage history)", _deal, {"app", "system"}),
    WritePath("settings: custom field, pipeline", _settings, {"app"}, actor="admin"),
    WritePath("users: create, set password, update", _users, {"app"}, actor="admin"),
    WritePath("grid: save_grid (edit, add, delete)", _grid, {"grid"}),
    WritePath("import: contacts (create and update)", _import, {"import"}),
    WritePath("assistant: propose then confirm", _assistant, {"assistant"}),
    WritePath("automation: inline rule creates a task", _automation_inline, {"app", "automation"}),
    WritePath("CLI: crm automation run (overdue sweep)", _automation_sweep, {"automation"}),
    WritePath("CLI: crm user add", _cli_user_add, {"cli"}, actor="admin"),
    WritePath("CLI: crm import --as sam", _cli_import, {"import"}),
    WritePath("CLI: crm ask --yes --as sam", _cli_ask, {"assistant"}),
    WritePath("campaign: send", _send_campaign, {"app"}),
    WritePath("campaign: response (follow-up task)", _response, {"app"}),
    WritePath("quotes: configured quote, convert", _quote, {"app"}),
    WritePath("My day: snooze, reassign", _my_day, {"app"}),
    WritePath("case desk: reply that resolves", _case_desk, {"app"}),
    WritePath("audit log: restore a deleted record", _restore_from_audit, {"audit"}, actor="admin"),
]


@pytest.fixture
def ctx(engine, session, admin, staff, cli, tmp_path) -> Ctx:  # type: ignore[no-untyped-def]
    contact = SERVICES["contacts"].create(session=session, user=staff, source="setup", data={
        "first_name": "Ana", "last_name": "Alves", "email": "ana@example.com", "consent_email": True})
    return Ctx(engine, session, admin, staff, contact.id, tmp_path, cli)


@pytest.mark.parametrize("path", WRITE_PATHS, ids=[p.name for p in WRITE_PATHS])
def test_every_write_is_audited(ctx: Ctx, path: WritePath) -> None:
    ctx.begin()
    path.run(ctx)  # a scenario with set-up of its own calls ctx.begin() again once it is done
    ctx.session.expire_all()
    assert ctx.before is not None
    after, entries = records(ctx.engine), audit_since(ctx.engine, ctx.last)
    changed = {key for key, state in after.items() if ctx.before.get(key) != state}
    assert changed, f"{path.name} wrote nothing: the scenario is broken"
    audited = {key for entry in entries for key in audited_records(entry)}
    assert not changed - audited, f"{path.name} wrote without auditing: {sorted(changed - audited)}"
    for entry in entries:
        assert entry["source"] in path.sources, entry
        # automation acts as the rule's creator (the admin here), every other path as the person
        actor = "admin" if entry["source"] == "automation" else path.actor
        assert entry["user_id"] == (ctx.staff.id if actor == "staff" else ctx.admin.id), entry
        before_values, after_values = as_dict(entry["before"]), as_dict(entry["after"])
        assert after_values, entry  # every entry says what the record became
        if entry["action"] != "create":
            assert before_values, entry  # and, unless it is new, what it was
        assert "password_hash" not in json.dumps([before_values, after_values]), entry


def audited_records(entry: dict[str, Any]) -> list[tuple[str, int]]:
    """The records an entry is about: its own, or those an import created in bulk (one entry per
    import and entity, with their ids as [first, last] ranges)."""
    if entry["entity_id"] is not None:
        return [(entry["entity"], entry["entity_id"])]
    assert entry["action"] == "create" and entry["source"] == "import", entry
    ranges = as_dict(entry["after"])["ids"]  # type: ignore[index]
    return [(entry["entity"], n) for first, last in ranges for n in range(first, last + 1)]


def test_demo_data_leaves_one_bulk_entry(cli, engine) -> None:  # type: ignore[no-untyped-def]
    """`crm demo` is the one bulk writer: one audit entry for the whole run, with the counts."""
    result = cli("demo", "--contacts", "30", "--seed", "3")
    assert result.exit_code == 0, result.output
    entries = audit_since(engine, 0)
    bulk = [e for e in entries if e["action"] == "bulk"]
    assert [(e["source"], e["entity"]) for e in bulk] == [("cli", "demo")]
    # besides it, only the default pipeline and its stages, made (and audited) by the system, and
    # the example automation rule, made through its service
    assert {(e["source"], e["entity"]) for e in entries if e["action"] != "bulk"} <= {
        ("system", "pipelines"), ("system", "stages"), ("demo", "automation_rules")}
    counts = as_dict(bulk[0]["after"])
    assert counts["contacts"] == 30 and counts["contacts"] == len(records_of(engine, "contacts"))


def test_reminders_send_changes_no_record(cli, engine, session, staff) -> None:  # type: ignore[no-untyped-def]
    """`crm reminders --send` only does bookkeeping (sent marks, outbox, notifications): no record
    gets a new version, so there is nothing for the audit log to hold."""
    session.execute(text("UPDATE users SET email = 'sam@example.com' WHERE id = :id"), {"id": staff.id})
    session.add(Task(title="Call back", due_at=datetime(2026, 6, 15) - timedelta(hours=1),
                     assignee_id=staff.id))
    session.commit()
    before, last = records(engine), last_audit_id(engine)
    result = cli("reminders", "--send")
    assert result.exit_code == 0 and "Sent 1 email(s)" in result.output, result.output
    assert records(engine) == before and audit_since(engine, last) == []


def records_of(engine: Engine, entity: str) -> list[tuple[int, Any]]:
    return [key for key in records(engine) if key[0] == entity]
