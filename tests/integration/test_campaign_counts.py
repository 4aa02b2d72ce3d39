"""The campaign workspace counts its audience and results in the database: each figure equals the
one worked out independently (plain rows and Python here, and the pandas rules of
`campaign_performance`), for an admin and a staff member, and follows edits at once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.analytics.campaign_report import campaign_results
from core.analytics.campaigns import campaign_performance
from core.analytics.loaders import campaign_orders_frame, recipients_frame
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
from core.services.campaign_audience import audience, audience_counts, audience_sample
from core.services.campaign_responses import record_response
from core.services.campaigns import audience_overview
from core.services.contacts import contacts as contact_service
from tests.integration.campaign_data import add_campaign, add_contact, add_segment
from tests.integration.campaign_world import sees

SENT_AT = datetime(2026, 6, 1, 10)


def _world(engine: Engine, staff: User, other_staff: User) -> tuple[Campaign, dict[str, int]]:
    """A campaign for the Milano segment plus recipients added by hand, with every outcome."""
    people = {
        "ana": add_contact(engine, staff, "Ana", "Alves"),  # member, eligible
        "bea": add_contact(engine, staff, "Bea", "Bruni"),  # member and recipient, sent already
        "carl": add_contact(engine, staff, "Carl", "Conti", consent_email=False),
        "dora": add_contact(engine, staff, "Dora", "Dini", unsubscribed=True),
        "eve": add_contact(engine, staff, "Eve", "Esposito", email=""),
        "olga": add_contact(engine, other_staff, "Olga", "Orsi"),  # recipient Sam may not see
        "rita": add_contact(engine, staff, "Rita", "Rossi", city="Roma"),  # recipient, failed: again
        "ugo": add_contact(engine, staff, "Ugo", "Urso", city="Roma"),  # recipient, contact deleted
        "vera": add_contact(engine, staff, "Vera", "Villa", city="Roma"),  # recipient row deleted
        "walt": add_contact(engine, other_staff, "Walt", "Wolf", city="Roma"),  # recipient, replied
    }
    ids = {name: contact.id for name, contact in people.items()}
    segment = add_segment(engine, "Milano people", [{"field": "city", "op": "=", "value": "Milano"}])
    campaign = add_campaign(engine, staff, segment_id=segment.id)
    rows = [("bea", "sent", SENT_AT, None), ("olga", "pending", None, None), ("rita", "failed", None, None),
            ("ugo", "pending", None, None), ("vera", "pending", None, datetime(2026, 6, 2)),
            ("walt", "opened", SENT_AT, None)]
    with Session(engine) as session:
        for name, status, sent_at, deleted_at in rows:
            session.add(CampaignRecipient(campaign_id=campaign.id, contact_id=ids[name], status=status,
                                          sent_at=sent_at, deleted_at=deleted_at))
        session.commit()
        session.execute(text("UPDATE contacts SET deleted_at = :at WHERE id = :id"),
                        {"at": datetime(2026, 6, 3), "id": ids["ugo"]})
        session.commit()
    return campaign, ids


def _independent_counts(engine: Engine, user: User, campaign: Campaign) -> dict[str, int]:
    """The audience rules applied by hand to plain rows: live recipients and Milano members."""
    with engine.connect() as connection:
        recipients = dict(connection.execute(text(
            "SELECT contact_id, status FROM campaign_recipients "
            "WHERE campaign_id = :c AND deleted_at IS NULL"),
            {"c": campaign.id}).all())
        contacts = {row.id: row for row in connection.execute(text(
            "SELECT id, owner_id, deleted_at, city, unsubscribed, consent_email, email FROM contacts")).all()}
    def visible(row: Any) -> bool:
        return row.deleted_at is None and (user.role == "admin" or row.owner_id == user.id)

    members = {i for i, row in contacts.items() if row.city == "Milano" and row.deleted_at is None}
    counts: dict[str, int] = {}
    for contact_id in set(recipients) | members:
        row = contacts[contact_id]
        status = recipients.get(contact_id, "pending")
        if not visible(row):
            outcome = "deleted, or not visible to you" if contact_id in recipients and status in (
                "pending", "failed") else None
        elif status not in ("pending", "failed"):
            outcome = "already sent"
        elif row.unsubscribed:
            outcome = "unsubscribed"
        elif not row.consent_email:
            outcome = "no email consent"
        elif not row.email:
            outcome = "no email address"
        else:
            outcome = "eligible"
        if outcome:
            counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def _as_dict(counts: Any) -> dict[str, int]:
    found = {"eligible": counts.eligible, "already sent": counts.already_sent, **counts.excluded}
    return {name: count for name, count in found.items() if count}


@pytest.mark.parametrize("who", ["admin", "staff"])
def test_audience_counts_equal_an_independent_count(engine: Engine, session: Session, admin: User,
                                                    staff: User, other_staff: User, who: str) -> None:
    campaign, _ = _world(engine, staff, other_staff)
    user = admin if who == "admin" else staff
    counts = audience_counts(session, user, campaign)
    expected = _independent_counts(engine, user, campaign)
    assert _as_dict(counts) == expected
    reach = audience(session, user, campaign)  # what a send would use
    assert (counts.eligible, counts.already_sent) == (len(reach.eligible), len(reach.already_sent))
    assert counts.excluded == {reason: len(found) for reason, found in reach.excluded.items()}
    if who == "staff":
        assert expected == {"eligible": 2, "already sent": 1, "no email consent": 1, "unsubscribed": 1,
                            "no email address": 1, "deleted, or not visible to you": 2}
    sample = audience_sample(session, user, campaign)
    eligible = sorted(reach.eligible)
    assert sample == eligible + sorted(reach.already_sent)
    assert audience_sample(session, user, campaign, limit=1) == eligible[:1]


def test_audience_overview_follows_an_edit_at_once(engine: Engine, session: Session, staff: User,
                                                   other_staff: User) -> None:
    campaign, ids = _world(engine, staff, other_staff)
    before, _ = audience_overview(session, staff, campaign)
    assert audience_overview(session, staff, campaign)[0] == before
    ana = session.get(Contact, ids["ana"])
    contact_service.update(session=session, user=staff, record_id=ids["ana"], changes={"unsubscribed": True},
                           expected_version=ana.version)
    after, _ = audience_overview(session, staff, campaign)
    assert after.eligible == before.eligible - 1
    assert after.excluded["unsubscribed"] == before.excluded["unsubscribed"] + 1
    assert _as_dict(after) == _independent_counts(engine, staff, campaign)


def _sales(engine: Engine, owner: User, ids: dict[str, int]) -> None:
    with Session(engine) as session:
        product = Product(sku="TENT", name="Tent", price=50)
        pipeline = Pipeline(name="Sales", is_default=True)
        session.add_all([product, pipeline])
        session.flush()
        stage = Stage(pipeline_id=pipeline.id, name="New", position=0)
        session.add(stage)
        session.flush()
        orders = [("bea", SENT_AT + timedelta(days=3), 2), ("bea", SENT_AT + timedelta(days=30), 1),
                  ("bea", SENT_AT + timedelta(days=30, seconds=1), 5),
                  ("walt", SENT_AT - timedelta(days=1), 1), ("walt", SENT_AT + timedelta(days=1), 3)]
        for number, (who, when, quantity) in enumerate(orders):
            order = Order(order_number=f"SO-{number}", contact_id=ids[who], ordered_at=when, total=0,
                          owner_id=owner.id)
            session.add(order)
            session.flush()
            session.add(OrderLine(order_id=order.id, product_id=product.id, quantity=quantity, unit_price=50))
        for who, when, amount in (("bea", SENT_AT + timedelta(days=10), 700.0),
                                  ("walt", SENT_AT + timedelta(days=40), 900.0),
                                  ("walt", SENT_AT + timedelta(hours=5), 300.0)):
            session.add(Deal(title=f"Deal {who}", contact_id=ids[who], pipeline_id=pipeline.id,
                             stage_id=stage.id, amount=amount, created_at=when, owner_id=owner.id))
        session.commit()


@pytest.mark.parametrize("who", ["admin", "staff"])
def test_results_equal_the_pandas_rules(engine: Engine, session: Session, admin: User, staff: User,
                                        other_staff: User, who: str) -> None:
    """The SQL results against `campaign_performance` over the recipients and orders frames."""
    campaign, ids = _world(engine, staff, other_staff)
    _sales(engine, staff, ids)
    user = admin if who == "admin" else staff
    record_response(session=session, user=admin, campaign_id=campaign.id, contact_id=ids["bea"],
                    response="interested")
    results = campaign_results(session, user, campaign.id)
    recipients = recipients_frame(session, user, campaign.id)
    reference = campaign_performance(recipients, campaign_orders_frame(session, user, campaign.id)).iloc[0]
    assert results.recipients == int(reference["recipients"]) == 5
    steps = ("sent", "opened", "clicked", "bounced")
    assert [getattr(results, step) for step in steps] == [int(reference[step]) for step in steps]
    assert results.response_rate == pytest.approx(float(reference["response_rate"]))
    assert results.ordered == int(reference["converted"])
    assert results.revenue == pytest.approx(float(reference["revenue"]))
    # Bea's orders 3 days (100) and exactly 30 days (50) after count, the one a second later does
    # not; Walt's order the day after (150) counts, the one the day before does not.
    assert (results.ordered, results.revenue) == (2, 300.0)
    # Deals: Bea's 10 days after and Walt's 5 hours after; Walt's 40 days after is too late.
    assert (results.deals, results.deal_amount) == (2, 1000.0)
    assert results.answers["interested"] == 1


@pytest.mark.parametrize("walk_limit", [0, 10**9], ids=["sorted", "name-walk"])
@pytest.mark.parametrize("who", ["admin", "manager", "staff"])
def test_recipient_pages_equal_plain_sql_whichever_way_they_are_read(
        engine: Engine, session: Session, admin: User, manager: User, staff: User, other_staff: User,
        outsider: User, who: str, walk_limit: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages of recipients (sorted, or read walking the contacts' name index) in name order: the
    live recipient rows of live contacts the reader may see, as plain SQL lists them."""
    import importlib

    campaign_service = importlib.import_module("core.services.campaigns")  # the module, not the service
    monkeypatch.setattr(campaign_service, "WALK_LIMIT", walk_limit)
    campaign, _ = _world(engine, staff, other_staff)
    for number, owner in enumerate([staff, outsider, None, staff, other_staff]):  # namesakes: the id decides
        add_contact(engine, owner, "Zoe", "Zeta", email=f"zoe{number}@example.com")
    with Session(engine) as writer:
        for (contact_id,) in writer.execute(text("SELECT id FROM contacts WHERE first_name = 'Zoe'")).all():
            writer.add(CampaignRecipient(campaign_id=campaign.id, contact_id=contact_id, status="sent"))
        writer.commit()
    user = {"admin": admin, "manager": manager, "staff": staff}[who]
    visible = sees(session, user)
    with engine.connect() as connection:
        expected = [row.id for row in connection.execute(text(
            "SELECT c.id, c.owner_id FROM campaign_recipients r JOIN contacts c ON c.id = r.contact_id "
            "WHERE r.campaign_id = :c AND r.deleted_at IS NULL AND c.deleted_at IS NULL "
            "ORDER BY c.last_name, c.first_name, c.id"), {"c": campaign.id}).all()
            if visible(row.owner_id)]
    pages = [campaign_service.recipients_table(session, user, campaign.id, page=page, page_size=3)
             for page in range(1, 5)]
    assert {total for _, total in pages} == {len(expected)}
    assert [int(i) for frame, _ in pages for i in frame["contact_id"]] == expected
