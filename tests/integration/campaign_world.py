"""The campaign world the campaign summary tests share (results and audience; the fixtures
`campaign_world` and `campaign_readers` in conftest), written straight to the tables, and the
reading rule of the README as a plain function (`sees`), so expectations are derived from raw rows,
never from the code under test."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from core.models import (
    Campaign,
    CampaignRecipient,
    Contact,
    Deal,
    Order,
    OrderLine,
    Pipeline,
    Product,
    Segment,
    Stage,
    User,
)
from core.services.records import audit

SENT = datetime(2026, 3, 2, 10)
DAY = timedelta(days=1)
WINDOW = timedelta(days=30)


def build(session: Session, admin: User, manager: User, staff: User, other_staff: User,
          outsider: User) -> dict[str, Any]:
    """Nine contacts, five campaigns (one deleted) with every kind of answer, orders and deals
    before, inside, on the edge of and after the 30-day window, of several owners; contacts
    without consent, unsubscribed or without an address, an SMS campaign and one with a segment
    (Milano) with a member who is not a recipient yet."""
    owners = {"staff": staff.id, "other": other_staff.id, "outsider": outsider.id, "none": None,
              "manager": manager.id, "admin": admin.id}
    people = {}
    for name, owner, values in [
        ("c1", "staff", {"city": "Milano", "mobile": "+39 333 123 4501", "consent_sms": True}),
        ("c2", "staff", {}), ("c3", "other", {"city": "Milano", "consent_email": False}),
        ("c4", "outsider", {"email": None, "phone": "+39 02 1234 5604", "consent_sms": True}),
        ("c5", "none", {"unsubscribed": True}), ("c6", "manager", {"mobile": "", "consent_sms": True}),
        ("c7", "staff", {"city": "Milano", "phone": "+39 02 1234 5607", "consent_sms": True}),
        ("c8", "staff", {"consent_sms": True, "mobile": "+39 333 123 4508"}),
        ("c9", "staff", {"city": "Milano"}),  # a Milano member of no campaign
    ]:
        people[name] = Contact(first_name=name, last_name="Test", owner_id=owners[owner],
                               **{"email": f"{name}@example.com", "consent_email": True, **values})
    session.add_all(people.values())
    in_milano = [{"field": "city", "op": "=", "value": "Milano"}]
    milano = Segment(name="Milano people", spec={"filters": in_milano}, shared=True)
    session.add(milano)
    session.flush()
    channels = {"D": "sms"}
    segments = {"C": milano.id}
    campaigns = {name: Campaign(name=name, channel=channels.get(name, "email"), status="sent",
                                owner_id=owners[owner], sent_at=SENT + shift, deleted_at=deleted,
                                segment_id=segments.get(name))
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
            "pipeline": pipeline, "stage": stage, "product": product, "segment": milano}



def rows(session: Session, sql: str, **params: Any) -> list[Any]:
    return list(session.execute(text(sql), params).all())


def sees(session: Session, user: User) -> Any:
    """Whether `user` may read a record of this owner: admin all, manager the team's and unowned,
    staff their own (the README's rule, written out)."""
    teams = dict(rows(session, "SELECT id, team FROM users"))

    def visible(owner: int | None) -> bool:
        if user.role == "admin":
            return True
        if user.role == "manager":
            return owner is None or owner == user.id or (user.team is not None
                                                         and teams.get(owner) == user.team)
        return owner == user.id
    return visible


def remove_recipient(session: Session, user: User, campaign_id: int, contact_id: int) -> None:
    """Soft-delete a recipient row the way a service would: the change and its audit entry."""
    recipient = session.execute(text("SELECT id FROM campaign_recipients WHERE campaign_id = :c "
                                      "AND contact_id = :p"),
                                {"c": campaign_id, "p": contact_id}).scalar_one()
    session.execute(text("UPDATE campaign_recipients SET deleted_at = :at WHERE id = :id"),
                    {"at": datetime(2026, 6, 1), "id": recipient})
    audit(session, user, "delete", "campaign_recipients", recipient, None, None, "app")
    session.commit()
