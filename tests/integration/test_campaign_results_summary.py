"""Campaign results read from the kept summary (`campaign_summary`) equal the same figures counted
from the raw rows, on both backends.

The reference reads campaigns, recipients, orders, lines, deals and contacts with plain SQL and
applies the rules by hand in Python (funnel steps from the answer, conversions and deals within 30
days of sending, the reader's scope on campaigns, orders and deals); the results page is also
compared with the pandas code it replaced (`campaign_performance` over the recipients and orders
frames). Checked for an admin, a manager, two staff members and a staff member of another team,
after responses are recorded, orders placed, cancelled, deleted, restored and given to another
owner, deals created, moved and deleted, a contact deleted, campaigns given away and deleted, and
a recipient removed. Data is inserted directly, edits go through the services.
"""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import text
from sqlmodel import Session

from core.analytics import cache, campaign_summary, dashboards
from core.analytics.campaign_report import campaign_results
from core.analytics.campaigns import campaign_performance
from core.analytics.loaders import campaigns_frame, orders_frame, recipients_frame
from core.models import (
    Campaign,
    CampaignRecipient,
    Contact,
    Deal,
    Order,
    OrderLine,
    Pipeline,
    Product,
    Stage,
    User,
)
from core.services.campaign_responses import record_response
from core.services.campaigns import campaigns as campaign_service
from core.services.contacts import contacts as contact_service
from core.services.deals import deals as deal_service
from core.services.orders import orders as order_service
from core.services.orders import place_order
from core.services.records import audit

SENT = datetime(2026, 3, 2, 10)
DAY = timedelta(days=1)
WINDOW = timedelta(days=30)
OPENED = {"opened", "clicked", "replied", "interested", "not_interested", "unsubscribed"}
KNOWN = OPENED | {"pending", "sent", "bounced"}


pytestmark = pytest.mark.usefixtures("fresh_cache")  # analytics results are kept per data version


@pytest.fixture
def readers(admin: User, manager: User, staff: User, other_staff: User, outsider: User) -> list[User]:
    return [admin, manager, staff, other_staff, outsider]


