"""What each person reads, through every read path, is only what the rule lets them see.

One small dataset, inserted directly: for each owner (sam and olga in the north team, sven in the
south, nobody) a company, a contact, a deal, an order with a line, an activity, a task, a case and
a campaign; plus an activity olga logged and a task sven holds about sam's contact (cross-owner
rows that must not leak through sam's record page). The ids each reader may see are computed here
from the owners, independently of the code under test; then grids, record pages, exports, the
semantic layer (`crm report`), every analytics dashboard, the case desk, search and the offline
assistant are asked, for the admin, both managers, both north staff and an inactive user.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlmodel import Session

from bot.assistant import Assistant
from core.analytics.dashboards import (
    basket_dashboard,
    campaign_dashboard,
    funnel_dashboard,
    loyalty_dashboard,
    rfm_dashboard,
)
from core.analytics.potential import potential_dashboard
from core.errors import NotFound, PermissionDenied
from core.models import (
    Activity,
    Campaign,
    Case,
    Company,
    Contact,
    Deal,
    Order,
    OrderLine,
    Product,
    Task,
    User,
)
from core.query.engine import run_query
from core.query.spec import QuerySpec
from core.services.case_desk import case_queue
from core.services.deals import ensure_default_pipeline, stages_of
from core.services.exports import export_rows
from core.services.listing import list_page
from core.services.overview360 import contact_360, pipeline_board, search_contacts
from tests.integration.permission_world import ACTORS, World, build_world, in_reach

OWNED = {"companies": Company, "contacts": Contact, "deals": Deal, "orders": Order,
         "activities": Activity, "tasks": Task, "cases": Case, "campaigns": Campaign}
READERS = list(ACTORS)
# The customers of sam, olga, sven and nobody: names no typo-forgiving lookup confuses.
PEOPLE = {"sam": ("Aurora", "Lindqvist"), "olga": ("Bjorn", "Moreau"), "sven": ("Chiara", "Takahashi"),
          "nobody": ("Dmitri", "Okafor")}


@dataclass
class Data:
    world: World
    owner_of: dict[tuple[str, int], User | None]  # (entity, id) -> owner
    contact_names: dict[int, str]
    order_totals: dict[int, float]

    def visible(self, reader: User, entity: str) -> set[int]:
        return {record_id for (name, record_id), owner in self.owner_of.items()
                if name == entity and in_reach(reader, owner)}


def _dataset(engine) -> Data:  # type: ignore[no-untyped-def]
    world = build_world(engine)
    owners: dict[tuple[str, int], User | None] = {}
    names, totals = {}, {}
    with Session(engine, expire_on_commit=False) as session:
        pipeline = ensure_default_pipeline(session)
        stage = stages_of(session, pipeline.id)[0]
        product = Product(sku="P1", name="Widget", price=10)
        session.add(product)
        session.flush()
        people = [world.users["sam"], world.users["olga"], world.users["sven"], None]
        contacts = {}
        for n, owner in enumerate(people):
            owner_id = owner.id if owner else None
            tag = owner.username if owner else "nobody"
            company = Company(name=f"{tag.title()} Ltd", owner_id=owner_id)
            session.add(company)
            session.flush()
            first, last = PEOPLE[tag]
            contact = Contact(first_name=first, last_name=last, email=f"{tag}@example.com",
                              company_id=company.id, owner_id=owner_id, lifecycle_stage="customer")
            session.add(contact)
            session.flush()
            contacts[tag] = contact
            total = 10.0 * (n + 1)
            order = Order(order_number=f"ORD-{tag}", contact_id=contact.id, company_id=company.id,
                          ordered_at=datetime(2026, 5, 1 + n, 10), total=total, owner_id=owner_id)
            rows = [company, contact, order,
                    Deal(title=f"Deal {tag}", contact_id=contact.id, company_id=company.id,
                         pipeline_id=pipeline.id, stage_id=stage.id, amount=100, owner_id=owner_id),
                    Activity(contact_id=contact.id, channel="phone", subject=f"Call {tag}",
                             occurred_at=datetime(2026, 6, 1, 10), owner_id=owner_id),
                    Task(title=f"Task {tag}", contact_id=contact.id, due_at=datetime(2026, 6, 15, 10),
                         assignee_id=owner_id),
                    Case(subject=f"Case {tag}", contact_id=contact.id, assignee_id=owner_id,
                         opened_at=datetime(2026, 6, 14, 9), sla_due_at=datetime(2026, 6, 15, 9)),
                    Campaign(name=f"Campaign {tag}", owner_id=owner_id)]
            session.add_all(rows)
            session.flush()
            session.add(OrderLine(order_id=order.id, product_id=product.id, quantity=1, unit_price=total))
            for row in rows:
                owners[(row.__tablename__, row.id)] = owner
            names[contact.id] = contact.full_name
            totals[order.id] = total
        # cross-owner rows about sam's contact: olga's call, sven's task
        olga, sven = world.users["olga"], world.users["sven"]
        cross = [Activity(contact_id=contacts["sam"].id, channel="email", subject="Olga's note",
                          occurred_at=datetime(2026, 6, 2, 10), owner_id=olga.id),
                 Task(title="Sven's task", contact_id=contacts["sam"].id, assignee_id=sven.id)]
        session.add_all(cross)
        session.commit()
        owners[("activities", cross[0].id)] = olga
        owners[("tasks", cross[1].id)] = sven
    return Data(world, owners, names, totals)


@pytest.fixture
def data(engine) -> Data:  # type: ignore[no-untyped-def]
    return _dataset(engine)


def _ids(frame, column: str = "id") -> set[int]:  # type: ignore[no-untyped-def]
    return set() if frame is None or frame.empty else {int(v) for v in frame[column].dropna()}


@pytest.mark.parametrize("role", READERS)
def test_grids_record_pages_exports_and_search(session, data: Data, role: str) -> None:
    reader = data.world.actor(role)
    for entity in OWNED:
        page = list_page(session, reader, entity, page_size=500)
        assert _ids(page.frame) == data.visible(reader, entity), f"{entity} grid for {role}"
    for contact_id, name in data.contact_names.items():
        if contact_id not in data.visible(reader, "contacts"):
            with pytest.raises(NotFound):
                contact_360(session, reader, contact_id)
            continue
        page360 = contact_360(session, reader, contact_id)
        for entity, frame in [("deals", page360.deals), ("orders", page360.orders),
                              ("tasks", page360.tasks), ("cases", page360.cases)]:
            assert _ids(frame) <= data.visible(reader, entity), f"{entity} on {name}'s page for {role}"
        subjects = set(page360.timeline["subject"]) if not page360.timeline.empty else set()
        if name == " ".join(PEOPLE["sam"]):  # olga's note on sam's customer: for olga's readers only
            assert ("Olga's note" in subjects) == in_reach(reader, data.world.users["olga"]), role
    emails = {f"{u.username}@example.com" for u in data.world.users.values()} | {"nobody@example.com"}
    visible_emails = {e for e in emails if _owner_email_visible(data, reader, e)}
    if not reader.active:
        with pytest.raises(PermissionDenied):
            export_rows(session=session, user=reader, entity="contacts")
    else:
        exported = export_rows(session=session, user=reader, entity="contacts")
        assert set(exported["email"]) == visible_emails, f"contacts export for {role}"
        orders = export_rows(session=session, user=reader, entity="orders")
        expected = {f"ORD-{e.split('@')[0]}" for e in visible_emails}
        assert set(orders["order_number"]) == expected, f"orders export for {role}"
    for contact_id, name in data.contact_names.items():
        found = {m.id for m in search_contacts(session, reader, name.split()[0])}
        assert found == {contact_id} & data.visible(reader, "contacts"), f"search {name} for {role}"
    assert _ids(case_queue(session, reader)) == data.visible(reader, "cases"), f"case desk for {role}"
    board = pipeline_board(session, reader)
    on_board = set().union(*(_ids(column.deals) for column in board.columns)) if board.columns else set()
    assert on_board == data.visible(reader, "deals"), f"pipeline board for {role}"


def _owner_email_visible(data: Data, reader: User, email: str) -> bool:
    tag = email.split("@")[0]
    owner = data.world.users.get(tag)
    return tag in {"sam", "olga", "sven", "nobody"} and in_reach(reader, owner)


@pytest.mark.parametrize("role", READERS)
def test_reports_dashboards_and_assistant(session, data: Data, role: str) -> None:
    reader = data.world.actor(role)
    contacts = data.visible(reader, "contacts")
    orders = data.visible(reader, "orders")
    revenue = sum(data.order_totals[i] for i in orders)
    figures = run_query(session, QuerySpec(metrics=["contacts", "revenue", "deals"]), reader)
    counted = dict(zip(figures.ids, figures.rows[0] if figures.rows else [], strict=False))
    assert (counted.get("contacts") or 0) == len(contacts), f"crm report contacts for {role}"
    assert (counted.get("revenue") or 0) == pytest.approx(revenue), f"crm report revenue for {role}"
    assert (counted.get("deals") or 0) == len(data.visible(reader, "deals"))
    if not reader.active:
        return _inactive_sees_no_dashboard(session, reader)
    rfm = rfm_dashboard(session, reader)
    assert rfm.customers == len(orders) and rfm.revenue == pytest.approx(revenue), f"RFM for {role}"
    assert loyalty_dashboard(session, reader).customers == len(orders), f"loyalty for {role}"
    assert basket_dashboard(session, reader).orders == len(orders), f"baskets for {role}"
    assert funnel_dashboard(session, reader).deals == len(data.visible(reader, "deals")), f"funnel, {role}"
    visible_campaigns = {f"Campaign {tag}" for tag in ("sam", "olga", "sven", "nobody")
                         if in_reach(reader, data.world.users.get(tag))}
    performance = campaign_dashboard(session, reader).performance
    if not performance.empty:
        assert set(performance["name"]) <= visible_campaigns, f"campaign results for {role}"
    potential = potential_dashboard(session, reader)
    assert potential.scored <= len(contacts)
    if not potential.prospects.empty and "contact_id" in potential.prospects:
        assert _ids(potential.prospects, "contact_id") <= contacts
    reply = Assistant(session, use_llm=False).ask("how many contacts do we have", reader)
    assert reply.status == "answered" and reply.rows and reply.rows[0][-1] == len(contacts), reply.text
    for contact_id, name in data.contact_names.items():
        answer = Assistant(session, use_llm=False).ask(f"what did we last discuss with {name}?", reader)
        tag = next(t for t, person in PEOPLE.items() if " ".join(person) == name)
        if contact_id in contacts:
            assert answer.status == "answered" and name in answer.text, (role, name, answer.text)
        else:  # a hidden customer is not found, and nothing about them is told
            assert answer.status == "refused" and "found nobody" in answer.text, (role, name, answer.text)
            assert f"Call {tag}" not in answer.text and not answer.rows, (role, name, answer.text)


def _inactive_sees_no_dashboard(session: Session, reader: User) -> None:
    for loader in (rfm_dashboard, loyalty_dashboard, basket_dashboard, funnel_dashboard):
        try:
            result = loader(session, reader)
        except PermissionDenied:
            continue
        assert getattr(result, "customers", getattr(result, "orders", getattr(result, "deals", 0))) == 0
