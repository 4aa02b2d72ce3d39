"""Analytics loaders and dashboards on both backends: frames, figures, permissions and the cache.

The data is inserted directly (ORM adds), not through the code under test; expected figures are
worked out by hand in the comments. Today is pinned to 2026-06-15 (tests/conftest.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import pytest
from sqlmodel import Session

from core.analytics import cache, dashboards, loaders
from core.errors import NotFound
from core.models import (
    Campaign,
    CampaignRecipient,
    Contact,
    Deal,
    DealStageHistory,
    Order,
    OrderLine,
    Pipeline,
    Product,
    Stage,
    User,
)
from core.services.deals import move_deal
from core.services.orders import orders as order_service

D = datetime


pytestmark = pytest.mark.usefixtures("fresh_cache")  # analytics results are kept per data version


@dataclass
class World:
    stages: dict[str, Stage]
    deals: dict[str, Deal]
    contacts: dict[str, Contact]
    orders: dict[str, Order]


def _add(session: Session, *rows):  # type: ignore[no-untyped-def]
    session.add_all(rows)
    session.flush()
    return rows


def _deal(session: Session, stages: dict[str, Stage], owner: User, title: str, amount: float,
          created: datetime, path: list[tuple[str, datetime]], status: str = "open",
          deleted: bool = False) -> Deal:
    """A deal that went through `path` (stage, entered); each stay ends when the next begins."""
    last = stages[path[-1][0]]
    closed = path[-1][1] if status != "open" else None
    deal = _add(session, Deal(title=title, pipeline_id=last.pipeline_id, stage_id=last.id, amount=amount,
                              owner_id=owner.id, status=status, created_at=created, closed_at=closed,
                              deleted_at=D(2026, 4, 1) if deleted else None))[0]
    for (stage, entered), following in zip(path, [*path[1:], None], strict=True):
        _add(session, DealStageHistory(deal_id=deal.id, stage_id=stages[stage].id, entered_at=entered,
                                       exited_at=following[1] if following else None))
    return deal


def _order(session: Session, contact: Contact, owner: User, number: str, at: datetime,
           lines: list[tuple[Product, float, float]], **extra) -> Order:  # type: ignore[no-untyped-def]
    order = _add(session, Order(order_number=number, contact_id=contact.id, ordered_at=at, owner_id=owner.id,
                                total=sum(q * p for _, q, p in lines), **extra))[0]
    _add(session, *[OrderLine(order_id=order.id, product_id=product.id, quantity=quantity, unit_price=price)
                    for product, quantity, price in lines])
    return order


@pytest.fixture
def world(session: Session, admin: User, staff: User, other_staff: User) -> World:
    pipeline = _add(session, Pipeline(name="Sales", is_default=True))[0]
    specs = [("Lead", False, False), ("Proposal", False, False), ("Won", True, False), ("Lost", False, True)]
    stages = {name: _add(session, Stage(pipeline_id=pipeline.id, name=name, position=i, is_won=won,
                                        is_lost=lost))[0] for i, (name, won, lost) in enumerate(specs)}
    deals = {
        # Lead 4 days, Proposal 10 days, won 14 days after creation.
        "d1": _deal(session, stages, staff, "D1", 1000, D(2026, 1, 10), [
            ("Lead", D(2026, 1, 10)), ("Proposal", D(2026, 1, 14)), ("Won", D(2026, 1, 24))], "won"),
        "d2": _deal(session, stages, staff, "D2", 500, D(2026, 2, 1), [
            ("Lead", D(2026, 2, 1)), ("Lost", D(2026, 2, 3))], "lost"),
        "d3": _deal(session, stages, staff, "D3", 300, D(2026, 3, 1), [("Lead", D(2026, 3, 1))]),
        "d4": _deal(session, stages, other_staff, "D4", 2000, D(2026, 3, 5), [
            ("Lead", D(2026, 3, 5)), ("Proposal", D(2026, 3, 11))]),
        "gone": _deal(session, stages, staff, "Deleted", 9999, D(2026, 3, 1), [("Lead", D(2026, 3, 1))],
                      deleted=True),
    }
    contacts = {name: _add(session, Contact(first_name=name, last_name="Test", owner_id=owner.id,
                                            deleted_at=D(2026, 5, 1) if name == "Dan" else None))[0]
                for name, owner in (("Ana", staff), ("Ben", staff), ("Cleo", other_staff), ("Dan", staff))}
    laptop, bag, mouse = _add(session, Product(sku="L", name="Laptop", category="Hardware"),
                              Product(sku="B", name="Bag", category="Accessories"),
                              Product(sku="M", name="Mouse", category="Accessories"))
    ana, ben, cleo, dan = contacts.values()
    orders = {
        "o1": _order(session, ana, staff, "O1", D(2026, 1, 5), [(laptop, 1, 1000), (bag, 2, 50)]),  # 1100
        "o2": _order(session, ana, staff, "O2", D(2026, 5, 20), [(laptop, 1, 900), (bag, 1, 60)]),  # 960
        "o3": _order(session, ben, staff, "O3", D(2026, 6, 1), [(laptop, 1, 1000), (mouse, 1, 20)]),  # 1020
        "o4": _order(session, ben, staff, "O4", D(2026, 6, 10), [(bag, 1, 50)], status="cancelled"),
        "o5": _order(session, cleo, other_staff, "O5", D(2026, 3, 1), [(bag, 1, 50), (mouse, 1, 20)]),  # 70
        "o6": _order(session, dan, staff, "O6", D(2026, 2, 1), [(laptop, 1, 1000)]),  # contact deleted
        "o7": _order(session, ana, staff, "O7", D(2026, 6, 12), [(laptop, 1, 1)], deleted_at=D(2026, 6, 13)),
    }
    spring, other = _add(session, Campaign(name="Spring", owner_id=staff.id, status="sent"),
                         Campaign(name="Olga's", owner_id=other_staff.id, status="sent"))
    sent = D(2026, 5, 10)
    _add(session,
         CampaignRecipient(campaign_id=spring.id, contact_id=ana.id, status="clicked", sent_at=sent),
         CampaignRecipient(campaign_id=spring.id, contact_id=ben.id, status="sent", sent_at=sent),
         CampaignRecipient(campaign_id=spring.id, contact_id=cleo.id, status="replied", sent_at=sent,
                           responded_at=D(2026, 5, 12)),
         CampaignRecipient(campaign_id=other.id, contact_id=cleo.id, status="sent", sent_at=sent))
    session.commit()
    return World(stages, deals, contacts, orders)


def _by(frame: pd.DataFrame, key: str, value: str) -> dict[str, object]:
    return frame.loc[frame[key] == value].iloc[0].to_dict()


def test_deal_history_frame_is_narrow_and_skips_deleted_deals(session, world, admin) -> None:
    frame = loaders.deal_history_frame(session, admin)
    assert list(frame.columns) == ["deal_id", "stage", "stage_position", "is_lost", "entered_at", "exited_at",
                                   "status", "amount", "created_at", "closed_at", "owner", "pipeline"]
    assert len(frame) == 8  # 3 + 2 + 1 + 2 stays; the deleted deal's stay is left out
    assert world.deals["gone"].id not in set(frame["deal_id"])
    d1 = frame[frame["deal_id"] == world.deals["d1"].id].sort_values("entered_at")
    assert list(d1["stage"]) == ["Lead", "Proposal", "Won"]
    assert d1["exited_at"].iloc[0] == pd.Timestamp("2026-01-14") and pd.isna(d1["exited_at"].iloc[2])
    assert set(frame["owner"]) == {"Sam", "Olga"} and set(frame["pipeline"]) == {"Sales"}


def test_funnel_dashboard_figures(session, world, admin) -> None:
    board = dashboards.funnel_dashboard(session, admin)
    funnel = board.funnel.set_index("stage")
    # Reached: Lead by all 4 live deals, Proposal by D1 and D4, Won by D1; Lost is an exit, not a step.
    assert list(funnel.index) == ["Lead", "Proposal", "Won"]
    assert list(funnel["reached"]) == [4, 2, 1]
    assert funnel.loc["Proposal", "conversion_from_previous"] == pytest.approx(0.5)
    assert funnel.loc["Won", "conversion_from_first"] == pytest.approx(0.25)
    assert funnel.loc["Lead", "lost_here"] == 1  # D2
    assert funnel.loc["Lead", "median_days_in_stage"] == pytest.approx(4.0)  # completed stays 4, 2, 6
    assert funnel.loc["Proposal", "median_days_in_stage"] == pytest.approx(10.0)  # D1 only (D4 still there)
    kpis = board.kpis.iloc[0]
    assert (kpis["open_deals"], kpis["won"], kpis["lost"]) == (2, 1, 1)
    assert kpis["win_rate"] == pytest.approx(0.5) and kpis["avg_days_to_close"] == pytest.approx(14.0)
    assert kpis["sales_velocity"] == pytest.approx(2 * 0.5 * 1000 / 14)  # open × win rate × won amount / days
    assert board.deals == 4
    assert _by(board.by_owner, "owner", "Olga")["open_deals"] == 1


def test_funnel_filters_by_period_and_owner(session, world, admin, other_staff) -> None:
    march = dashboards.funnel_dashboard(session, admin, period="march 2026")
    assert march.deals == 2 and march.period is not None  # D3 and D4 were created in March
    olga = dashboards.funnel_dashboard(session, admin, owner=other_staff.id)
    assert olga.deals == 1 and list(olga.funnel["reached"]) == [1, 1, 0]


def test_orders_frame_sums_lines_and_leaves_out_cancelled_deleted(session, world, admin) -> None:
    frame = loaders.orders_frame(session, admin).sort_values("order_id")
    assert list(frame.columns) == ["order_id", "contact_id", "ordered_at", "amount"]
    ids = {order.id: name for name, order in world.orders.items()}
    assert [ids[i] for i in frame["order_id"]] == ["o1", "o2", "o3", "o5"]
    assert list(frame["amount"]) == [1100.0, 960.0, 1020.0, 70.0]
    assert frame["ordered_at"].iloc[0] == pd.Timestamp("2026-01-05")


def test_order_lines_and_contacts_frames(session, world, admin) -> None:
    lines = loaders.order_lines_frame(session, admin)
    assert list(lines.columns) == ["order_id", "contact_id", "product", "category"]
    ids = {order.id: name for name, order in world.orders.items()}
    per_order = lines.groupby(lines["order_id"].map(ids))["product"].apply(sorted).to_dict()
    # o4 (cancelled) and o7 (deleted) are out; o6 stays: a deleted contact's order still happened.
    assert per_order == {"o1": ["Bag", "Laptop"], "o2": ["Bag", "Laptop"], "o3": ["Laptop", "Mouse"],
                         "o5": ["Bag", "Mouse"], "o6": ["Laptop"]}
    assert set(lines["category"]) == {"Hardware", "Accessories"}
    contacts = loaders.contacts_frame(session, admin)
    assert list(contacts.columns) == ["contact_id", "birth_date", "gender", "household_income", "created_at"]
    assert sorted(contacts["contact_id"]) == sorted(c.id for n, c in world.contacts.items() if n != "Dan")


def test_rfm_and_loyalty_dashboards(session, world, admin) -> None:
    rfm = dashboards.rfm_dashboard(session, admin)
    scores = dashboards.rfm_scores(session, admin).set_index("contact_id")
    ana, ben, cleo = (world.contacts[n].id for n in ("Ana", "Ben", "Cleo"))
    # Ana: last order 05-20 (26 days before 06-15), 2 orders, 1100 + 960; Ben: 06-01, 1; Cleo: 03-01, 1.
    assert scores.loc[ana, ["recency_days", "frequency", "monetary"]].tolist() == [26, 2, 2060.0]
    assert scores.loc[ben, ["recency_days", "frequency", "monetary"]].tolist() == [14, 1, 1020.0]
    assert scores.loc[cleo, ["recency_days", "frequency", "monetary"]].tolist() == [106, 1, 70.0]
    assert rfm.customers == 3 and rfm.revenue == pytest.approx(3150.0)
    assert rfm.summary["customers"].sum() == 3
    members = dashboards.segment_members(session, admin, scores.loc[ana, "segment"])
    assert members.loc[members["contact_id"] == ana, "name"].item() == "Ana Test"
    loyal = dashboards.loyalty_dashboard(session, admin)
    assert loyal.customers == 3 and loyal.repeat_rate == pytest.approx(1 / 3)  # only Ana ordered twice
    assert loyal.cohort_sizes.to_dict() == {"2026-01": 1, "2026-03": 1, "2026-06": 1}
    assert loyal.retention.loc["2026-01", 4] == 1.0  # Ana came back in May, 4 months after January


def test_baskets_and_cross_sell(session, world, admin) -> None:
    board = dashboards.basket_dashboard(session, admin, min_support_count=2)
    # 5 orders; Laptop in 4, Bag in 3, together in 2: support 0.4, lift 2 × 5 / (4 × 3).
    assert board.orders == 5 and board.products == ["Bag", "Laptop", "Mouse"]
    pair = board.pairs.iloc[0].to_dict()
    assert (pair["product_a"], pair["product_b"], pair["orders_together"]) == ("Bag", "Laptop", 2)
    assert pair["support"] == pytest.approx(0.4) and pair["lift"] == pytest.approx(10 / 12)
    assert len(board.pairs) == 1  # the other pairs were bought together once only
    assert dashboards.basket_dashboard(session, admin).pairs.empty  # default: at least 3 orders
    partners = dashboards.bought_with(session, admin, "Bag")
    assert partners.iloc[0][["partner", "orders_together"]].tolist() == ["Laptop", 2]
    assert partners.iloc[0]["confidence"] == pytest.approx(2 / 3)
    suggestions = dashboards.cross_sell_for(session, admin, world.contacts["Cleo"].id)
    assert suggestions["product"].tolist() == ["Laptop"]  # Cleo has Bag and Mouse; Bag→Laptop is 2/3
    assert suggestions["because"].tolist() == ["Bag"]


def test_campaign_dashboard(session, world, admin) -> None:
    table = dashboards.campaign_dashboard(session, admin).performance
    spring = _by(table, "name", "Spring")
    assert (spring["recipients"], spring["sent"], spring["opened"], spring["clicked"], spring["responded"]) \
        == (3, 3, 2, 1, 1)
    # Ana ordered 10 days after the mailing (960), Ben 22 days after (1020); Cleo did not order.
    assert spring["converted"] == 2 and spring["revenue"] == pytest.approx(1980.0)
    assert set(table["name"]) == {"Spring", "Olga's"}


def test_staff_sees_only_their_own_data(session, world, staff) -> None:
    funnel = dashboards.funnel_dashboard(session, staff)
    assert funnel.deals == 3 and list(funnel.funnel["reached"]) == [3, 1, 1]  # D1, D2, D3
    rfm = dashboards.rfm_dashboard(session, staff)
    assert rfm.customers == 2 and rfm.revenue == pytest.approx(3080.0)  # Ana and Ben, not Olga's Cleo
    assert set(loaders.order_lines_frame(session, staff)["order_id"]) == {
        world.orders[n].id for n in ("o1", "o2", "o3", "o6")}
    assert dashboards.campaign_dashboard(session, staff).performance["name"].tolist() == ["Spring"]
    assert loaders.owner_choices(session, staff) == [(staff.id, "Sam")]
    with pytest.raises(NotFound):
        dashboards.cross_sell_for(session, staff, world.contacts["Cleo"].id)


def test_an_edit_is_seen_at_once_and_an_unchanged_database_is_served_from_the_cache(
        session, world, admin, staff) -> None:
    before = loaders.data_version(session)
    assert dashboards.rfm_dashboard(session, admin).revenue == pytest.approx(3150.0)
    hits = cache.RESULTS.hits
    assert dashboards.rfm_dashboard(session, admin).revenue == pytest.approx(3150.0)
    assert cache.RESULTS.hits == hits + 1 and loaders.data_version(session) == before
    order_service.update(session=session, user=admin, record_id=world.orders["o3"].id,
                         changes={"status": "cancelled"})
    assert loaders.data_version(session) != before
    assert dashboards.rfm_dashboard(session, admin).revenue == pytest.approx(2130.0)  # Ben's 1020 gone
    assert list(dashboards.funnel_dashboard(session, admin).funnel["reached"]) == [4, 2, 1]
    move_deal(session=session, user=staff, deal_id=world.deals["d3"].id,
              stage_id=world.stages["Proposal"].id)
    assert list(dashboards.funnel_dashboard(session, admin).funnel["reached"]) == [4, 3, 1]


def test_purchases_frame_holds_a_visible_contacts_whole_history(session, world, staff, other_staff) -> None:
    """Sam sees Ana and Ben; an order Olga took for Ana is still part of Ana's purchase history."""
    ana, cleo = world.contacts["Ana"], world.contacts["Cleo"]
    olgas = _order(session, ana, other_staff, "O8", D(2026, 6, 2), [(_product(session), 2, 10)])
    session.commit()
    frame = loaders.purchases_frame(session, staff)
    assert olgas.id in set(frame["order_id"])
    assert cleo.id not in set(frame["contact_id"])  # Cleo is Olga's contact
    assert sorted(frame.loc[frame["contact_id"] == ana.id, "amount"]) == [20.0, 960.0, 1100.0]


def test_sampled_frames_keep_the_same_contacts(session, world, admin) -> None:
    """every=k keeps the contacts whose id is a multiple of k, in both frames alike."""
    for every in (1, 2, 3):
        contacts = loaders.contacts_frame(session, admin, every=every)
        purchases = loaders.purchases_frame(session, None, every=every)
        kept = {c.id for n, c in world.contacts.items() if n != "Dan" and c.id % every == 0}
        assert set(contacts["contact_id"]) == kept
        assert set(purchases["contact_id"]) <= kept


def _product(session: Session) -> Product:
    return _add(session, Product(sku="S", name="Sticker", category="Accessories"))[0]