@pytest.fixture
def world(session: Session, admin: User, manager: User, staff: User, other_staff: User,
          outsider: User) -> dict[str, Any]:
    """Eight contacts, five campaigns (one deleted) with every kind of answer, orders and deals
    before, inside, on the edge of and after the 30-day window, of several owners."""
    owners = {"staff": staff.id, "other": other_staff.id, "outsider": outsider.id, "none": None,
              "manager": manager.id, "admin": admin.id}
    people = {}
    for name, owner in [("c1", "staff"), ("c2", "staff"), ("c3", "other"), ("c4", "outsider"), ("c5", "none"),
                        ("c6", "manager"), ("c7", "staff"), ("c8", "staff")]:
        people[name] = Contact(first_name=name, last_name="Test", email=f"{name}@example.com",
                               owner_id=owners[owner])
    session.add_all(people.values())
    session.flush()
    campaigns = {name: Campaign(name=name, channel="email", status="sent", owner_id=owners[owner],
                                sent_at=SENT + shift, deleted_at=deleted)
                 for name, owner, shift, deleted in [
                     ("A", "staff", 0 * DAY, None), ("B", "outsider", 10 * DAY, None),
                     ("C", "manager", -20 * DAY, None), ("D", "none", 40 * DAY, None),
                     ("E", "staff", 0 * DAY, datetime(2026, 4, 1))]}
    session.add_all(campaigns.values())
    session.flush()
    # (campaign, contact, status, response, sent after the campaign's send, responded after, deleted)
    rows = [
        ("A", "c1", "opened", None, 0, None, False), ("A", "c2", "clicked", "interested", 0, 2 * DAY, False),
        ("A", "c3", "pending", None, None, None, False), ("A", "c4", "Clicked ", None, 0, None, False),
        ("A", "c5", "bounced", None, 0, None, False), ("A", "c6", "sent", "unsubscribed", 0, DAY, False),
        ("A", "c7", "sent", "replied", timedelta(hours=1), timedelta(days=1.5), False),
        ("A", "c8", "pending", None, 0, None, False),  # pending, though a send time is recorded
        ("B", "c1", "sent", None, 0, None, False), ("B", "c4", "opened", "replied", 0, 3 * DAY, False),
        ("B", "c2", "queued", None, 0, None, False),  # unknown status with a send time: sent
        ("B", "c5", "sent", None, 0, None, True),  # recipient row deleted
        ("C", "c2", "opened", None, 0, None, False), ("C", "c5", "sent", "interested", 0, 5 * DAY, False),
        ("C", "c6", "clicked", None, 0, None, False),
        ("D", "c3", "failed", None, None, None, False),
        ("D", "c1", "opened", "interested", 0, 4 * DAY, False),
        ("E", "c1", "sent", None, 0, None, False),
    ]
    for campaign, contact, status, response, sent, responded, deleted in rows:
        sent_at = None if sent is None else campaigns[campaign].sent_at + (sent or timedelta(0))
        session.add(CampaignRecipient(
            campaign_id=campaigns[campaign].id, contact_id=people[contact].id, status=status,
            response=response,
            sent_at=sent_at, responded_at=None if responded is None else sent_at + responded,
            deleted_at=datetime(2026, 3, 5) if deleted else None))
    product = Product(sku="TENT", name="Tent", price=50)
    pipeline = Pipeline(name="Sales", is_default=True)
    session.add_all([product, pipeline])
    session.flush()
    stage = Stage(pipeline_id=pipeline.id, name="New", position=0)
    session.add(stage)
    session.flush()
    orders = {}
    # (name, contact, owner, after SENT, status, deleted, [(quantity, unit price)])
    for name, contact, owner, after, status, deleted, lines in [
        ("o1", "c1", "staff", 3 * DAY, "placed", False, [(2, 50.0)]),
        ("o2", "c1", "staff", WINDOW, "placed", False, [(1, 50.0)]),  # exactly 30 days after A
        ("o3", "c1", "staff", WINDOW + timedelta(seconds=1), "paid", False, [(5, 50.0)]),
        ("o4", "c2", "other", 5 * DAY, "paid", False, [(3, 20.0), (1, 9.99)]),
        ("o5", "c4", "outsider", DAY, "shipped", False, [(1, 75.5)]),
        ("o6", "c5", "none", 2 * DAY, "placed", False, [(4, 12.25)]),
        ("o7", "c6", "manager", -DAY, "placed", False, [(1, 300.0)]),  # before A, 19 days after C
        ("o8", "c7", "staff", 4 * DAY, "placed", False, [(1, 40.0)]),
        ("o9", "c8", "staff", 2 * DAY, "placed", False, [(1, 15.0)]),
        ("o10", "c2", "staff", 6 * DAY, "cancelled", False, [(1, 500.0)]),
        ("o11", "c2", "staff", 7 * DAY, "quote", False, [(1, 600.0)]),
        ("o12", "c1", "staff", 8 * DAY, "placed", True, [(1, 700.0)]),
        ("o13", "c4", "admin", 12 * DAY, "placed", False, []),  # no lines: ordered, nothing to add
        ("o14", "c1", "staff", 45 * DAY, "placed", False, [(2, 33.0)]),  # 5 days after D
    ]:
        order = Order(order_number=name, contact_id=people[contact].id, owner_id=owners[owner],
                      ordered_at=SENT + after, status=status,
                      deleted_at=datetime(2026, 5, 1) if deleted else None)
        session.add(order)
        session.flush()
        session.add_all(OrderLine(order_id=order.id, product_id=product.id, quantity=q, unit_price=p)
                        for q, p in lines)
        orders[name] = order
    deals = {}
    for name, contact, owner, after, amount, deleted in [
        ("d1", "c1", "staff", 10 * DAY, 700.0, False),
        ("d2", "c2", "other", timedelta(hours=5), 300.0, False),
        ("d3", "c3", "outsider", 40 * DAY, 900.0, False), ("d4", "c8", "staff", DAY, 200.0, False),
        ("d5", "c4", "none", 2 * DAY, 100.0, True), ("d6", "c6", "manager", -10 * DAY, 50.0, False),
    ]:
        deal = Deal(title=name, contact_id=people[contact].id, pipeline_id=pipeline.id, stage_id=stage.id,
                    amount=amount, owner_id=owners[owner], created_at=SENT + after,
                    deleted_at=datetime(2026, 5, 1) if deleted else None)
        session.add(deal)
        deals[name] = deal
    session.commit()
    return {"people": people, "campaigns": campaigns, "orders": orders, "deals": deals,
            "pipeline": pipeline, "stage": stage, "product": product}


