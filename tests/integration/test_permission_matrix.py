"""The permission matrix: every use case x role x ownership -> allowed or denied, in core.

Each row names the real function (create/get/update/delete/restore of every entity in SERVICES, and
the special use cases: complete/snooze/reassign a task, move a deal, case status/assign/log, quote
convert and configured orders, campaign response and send, users, imports, exports). The expected
outcome comes from the README's rule (tests/integration/permission_world.py), never from running the
code. A denied call must raise the domain error (NotFound when the record is hidden from the
actor, PermissionDenied when it is visible but not theirs to change; a reference to a record the
actor may not see is reported like a missing one) and leave the database unchanged, checked with
plain SQL. A new entity in SERVICES without a row fails `test_every_service_has_a_row`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import text
from sqlmodel import Session

from bot.assistant import Assistant
from bot.proposals import propose_activity, propose_deal_move
from bot.reply import PendingAction, Reply
from core.errors import CRMError, NotFound, PermissionDenied, ValidationError
from core.models import ENTITIES, CampaignRecipient, User
from core.services import SERVICES, my_day, quotes
from core.services.activities import complete_task, snooze_task
from core.services.audit import audit_page, restore_deleted
from core.services.automation import recent_runs
from core.services.bulk_edit import GridSaveRejected, RowEdit, save_grid
from core.services.campaign_responses import record_response
from core.services.campaign_sending import send_campaign
from core.services.cases import assign_case, change_case_status, log_case_interaction, open_case
from core.services.deals import ensure_default_pipeline, move_deal, stages_of
from core.services.exports import export_rows
from core.services.imports import import_rows
from core.services.orders import place_order
from core.services.users import create_user, set_password
from tests.conftest import TODAY
from tests.integration.permission_world import (
    ACTORS,
    OWNERS,
    World,
    build_world,
    count,
    in_reach,
    may_create,
    may_read,
    may_write,
    relation,
    table_state,
)

OPERATIONS = ("create", "get", "update", "delete", "restore")
# Entities edited only through their own use cases (campaign recipients: record_response/send rows).
COVERED_ELSEWHERE = {"campaign_recipients"}


# ---- one row per entity: how to make a record, and a change to apply --------------------------


@dataclass
class Fixtures:
    """Ids the rows refer to (made once per backend)."""

    pipeline_id: int
    second_stage_id: int
    product_id: int
    admin_id: int


def entity_data(entity: str, n: int, fx: Fixtures) -> dict[str, Any]:
    return {
        "users": {"username": f"user{n}", "display_name": f"User {n}"},
        "companies": {"name": f"Company {n}"},
        "contacts": {"first_name": f"Contact{n}", "email": f"c{n}@example.com"},
        "pipelines": {"name": f"Pipeline {n}"},
        "stages": {"pipeline_id": fx.pipeline_id, "name": f"Stage {n}", "position": 100 + n},
        "deals": {"title": f"Deal {n}", "amount": 10},
        "products": {"sku": f"SKU-{n}", "name": f"Product {n}", "price": 5},
        "product_options": {"product_id": fx.product_id, "name": "colour", "value": f"v{n}"},
        "orders": {"order_number": f"ORD-{n}", "ordered_at": datetime(2026, 6, 1, 10)},
        "activities": {"channel": "phone", "subject": f"Call {n}"},
        "tasks": {"title": f"Task {n}", "due_at": datetime(2026, 6, 20, 9)},
        "cases": {"subject": f"Case {n}"},
        "campaigns": {"name": f"Campaign {n}", "subject": "Hello", "body": "Hi {first_name}"},
        "custom_field_definitions": {"entity": "contacts", "name": f"field{n}", "label": f"F{n}"},
        "saved_views": {"entity": "contacts", "name": f"View {n}"},
        "saved_reports": {"name": f"Report {n}", "spec": {"metrics": ["contacts"]}},
        "segments": {"name": f"Segment {n}", "spec": {"filters": []}},
        "automation_rules": {"name": f"Rule {n}", "entity": "contacts", "trigger": "created",
                             "active": False,
                             "actions": [{"type": "notify", "to": fx.admin_id, "text": "hi"}]},
    }[entity]


CHANGES: dict[str, dict[str, Any]] = {
    "users": {"display_name": "Renamed"},
    "companies": {"city": "Oslo"},
    "contacts": {"city": "Oslo"},
    "pipelines": {"position": 7},
    "stages": {"probability": 55},
    "deals": {"amount": 99},
    "products": {"price": 9.5},
    "product_options": {"price_delta": 3},
    "orders": {"currency": "USD"},
    "activities": {"subject": "Changed"},
    "tasks": {"priority": "high"},
    "cases": {"priority": "high"},
    "campaigns": {"budget": 10},
    "custom_field_definitions": {"label": "Changed"},
    "saved_views": {"shared": True},
    "saved_reports": {"chart_type": "bar"},
    "segments": {"description": "changed"},
    "automation_rules": {"name": "Renamed"},
}


# ---- the run ---------------------------------------------------------------------------------


@dataclass
class Tally:
    cases: Counter[str]
    failures: list[str]

    def check(self, label: str, engine: Any, tables: list[str], expected_allowed: bool,
              denied_error: type[CRMError], call: Callable[[], Any]) -> bool:
        """Run one cell: allowed must succeed; denied must raise `denied_error` and change nothing."""
        # the state is read only when a denial is expected (an unexpected denial fails anyway)
        before = {} if expected_allowed else {table: table_state(engine, table) for table in tables}
        audit_before = count(engine, "audit_log")
        try:
            call()
        except CRMError as error:
            if expected_allowed:
                self.failures.append(f"{label}: expected allowed, got {type(error).__name__}: {error}")
            elif not isinstance(error, denied_error):
                self.failures.append(f"{label}: expected {denied_error.__name__}, got "
                                     f"{type(error).__name__}: {error}")
            elif any(table_state(engine, t) != rows for t, rows in before.items()) or \
                    count(engine, "audit_log") != audit_before:
                self.failures.append(f"{label}: denied but the database changed")
            self.cases["denied"] += 1
            return False
        if not expected_allowed:
            self.failures.append(f"{label}: expected {denied_error.__name__}, but it was allowed")
        self.cases["allowed"] += 1
        return True


class Maker:
    """Records made by the admin through the services, then given their owner with plain SQL."""

    def __init__(self, world: World, session: Session, fx: Fixtures):
        self.world, self.session, self.fx, self.n = world, session, fx, 0
        self.admin = world.actor("admin")

    def data(self, entity: str) -> dict[str, Any]:
        self.n += 1
        return entity_data(entity, self.n, self.fx)

    def record(self, entity: str, owner: User | None, deleted: bool = False, **extra: Any) -> int:
        service = SERVICES.get(entity)
        data = {**self.data(entity), **extra}
        record_id = service.create(session=self.session, user=self.admin, data=data, source="fixture").id
        field = ENTITIES[entity].owner_field
        if field:
            self.set(entity, record_id, **{field: owner.id if owner else None})
        if deleted:
            service.delete(session=self.session, user=self.admin, record_id=record_id, source="fixture")
        return record_id

    def set(self, table: str, record_id: int, **values: Any) -> None:
        assignments = ", ".join(f"{name} = :{name}" for name in values)
        with self.world.engine.begin() as connection:
            connection.execute(text(f'UPDATE "{table}" SET {assignments} WHERE id = :id'),
                               {**values, "id": record_id})
        self.session.expire_all()


def _fixtures(world: World, session: Session) -> Fixtures:
    admin = world.actor("admin")
    pipeline = ensure_default_pipeline(session, admin)
    session.commit()
    product = SERVICES["products"].create(session=session, user=admin,
                                          data={"sku": "BASE", "name": "Base", "price": 100})
    return Fixtures(pipeline.id, stages_of(session, pipeline.id)[1].id, product.id, admin.id)


@pytest.fixture
def world(engine) -> World:  # type: ignore[no-untyped-def]
    return build_world(engine)


def test_every_service_has_a_row() -> None:
    """A new entity in SERVICES (or ENTITIES) without a matrix row fails here: no silent gaps."""
    assert set(SERVICES) == set(CHANGES), set(SERVICES) ^ set(CHANGES)
    assert set(ENTITIES) == set(SERVICES) | COVERED_ELSEWHERE
    fx = Fixtures(1, 2, 3, 4)
    for entity in SERVICES:
        assert entity_data(entity, 1, fx)


def test_permission_matrix(world: World, engine, capsys) -> None:  # type: ignore[no-untyped-def]
    tally = Tally(Counter(), [])
    with Session(engine, expire_on_commit=False) as session:
        fx = _fixtures(world, session)
        maker = Maker(world, session, fx)
        _entity_rows(world, session, maker, tally)
        _special_rows(world, session, maker, tally)
    total = tally.cases["allowed"] + tally.cases["denied"]
    with capsys.disabled():
        print(f"\npermission matrix ({engine.dialect.name}): {total} cases checked, "
              f"{tally.cases['allowed']} allowed, {tally.cases['denied']} denied")
    assert not tally.failures, "\n".join(tally.failures[:80])
    assert total > 1000


def _entity_rows(world: World, session: Session, maker: Maker, tally: Tally) -> None:
    for entity, service in SERVICES.items():
        owned = ENTITIES[entity].owner_field is not None
        for ownership in (OWNERS if owned else ["unowned"]):
            owner = world.owner(ownership)
            live: int | None = None
            gone: int | None = None
            for role in ACTORS:
                actor = world.actor(role)
                label = f"{entity} x {role} x {relation(actor, owner) if owned else 'reference'}"
                readable = may_read(entity, owned, actor, owner)
                hidden = PermissionDenied if readable else NotFound
                tables = [entity]
                # create: the new record is given to the owner (unowned: left empty, so the creator's)
                data = maker.data(entity)
                if owned and owner is not None:
                    data[ENTITIES[entity].owner_field] = owner.id
                tally.check(f"create {label}", world.engine, tables,
                            may_create(entity, owned, actor, owner), PermissionDenied,
                            partial(service.create, session=session, user=actor, data=data))
                live = live or maker.record(entity, owner)
                tally.check(f"get {label}", world.engine, tables, readable, NotFound,
                            partial(service.get, session=session, user=actor, record_id=live))
                writable = may_write(entity, owned, actor, owner)
                for operation in ("update", "delete"):
                    kwargs = {"changes": dict(CHANGES[entity])} if operation == "update" else {}
                    call = getattr(service, operation)
                    done = tally.check(f"{operation} {label}", world.engine, tables, writable, hidden,
                                       partial(call, session=session, user=actor, record_id=live, **kwargs))
                    if done:
                        live = maker.record(entity, owner)
                gone = gone or maker.record(entity, owner, deleted=True)
                if tally.check(f"restore {label}", world.engine, tables, writable, hidden,
                               partial(service.restore, session=session, user=actor, record_id=gone)):
                    gone = None


# ---- the special use cases ---------------------------------------------------------------------


@dataclass
class Special:
    """A use case acting on a record of `entity` made by `prepare`; allowed when `rule` says so."""

    name: str
    tables: list[str]
    prepare: Callable[[Maker, User | None], dict[str, Any]]
    call: Callable[[Session, User, dict[str, Any]], Any]
    rule: Callable[[User, User | None], bool] = lambda actor, owner: in_reach(actor, owner)
    denied: Callable[[User, User | None], type[CRMError]] = \
        lambda actor, owner: PermissionDenied if in_reach(actor, owner) else NotFound


def _task(maker: Maker, owner: User | None) -> dict[str, Any]:
    return {"id": maker.record("tasks", owner)}


def _case(maker: Maker, owner: User | None) -> dict[str, Any]:
    return {"id": maker.record("cases", owner)}


def _contact(maker: Maker, owner: User | None) -> dict[str, Any]:
    return {"contact_id": maker.record("contacts", owner)}


def _campaign_with_recipient(maker: Maker, owner: User | None, status: str) -> dict[str, Any]:
    campaign_id = maker.record("campaigns", owner)
    contact_id = maker.record("contacts", owner, consent_email=True)
    maker.session.add(CampaignRecipient(campaign_id=campaign_id, contact_id=contact_id, status=status))
    maker.session.commit()
    return {"id": campaign_id, "contact_id": contact_id}


def _quote(maker: Maker, owner: User | None) -> dict[str, Any]:
    return {"id": maker.record("orders", owner, status="quote")}


def _hidden_reference(actor: User, owner: User | None) -> type[CRMError]:
    """A reference to a record the actor may not see is reported as missing (no existence leak)."""
    return ValidationError if actor.active else PermissionDenied


def _line(maker: Maker) -> list[dict[str, Any]]:
    return [{"product_id": maker.fx.product_id, "quantity": 1}]


def _csv(owner: User | None, n: int) -> pd.DataFrame:
    return pd.DataFrame([{"email": f"imported{n}@example.com", "first_name": "Imported",
                          "owner": owner.username if owner else ""}])


def _answered(reply: Reply) -> Reply:
    """The assistant answers in replies, not exceptions: a refusal is the denial here."""
    if reply.status == "refused":
        raise PermissionDenied(reply.text)
    return reply


def _confirm(session: Session, user: User, reply: Reply) -> Reply:
    _answered(reply)
    assert reply.action is not None
    return _answered(Assistant(session, use_llm=False).confirm(reply.action, user))


def _forged_log(contact_id: int) -> PendingAction:
    """A confirmation nobody proposed to this user (a tampered history, or an LLM tool call)."""
    return PendingAction("log_activity", ["Log a call"], {
        "contact_id": contact_id, "channel": "phone", "direction": "outbound", "subject": "forged"})


def _grid_edit(session: Session, user: User, record_id: int) -> Any:
    version = session.execute(text("SELECT version FROM contacts WHERE id = :id"), {"id": record_id}).scalar()
    return save_grid(session=session, user=user, entity="contacts", added=[], deleted=[],
                     edits=[RowEdit(0, record_id, version, {"city": "Bergen"})])


def _refused(actor: User, owner: User | None) -> type[CRMError]:
    return PermissionDenied


def specials(maker: Maker) -> list[Special]:
    later = datetime.combine(TODAY + timedelta(days=2), datetime.min.time()) + timedelta(hours=9)
    return [
        Special("complete_task", ["tasks"], _task,
                lambda s, u, c: complete_task(session=s, user=u, task_id=c["id"])),
        Special("snooze_task", ["tasks"], _task,
                lambda s, u, c: snooze_task(session=s, user=u, task_id=c["id"], delay=timedelta(hours=1))),
        Special("my_day.snooze_until", ["tasks"], _task,
                lambda s, u, c: my_day.snooze_until(session=s, user=u, task_id=c["id"], until=later)),
        Special("my_day.reassign_task (to oneself)", ["tasks"], _task,
                lambda s, u, c: my_day.reassign_task(session=s, user=u, task_id=c["id"], assignee_id=u.id)),
        Special("move_deal", ["deals", "deal_stage_history"],
                lambda m, o: {"id": m.record("deals", o)},
                lambda s, u, c: move_deal(session=s, user=u, deal_id=c["id"],
                                          stage_id=maker.fx.second_stage_id)),
        Special("cases.change_case_status", ["cases"], _case,
                lambda s, u, c: change_case_status(session=s, user=u, case_id=c["id"], status="open")),
        Special("cases.assign_case (to oneself)", ["cases"], _case,
                lambda s, u, c: assign_case(session=s, user=u, case_id=c["id"], assignee_id=u.id)),
        Special("cases.log_case_interaction", ["cases", "activities"], _case,
                lambda s, u, c: log_case_interaction(session=s, user=u, case_id=c["id"],
                                                           channel="phone", notes="called back")),
        Special("cases.open_case (about the owner's contact)", ["cases", "activities"], _contact,
                lambda s, u, c: open_case(session=s, user=u, subject="Broken", channel="email",
                                                contact_id=c["contact_id"]),
                denied=_hidden_reference),
        Special("activities.create (about the owner's contact)", ["activities"], _contact,
                lambda s, u, c: SERVICES["activities"].create(
                    session=s, user=u, data={"channel": "phone", "contact_id": c["contact_id"]}),
                denied=_hidden_reference),
        Special("tasks.create (about the owner's contact)", ["tasks"], _contact,
                lambda s, u, c: SERVICES["tasks"].create(
                    session=s, user=u, data={"title": "Call", "contact_id": c["contact_id"]}),
                denied=_hidden_reference),
        Special("deals.create (for the owner's contact)", ["deals", "deal_stage_history"], _contact,
                lambda s, u, c: SERVICES["deals"].create(
                    session=s, user=u, data={"title": "Deal", "contact_id": c["contact_id"]}),
                denied=_hidden_reference),
        Special("orders.place_order (for the owner's contact)", ["orders", "order_lines", "contacts"],
                _contact,
                lambda s, u, c: place_order(session=s, user=u, data={"contact_id": c["contact_id"]},
                                            lines=_line(maker)),
                denied=_hidden_reference),
        Special("quotes.save_configured_order", ["orders", "order_lines", "contacts"], _contact,
                lambda s, u, c: quotes.save_configured_order(session=s, user=u, contact_id=c["contact_id"],
                                                             lines=_line(maker))),
        Special("quotes.convert_quote", ["orders", "contacts"], _quote,
                lambda s, u, c: quotes.convert_quote(session=s, user=u, order_id=c["id"])),
        Special("campaign record_response", ["campaign_recipients", "contacts", "tasks"],
                lambda m, o: _campaign_with_recipient(m, o, "sent"),
                lambda s, u, c: record_response(session=s, user=u, campaign_id=c["id"],
                                                contact_id=c["contact_id"], response="interested")),
        Special("send_campaign", ["campaigns", "campaign_recipients", "outbox_messages"],
                lambda m, o: _campaign_with_recipient(m, o, "pending"),
                lambda s, u, c: send_campaign(session=s, user=u, campaign_id=c["id"])),
        Special("grid save_grid (edit of the owner's contact)", ["contacts"], _contact,
                lambda s, u, c: _grid_edit(s, u, c["contact_id"]),
                denied=lambda actor, owner: GridSaveRejected),
        Special("assistant propose_activity (the owner's contact)", [], _contact,
                lambda s, u, c: _answered(propose_activity(
                    s, u, contact_id=c["contact_id"], channel="call", occurred_at=datetime(2026, 6, 15, 10),
                    subject=None, notes="n")), denied=_refused),
        Special("assistant propose then confirm a call", ["activities", "tasks"], _contact,
                lambda s, u, c: _confirm(s, u, propose_activity(
                    s, u, contact_id=c["contact_id"], channel="call", occurred_at=datetime(2026, 6, 15, 10),
                    subject=None, notes="n", follow_up=("Call back", datetime(2026, 6, 16, 9)))),
                denied=_refused),
        Special("assistant propose then confirm a deal move", ["deals", "deal_stage_history"],
                lambda m, o: {"id": m.record("deals", o)},
                lambda s, u, c: _confirm(s, u, propose_deal_move(s, u, deal_id=c["id"],
                                                                 stage_name="Qualified")),
                denied=_refused),
        Special("assistant confirm of a forged call on the owner's contact", ["activities"], _contact,
                lambda s, u, c: _answered(Assistant(s, use_llm=False).confirm(
                    _forged_log(c["contact_id"]), u)),
                denied=_refused),
        Special("my_day.day_plan (the owner's day)", [], lambda m, o: {},
                lambda s, u, c: my_day.day_plan(s, u, c["person"]),
                denied=_refused),
        Special("audit log: audit_page", [], lambda m, o: {},
                lambda s, u, c: audit_page(s, u),
                rule=lambda actor, owner: actor.active and actor.role == "admin", denied=_refused),
        Special("audit log: restore_deleted", ["contacts"],
                lambda m, o: {"id": m.record("contacts", o, deleted=True)},
                lambda s, u, c: restore_deleted(s, u, "contacts", c["id"]),
                rule=lambda actor, owner: actor.active and actor.role == "admin", denied=_refused),
        Special("automation: recent_runs (the runs log)", [], lambda m, o: {},
                lambda s, u, c: recent_runs(s, u),
                rule=lambda actor, owner: actor.active and actor.role == "admin", denied=_refused),
        Special("import contacts (rows owned by the owner)", ["contacts"],
                lambda m, o: {"frame": _csv(o, len(m.data("contacts")) + m.n)},
                lambda s, u, c: import_rows(session=s, user=u, entity="contacts", frame=c["frame"]),
                rule=lambda actor, owner: in_reach(actor, owner or actor),
                denied=lambda actor, owner: ValidationError if actor.active else PermissionDenied),
        Special("export contacts", [], lambda m, o: {},
                lambda s, u, c: export_rows(session=s, user=u, entity="contacts"),
                rule=lambda actor, owner: actor.active,
                denied=lambda actor, owner: PermissionDenied),
        Special("users.create_user", ["users"], lambda m, o: {"n": m.data("users")},
                lambda s, u, c: create_user(session=s, actor=u, data=c["n"], password="long enough 1"),
                rule=lambda actor, owner: actor.active and actor.role == "admin",
                denied=lambda actor, owner: PermissionDenied),
        Special("users.set_password (someone else's)", ["users"],
                lambda m, o: {"id": m.record("users", None)},
                lambda s, u, c: set_password(session=s, actor=u, user_id=c["id"], password="long enough 2"),
                rule=lambda actor, owner: actor.active and actor.role == "admin",
                denied=lambda actor, owner: PermissionDenied),
        Special("users.set_password (one's own)", ["users"], lambda m, o: {},
                lambda s, u, c: set_password(session=s, actor=u, user_id=u.id, password="long enough 3"),
                rule=lambda actor, owner: actor.active,
                denied=lambda actor, owner: PermissionDenied),
    ]


OWNERLESS = {"export contacts", "users.create_user", "users.set_password (someone else's)",
             "users.set_password (one's own)", "audit log: audit_page",
             "automation: recent_runs (the runs log)"}
PEOPLE_ONLY = {"my_day.day_plan (the owner's day)"}  # a day belongs to a person, never to nobody


def _special_rows(world: World, session: Session, maker: Maker, tally: Tally) -> None:
    for special in specials(maker):
        ownerships = ["unowned"] if special.name in OWNERLESS else list(OWNERS)
        if special.name in PEOPLE_ONLY:
            ownerships.remove("unowned")
        for ownership in ownerships:
            owner = world.owner(ownership)
            for role in ACTORS:
                actor = world.actor(role)
                context = {**special.prepare(maker, owner), "person": owner.id if owner else None}
                tally.check(f"{special.name} x {role} x {relation(actor, owner)}", world.engine,
                            special.tables,
                            special.rule(actor, owner), special.denied(actor, owner),
                            partial(special.call, session, actor, context))
