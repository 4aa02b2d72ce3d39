"""Record pages and the pipeline board: content, order, figures and visibility, on both backends.

The data is inserted directly (ORM adds), not through the services under test; expected figures
are worked out by hand in the comments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlmodel import Session

from core.errors import NotFound
from core.models import (
    Activity,
    Campaign,
    CampaignRecipient,
    Case,
    Company,
    Contact,
    Deal,
    DealStageHistory,
    Order,
    OrderLine,
    Pipeline,
    Product,
    Stage,
    Task,
    User,
)
from core.services.overview360 import (
    company_360,
    contact_360,
    deal_360,
    pipeline_board,
    search_contacts,
)


@dataclass
class World:
    ana: Contact
    theirs: Contact
    acme: Company
    deal: Deal
    stages: dict[str, Stage]


def _add(session: Session, *rows):  # type: ignore[no-untyped-def]
    session.add_all(rows)
    session.flush()
    return rows[0] if len(rows) == 1 else rows


def _pipeline(session: Session, name: str = "Sales") -> dict[str, Stage]:
    pipeline = _add(session, Pipeline(name=name, is_default=True))
    specs = [("Lead", 10, False, False), ("Proposal", 50, False, False), ("Won", 100, True, False),
             ("Lost", 0, False, True)]
    stages = [Stage(pipeline_id=pipeline.id, name=n, position=i, probability=p, is_won=w, is_lost=lost)
              for i, (n, p, w, lost) in enumerate(specs)]
    _add(session, *stages)
    return {stage.name: stage for stage in stages}


def _order(session: Session, number: str, contact: Contact, owner: User, at: datetime, status: str,
           lines: list[tuple[Product, float, float]]) -> Order:
    total = sum(quantity * price for _, quantity, price in lines)
    order = _add(session, Order(order_number=number, contact_id=contact.id, company_id=contact.company_id,
                                ordered_at=at, status=status, total=total, owner_id=owner.id))
    _add(session, *[OrderLine(order_id=order.id, product_id=p.id, quantity=q, unit_price=price)
                    for p, q, price in lines])
    return order


@pytest.fixture
def world(session: Session, staff: User, other_staff: User) -> World:
    acme = _add(session, Company(name="Acme", owner_id=staff.id))
    ana = _add(session, Contact(first_name="Ana", last_name="Alves", email="ana@acme.io", company_id=acme.id,
                                owner_id=staff.id))
    theirs = _add(session, Contact(first_name="Theo", last_name="Other", owner_id=other_staff.id))
    widget, gadget = _add(session, Product(sku="W-1", name="Widget", category="Parts", price=10),
                          Product(sku="G-1", name="Gadget", category="Tools", price=10))
    _order(session, "SO-1", ana, staff, datetime(2026, 1, 10, 9), "paid", [(widget, 2, 10), (gadget, 1, 10)])
    _order(session, "SO-2", ana, staff, datetime(2026, 3, 5, 9), "shipped", [(widget, 3, 5), (gadget, 1, 10)])
    _order(session, "SO-3", ana, staff, datetime(2026, 4, 1, 9), "cancelled", [(widget, 10, 10)])
    _order(session, "SO-4", ana, other_staff, datetime(2026, 5, 1, 9), "paid", [(gadget, 9, 111)])
    _add(session,
         Activity(contact_id=ana.id, channel="phone", direction="outbound",
                  occurred_at=datetime(2026, 6, 1, 10), subject="Intro call", outcome="Interested",
                  duration_minutes=12, owner_id=staff.id),
         Activity(contact_id=ana.id, channel="email", direction="inbound",
                  occurred_at=datetime(2026, 6, 3, 9), subject="Question", owner_id=staff.id,
                  source="import"),
         Activity(contact_id=ana.id, channel="meeting", occurred_at=datetime(2026, 5, 20, 15),
                  subject="Demo", duration_minutes=45, owner_id=staff.id),
         Activity(contact_id=ana.id, channel="sms", occurred_at=datetime(2026, 6, 10, 8),
                  subject="Deleted one", owner_id=staff.id, deleted_at=datetime(2026, 6, 11)),
         Activity(contact_id=ana.id, channel="chat", occurred_at=datetime(2026, 6, 12, 8),
                  subject="Colleague's chat", owner_id=other_staff.id))
    stages = _pipeline(session)
    deal = _add(session, Deal(title="Acme rollout", contact_id=ana.id, company_id=acme.id,
                              pipeline_id=stages["Lead"].pipeline_id, stage_id=stages["Proposal"].id,
                              amount=5000, owner_id=staff.id))
    _add(session,
         DealStageHistory(deal_id=deal.id, stage_id=stages["Lead"].id, entered_at=datetime(2026, 6, 1, 12),
                          exited_at=datetime(2026, 6, 5, 12)),
         DealStageHistory(deal_id=deal.id, stage_id=stages["Proposal"].id,
                          entered_at=datetime(2026, 6, 5, 12)),
         Task(title="Send the quote", contact_id=ana.id, deal_id=deal.id, assignee_id=staff.id,
              due_at=datetime(2026, 6, 20, 9), priority="high"),
         Task(title="Old one", contact_id=ana.id, assignee_id=staff.id, status="done"),
         Case(subject="Broken widget", contact_id=ana.id, company_id=acme.id, assignee_id=staff.id,
              status="open", priority="high", opened_at=datetime(2026, 6, 2, 9)))
    campaign = _add(session, Campaign(name="Spring offer", owner_id=other_staff.id))
    _add(session, CampaignRecipient(campaign_id=campaign.id, contact_id=ana.id, status="clicked",
                                    sent_at=datetime(2026, 4, 1, 10), responded_at=datetime(2026, 4, 1, 12)))
    session.commit()
    return World(ana, theirs, acme, deal, stages)


def test_contact_360_gathers_everything_the_user_may_see(session: Session, staff: User, world: World) -> None:
    view = contact_360(session, staff, world.ana.id)
    assert view.contact.full_name == "Ana Alves" and view.company_name == "Acme"
    assert view.owner_name == "Sam"
    # Newest first; the deleted SMS and the colleague's chat are left out.
    assert list(view.timeline["channel"]) == ["email", "phone", "meeting"]
    assert view.timeline_total == 3
    first = view.timeline.iloc[0]
    assert (first["subject"], first["direction"], first["handled_by"], first["source"]) == (
        "Question", "inbound", "Sam", "import")
    assert list(view.deals["title"]) == ["Acme rollout"] and view.deals["stage"][0] == "Proposal"
    assert list(view.orders["order_number"]) == ["SO-3", "SO-2", "SO-1"]  # SO-4 is a colleague's
    assert list(view.tasks["title"]) == ["Send the quote"]
    assert list(view.cases["subject"]) == ["Broken widget"]
    assert view.campaigns.iloc[0][["campaign", "status"]].tolist() == ["Spring offer", "clicked"]


def test_contact_figures_and_products_held_leave_out_cancelled_orders(session: Session, staff: User,
                                                                      world: World) -> None:
    view = contact_360(session, staff, world.ana.id)
    held = view.products.set_index("product")
    # Widget: 2 (SO-1) + 3 (SO-2); the 10 of the cancelled SO-3 do not count. Gadget: 1 + 1.
    assert held.loc["Widget", "quantity"] == 5 and held.loc["Gadget", "quantity"] == 2
    assert held.loc["Widget", "spent"] == 2 * 10 + 3 * 5
    assert held.loc["Widget", "last_bought"] == datetime(2026, 3, 5, 9)
    figures = view.figures
    assert figures.lifetime_revenue == (2 * 10 + 1 * 10) + (3 * 5 + 1 * 10)  # 55: SO-1 + SO-2
    assert figures.orders == 2 and figures.last_order_at == datetime(2026, 3, 5, 9)
    assert figures.last_interaction_at == datetime(2026, 6, 3, 9)
    assert (figures.open_deals, figures.open_deals_amount, figures.open_cases) == (1, 5000, 1)


def test_an_admin_sees_the_colleagues_records_too(session: Session, admin: User, world: World) -> None:
    view = contact_360(session, admin, world.ana.id)
    assert view.timeline_total == 4 and view.timeline["channel"][0] == "chat"
    assert view.figures.lifetime_revenue == 55 + 9 * 111


def test_staff_cannot_open_a_colleagues_records(session: Session, staff: User, world: World) -> None:
    with pytest.raises(NotFound):
        contact_360(session, staff, world.theirs.id)
    assert [m.id for m in search_contacts(session, staff, "the")] == []
    assert [m.label for m in search_contacts(session, staff, "ana")] == ["Ana Alves · ana@acme.io"]


def test_company_360_spans_its_contacts(session: Session, staff: User, world: World) -> None:
    view = company_360(session, staff, world.acme.id)
    assert list(view.contacts["name"]) == ["Ana Alves"] and view.contacts_total == 1
    assert list(view.timeline["contact"]) == ["Ana Alves"] * 3
    assert list(view.deals["title"]) == ["Acme rollout"] and list(view.cases["subject"]) == ["Broken widget"]
    assert view.figures.lifetime_revenue == 55


def test_deal_360_counts_days_in_each_stage(session: Session, staff: User, world: World) -> None:
    view = deal_360(session, staff, world.deal.id)
    assert list(view.history["stage"]) == ["Lead", "Proposal"]
    assert view.history["days"][0] == 4.0  # 1 June 12:00 -> 5 June 12:00
    assert view.history["days"][1] >= 9.5  # still there: 5 June 12:00 -> now (15 June, pinned)
    assert view.stage.name == "Proposal"
    assert [s.name for s in view.stages] == ["Lead", "Proposal", "Won", "Lost"]
    assert list(view.tasks["title"]) == ["Send the quote"]


def test_board_totals_cover_every_visible_deal_not_only_the_shown_ones(session: Session, staff: User,
                                                                      other_staff: User) -> None:
    stages = _pipeline(session)
    pipeline_id = stages["Lead"].pipeline_id

    def deal(stage: str, amount: float, owner: User, **extra: object) -> Deal:
        return Deal(title=f"{stage} {amount}", pipeline_id=pipeline_id, stage_id=stages[stage].id,
                    amount=amount, owner_id=owner.id, **extra)

    leads = [deal("Lead", amount, staff) for amount in range(1, 56)]  # 55 deals, 1 + ... + 55 = 1540
    _add(session, *leads, deal("Lead", 1000, staff, deleted_at=datetime(2026, 6, 1)),
         deal("Proposal", 100, staff), deal("Proposal", 250.5, staff), deal("Proposal", 7, other_staff),
         deal("Won", 300, staff, status="won", closed_at=datetime(2026, 6, 2)))
    _add(session, DealStageHistory(deal_id=leads[-1].id, stage_id=stages["Lead"].id,
                                   entered_at=datetime(2026, 6, 5, 0)))
    session.commit()

    board = pipeline_board(session, staff, per_stage=50)
    columns = {c.stage.name: c for c in board.columns}
    assert list(columns) == ["Lead", "Proposal", "Won", "Lost"]
    assert (columns["Lead"].count, columns["Lead"].amount, len(columns["Lead"].deals)) == (55, 1540, 50)
    assert list(columns["Lead"].deals["amount"][:3]) == [55, 54, 53]  # biggest first
    assert columns["Lead"].deals["days_in_stage"][0] >= 10  # entered 5 June, today is 15 June
    assert (columns["Proposal"].count, columns["Proposal"].amount) == (2, 350.5)  # not the colleague's
    assert (columns["Won"].count, columns["Won"].amount, columns["Lost"].count) == (1, 300, 0)
    assert set(columns["Lead"].deals.columns) >= {"id", "title", "company", "amount", "owner", "version"}