# ---- the reference: raw rows, plain SQL, the rules applied by hand ------------------------------------


def _rows(session: Session, sql: str) -> list[Any]:
    return list(session.execute(text(sql)).all())


def _moment(value: Any) -> datetime | None:
    return None if value is None else pd.Timestamp(value).to_pydatetime()


def _sees(session: Session, user: User) -> Any:
    teams = dict(_rows(session, "SELECT id, team FROM users"))

    def visible(owner: int | None) -> bool:
        if user.role == "admin":
            return True
        if user.role == "manager":
            return owner is None or owner == user.id or (user.team is not None
                                                         and teams.get(owner) == user.team)
        return owner == user.id
    return visible


def _reference(session: Session, user: User) -> dict[int, dict[str, Any]]:
    """Per visible live campaign with live recipients: the results page's and the workspace's figures."""
    visible = _sees(session, user)
    campaigns = {row.id for row in _rows(session, "SELECT id, owner_id FROM campaigns "
                                                  "WHERE deleted_at IS NULL") if visible(row.owner_id)}
    live_contacts = {row.id for row in _rows(session, "SELECT id FROM contacts WHERE deleted_at IS NULL")}
    amounts = dict(_rows(session, "SELECT order_id, SUM(quantity * unit_price) FROM order_lines "
                                  "GROUP BY order_id"))
    orders = [(row.contact_id, _moment(row.ordered_at), amounts.get(row.id, 0.0)) for row in _rows(
        session, "SELECT id, contact_id, owner_id, ordered_at FROM orders WHERE deleted_at IS NULL "
                 "AND status NOT IN ('quote', 'cancelled')")
        if visible(row.owner_id) and row.contact_id in live_contacts]
    deals = [(row.contact_id, _moment(row.created_at), row.amount) for row in _rows(
        session, "SELECT contact_id, owner_id, created_at, amount FROM deals WHERE deleted_at IS NULL")
        if visible(row.owner_id)]
    results: dict[int, dict[str, Any]] = {}
    for row in _rows(session, "SELECT campaign_id, contact_id, status, response, sent_at, responded_at "
                              "FROM campaign_recipients WHERE deleted_at IS NULL"):
        if row.campaign_id in campaigns:
            _count(results.setdefault(row.campaign_id, _empty()), row, orders, deals)
    for figures in results.values():
        days = figures.pop("days")
        figures["median_days_to_respond"] = statistics.median(days) if days else None
    return results


def _empty() -> dict[str, Any]:
    names = ("recipients", "sent", "opened", "clicked", "responded", "bounced", "unsubscribed", "converted",
             "revenue", "pending", "failed", "deals", "deal_amount", "replied", "interested",
             "not_interested", "answered_unsubscribed")
    return {**dict.fromkeys(names, 0), "days": []}


def _count(figures: dict[str, Any], row: Any, orders: list[Any], deals: list[Any]) -> None:
    answer = (row.response if row.response is not None else row.status).strip().lower()
    sent_at = _moment(row.sent_at)
    sent = answer in KNOWN - {"pending"} or (answer not in KNOWN and sent_at is not None)
    flags = {"recipients": True, "sent": sent, "opened": answer in OPENED, "clicked": answer == "clicked",
             "responded": answer in ("replied", "interested"), "bounced": answer == "bounced",
             "unsubscribed": answer == "unsubscribed", "pending": row.status == "pending",
             "failed": row.status == "failed"}
    for name, flag in flags.items():
        figures[name] += int(flag)
    if row.response in ("replied", "interested", "not_interested"):
        figures[row.response] += 1
    figures["answered_unsubscribed"] += int(row.response == "unsubscribed")
    if flags["responded"] and sent_at is not None and row.responded_at is not None:
        figures["days"].append((_moment(row.responded_at) - sent_at) / DAY)
    if sent_at is None:
        return
    def within(moment: datetime) -> bool:
        return timedelta(0) < moment - sent_at <= WINDOW
    if sent:
        bought = [amount for contact, moment, amount in orders
                  if contact == row.contact_id and within(moment)]
        figures["converted"] += int(bool(bought))
        figures["revenue"] += sum(bought)
    followed = [amount for contact, moment, amount in deals if contact == row.contact_id and within(moment)]
    figures["deals"] += len(followed)
    figures["deal_amount"] += sum(followed)


# ---- the checks -------------------------------------------------------------------------------------------


def _check(session: Session, readers: list[User]) -> None:
    cache.RESULTS.clear()
    for user in readers:
        expected = _reference(session, user)
        _check_results_page(session, user, expected)
        for campaign_id, figures in expected.items():
            _check_workspace(session, user, campaign_id, figures)


def _check_results_page(session: Session, user: User, expected: dict[int, dict[str, Any]]) -> None:
    table = dashboards.campaign_dashboard(session, user).performance
    assert sorted(table["campaign_id"]) == sorted(expected), user.username
    for row in table.to_dict("records"):
        figures = expected[row["campaign_id"]]
        for name in ("recipients", "sent", "opened", "clicked", "responded", "bounced", "unsubscribed",
                     "converted"):
            assert row[name] == figures[name], (user.username, row["campaign_id"], name)
        assert row["revenue"] == pytest.approx(figures["revenue"]), (user.username, row["campaign_id"])
        median = figures["median_days_to_respond"]
        assert (row["median_days_to_respond"] == pytest.approx(median) if median is not None
                else pd.isna(row["median_days_to_respond"]))
    # And exactly what the pandas code over the full frames gave before the summary.
    performance = campaign_performance(recipients_frame(session, user), orders_frame(session, user))
    names = campaigns_frame(session, user)[["campaign", "name", "channel", "sent_at"]]
    before = names.merge(performance, on="campaign", how="inner").rename(columns={"campaign": "campaign_id"})
    pd.testing.assert_frame_equal(table, before, check_exact=False, rtol=1e-12)


def _check_workspace(session: Session, user: User, campaign_id: int, figures: dict[str, Any]) -> None:
    results = campaign_results(session, user, campaign_id)
    got = {"recipients": results.recipients, "pending": results.pending, "failed": results.failed,
           "sent": results.sent, "bounced": results.bounced, "opened": results.opened,
           "clicked": results.clicked, "converted": results.ordered, "deals": results.deals,
           "replied": results.answers["replied"], "interested": results.answers["interested"],
           "not_interested": results.answers["not_interested"],
           "answered_unsubscribed": results.answers["unsubscribed"]}
    assert got == {name: figures[name] for name in got}, (user.username, campaign_id)
    assert results.delivered == figures["sent"] - figures["bounced"]
    assert results.revenue == round(figures["revenue"], 2)
    assert results.deal_amount == pytest.approx(figures["deal_amount"])
    rate = figures["responded"] / figures["sent"] if figures["sent"] else None
    assert results.response_rate == (pytest.approx(rate) if rate is not None else None)


def test_kept_results_equal_the_raw_rows_for_every_reader(session: Session, world, readers) -> None:
    _check(session, readers)
    assert campaign_summary.refresh(session) is False  # nothing changed since the first read built it
    figures = _reference(session, readers[0])[world["campaigns"]["A"].id]
    # A for the admin, by hand: c1 ordered 3 days (100) and exactly 30 days (50) after, not 30 days
    # and a second; c2 (69.99; the cancelled order and the quote do not count); c4 (75.5, and the
    # order without lines); c5 bounced yet ordered (49); c7 (40). c8 is pending though a send time
    # is recorded: not counted. c6 ordered the day before. Deals: c1, c2 and c8 (pending counts).
    assert (figures["converted"], round(figures["revenue"], 2)) == (5, 384.49)
    assert (figures["deals"], figures["deal_amount"]) == (3, 1200.0)


def test_kept_results_follow_responses_orders_deals_deletes_and_owner_changes(
        session: Session, world, readers, admin: User, staff: User, other_staff: User,
        outsider: User) -> None:
    people, orders, deals, campaigns = world["people"], world["orders"], world["deals"], world["campaigns"]
    _check(session, readers)
    record_response(session=session, user=admin, campaign_id=campaigns["A"].id, contact_id=people["c1"].id,
                    response="interested")
    record_response(session=session, user=admin, campaign_id=campaigns["A"].id, contact_id=people["c5"].id,
                    response="not_interested")
    place_order(session=session, user=staff, data={"order_number": "NEW1", "contact_id": people["c2"].id,
                                                   "ordered_at": SENT + 9 * DAY},
                lines=[{"product_id": world["product"].id, "quantity": 2}])
    _check(session, readers)
    order_service.update(session=session, user=admin, record_id=orders["o4"].id,
                         changes={"status": "cancelled"})
    order_service.delete(session=session, user=admin, record_id=orders["o5"].id)
    order_service.update(session=session, user=admin, record_id=orders["o6"].id,
                         changes={"owner_id": outsider.id})
    order_service.update(session=session, user=admin, record_id=orders["o3"].id,
                         changes={"ordered_at": SENT + 29 * DAY})  # now inside the window
    _check(session, readers)
    order_service.restore(session=session, user=admin, record_id=orders["o5"].id)
    contact_service.delete(session=session, user=admin, record_id=people["c7"].id)
    deal_service.update(session=session, user=admin, record_id=deals["d1"].id,
                        changes={"owner_id": other_staff.id})
    deal_service.delete(session=session, user=admin, record_id=deals["d2"].id)
    deal_service.create(session=session, user=admin, data={
        "title": "New", "contact_id": people["c5"].id, "pipeline_id": world["pipeline"].id,
        "stage_id": world["stage"].id, "amount": 80.0, "owner_id": None})
    _check(session, readers)
    campaign_service.update(session=session, user=admin, record_id=campaigns["A"].id,
                            changes={"owner_id": other_staff.id})
    campaign_service.delete(session=session, user=admin, record_id=campaigns["B"].id)
    contact_service.restore(session=session, user=admin, record_id=people["c7"].id)
    _remove_recipient(session, admin, campaigns["C"].id, people["c5"].id)
    _check(session, readers)


def _remove_recipient(session: Session, user: User, campaign_id: int, contact_id: int) -> None:
    """Soft-delete a recipient row the way a service would: the change and its audit entry."""
    recipient = session.execute(text("SELECT id FROM campaign_recipients WHERE campaign_id = :c "
                                      "AND contact_id = :p"),
                                {"c": campaign_id, "p": contact_id}).scalar_one()
    session.execute(text("UPDATE campaign_recipients SET deleted_at = :at WHERE id = :id"),
                    {"at": datetime(2026, 6, 1), "id": recipient})
    audit(session, user, "delete", "campaign_recipients", recipient, None, None, "app")
    session.commit()


def test_a_rebuild_gives_the_same_rows_as_the_folds(session: Session, world, admin: User, outsider: User,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    def kept() -> list[list[tuple[Any, ...]]]:
        return [sorted(tuple(row) for row in session.execute(text(sql)).all()) for sql in (
            "SELECT campaign_id, status, response, dated, recipients FROM campaign_answer_counts",
            "SELECT campaign_id, median_days FROM campaign_reply_medians",
            "SELECT kind, record_id, recipient_id, campaign_id, owner_id, amount, after_seconds "
            "FROM campaign_follow_ups")]

    campaign_summary.refresh(session)
    people, orders = world["people"], world["orders"]
    record_response(session=session, user=admin, campaign_id=world["campaigns"]["C"].id,
                    contact_id=people["c2"].id, response="replied")
    order_service.update(session=session, user=admin, record_id=orders["o1"].id,
                         changes={"owner_id": outsider.id})
    contact_service.delete(session=session, user=admin, record_id=people["c4"].id)
    find = campaign_summary._find_follow_ups

    def only_some(connection: Any, recipient_ids: list[int] | None) -> None:
        assert recipient_ids is not None, "the edits were folded in, not rebuilt"
        find(connection, recipient_ids)
    monkeypatch.setattr(campaign_summary, "_find_follow_ups", only_some)
    assert campaign_summary.refresh(session) is True
    monkeypatch.setattr(campaign_summary, "_find_follow_ups", find)
    folded = kept()
    campaign_summary.summaries.rebuild(session, campaign_summary.SUMMARY)
    assert kept() == folded and all(folded)
