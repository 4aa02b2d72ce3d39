"""Recipients' responses: recorded by hand and by import, their follow-up tasks, unsubscribes, events,
and the campaign's results (response rate, deals and revenue that followed)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.analytics.campaign_report import campaign_results
from core.errors import ImportRejected, NotFound, ValidationError
from core.models import Deal, Order, OrderLine, Pipeline, Product, Stage, User
from core.services import events
from core.services.campaign_audience import add_recipients
from core.services.campaign_responses import import_responses, record_response
from core.services.campaign_sending import next_business_day, send_campaign
from core.services.imports import read_table
from tests.integration.campaign_data import add_campaign, add_contact

TUESDAY_9 = datetime(2026, 6, 16, 9)


def _rows(engine: Engine, sql: str, **params: object) -> list[tuple]:  # type: ignore[type-arg]
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql), params)]


@pytest.fixture
def sent(engine: Engine, session: Session, staff: User) -> dict[str, int]:
    """A campaign of Sam's sent to Ana, Bea and Carl; Dora (no consent) stays pending."""
    people = {name: add_contact(engine, staff, name.title(), "Test").id for name in ("ana", "bea", "carl")}
    people["dora"] = add_contact(engine, staff, "Dora", "Test", consent_email=False).id
    campaign = add_campaign(engine, staff)
    add_recipients(session=session, user=staff, campaign_id=campaign.id, contact_ids=list(people.values()))
    send_campaign(session=session, user=staff, campaign_id=campaign.id)
    return {"campaign": campaign.id, **people}


@pytest.fixture
def heard() -> Iterator[list[events.Event]]:
    seen: list[events.Event] = []

    def listener(session: Session, event: events.Event) -> None:
        seen.append(event)

    events.subscribe(listener)
    yield seen
    events._listeners.remove(listener)


def test_interested_creates_one_follow_up_call(engine: Engine, session: Session, staff: User,
                                               sent: dict[str, int], heard: list[events.Event]) -> None:
    for _ in range(2):
        record_response(session=session, user=staff, campaign_id=sent["campaign"], contact_id=sent["ana"],
                        response="Interested", note="wants a quote")

    assert _rows(engine, "SELECT status, response, response_note FROM campaign_recipients "
                         "WHERE contact_id = :c", c=sent["ana"]) == [("sent", "interested", "wants a quote")]
    tasks = _rows(engine, "SELECT t.title, u.username, t.due_at, t.contact_id, t.priority FROM tasks t "
                          "JOIN users u ON u.id = t.assignee_id")
    assert len(tasks) == 1
    title, assignee, due, contact, priority = tasks[0]
    assert (title, assignee, contact, priority) == (
        f"Follow-up call: interested in campaign #{sent['campaign']} Spring offer", "sam", sent["ana"],
        "high")
    assert str(due)[:16] == "2026-06-16 09:00"
    responses = [e for e in heard if e.name == "campaign_response"]  # the task's "created" too
    assert [(e.name, e.entity, e.record.contact_id, e.changes, e.source) for e in responses] == [
        ("campaign_response", "campaign_recipients", sent["ana"], {"response": (None, "interested")}, "app"),
        ("campaign_response", "campaign_recipients", sent["ana"], {"response": ("interested", "interested")},
         "app")]
    assert _rows(engine, "SELECT count(*) FROM audit_log WHERE entity = 'tasks' AND action = 'create'") == [
        (1,)]


def test_the_follow_up_goes_to_the_campaign_owner_when_the_contact_has_none(
        engine: Engine, session: Session, manager: User, staff: User) -> None:
    nobody = add_contact(engine, None, "Nora", "Noowner")
    campaign = add_campaign(engine, manager)
    add_recipients(session=session, user=manager, campaign_id=campaign.id, contact_ids=[nobody.id])
    send_campaign(session=session, user=manager, campaign_id=campaign.id)
    record_response(session=session, user=manager, campaign_id=campaign.id, contact_id=nobody.id,
                    response="interested")
    assert _rows(engine, "SELECT u.username FROM tasks t JOIN users u ON u.id = t.assignee_id") == [("mia",)]


def test_next_business_day_skips_the_weekend() -> None:
    assert next_business_day(date(2026, 6, 15)) == TUESDAY_9
    assert next_business_day(date(2026, 6, 19)) == datetime(2026, 6, 22, 9)  # Friday -> Monday
    assert next_business_day(date(2026, 6, 20)) == datetime(2026, 6, 22, 9)  # Saturday -> Monday


def test_unsubscribed_sets_the_contact_flag_and_excludes_them_next_time(
        engine: Engine, session: Session, staff: User, sent: dict[str, int]) -> None:
    record_response(session=session, user=staff, campaign_id=sent["campaign"], contact_id=sent["bea"],
                    response="unsubscribed", source="assistant")
    flag = _rows(engine, "SELECT unsubscribed FROM contacts WHERE id = :c", c=sent["bea"])
    assert flag in ([(True,)], [(1,)])
    assert _rows(engine, "SELECT source FROM audit_log WHERE entity = 'contacts' AND action = 'update'") == [
        ("assistant",)]
    again = add_campaign(engine, staff, name="Summer offer")
    add_recipients(session=session, user=staff, campaign_id=again.id, contact_ids=[sent["bea"], sent["carl"]])
    assert send_campaign(session=session, user=staff, campaign_id=again.id).excluded == {"unsubscribed": 1}


def test_delivery_statuses_and_refusals(engine: Engine, session: Session, staff: User, other_staff: User,
                                        sent: dict[str, int]) -> None:
    record_response(session=session, user=staff, campaign_id=sent["campaign"], contact_id=sent["carl"],
                    response="clicked")
    record_response(session=session, user=staff, campaign_id=sent["campaign"], contact_id=sent["carl"],
                    response="not interested")
    assert _rows(engine, "SELECT status, response FROM campaign_recipients WHERE contact_id = :c",
                 c=sent["carl"]) == [("clicked", "not_interested")]
    with pytest.raises(ValidationError, match="has not been sent"):
        record_response(session=session, user=staff, campaign_id=sent["campaign"], contact_id=sent["dora"],
                        response="replied")
    with pytest.raises(ValidationError, match="is not a status or response"):
        record_response(session=session, user=staff, campaign_id=sent["campaign"], contact_id=sent["ana"],
                        response="delighted")
    stranger = add_contact(engine, staff, "Stan", "Ger")
    with pytest.raises(NotFound, match="not a recipient"):
        record_response(session=session, user=staff, campaign_id=sent["campaign"], contact_id=stranger.id,
                        response="replied")
    with pytest.raises(NotFound):  # another staff member cannot see Sam's campaign
        record_response(session=session, user=other_staff, campaign_id=sent["campaign"],
                        contact_id=sent["ana"], response="replied")
    assert _rows(engine, "SELECT count(*) FROM tasks") == [(0,)]


def test_a_bad_response_file_is_rejected_whole(engine: Engine, session: Session, staff: User,
                                               sent: dict[str, int]) -> None:
    csv = (b"Email,Status,Note\n"
           b"ana@example.com,interested,call me\n"
           b"nobody@example.com,replied,\n"
           b"bea@example.com,delighted,\n"
           b"ana@example.com,replied,\n"
           b"dora@example.com,replied,\n")
    with pytest.raises(ImportRejected) as raised:
        import_responses(session=session, user=staff, campaign_id=sent["campaign"], frame=read_table(csv))
    assert [(e.row, e.field) for e in raised.value.errors] == [
        (3, "Email"), (4, "Status"), (5, "Email"), (6, "Status")]
    assert "nobody@example.com is not a recipient" in str(raised.value)
    assert _rows(engine, "SELECT count(*) FROM campaign_recipients WHERE response IS NOT NULL") == [(0,)]
    assert _rows(engine, "SELECT count(*) FROM tasks") == [(0,)]


def test_a_good_response_file_records_every_row(engine: Engine, session: Session, staff: User,
                                                sent: dict[str, int]) -> None:
    csv = (b"email;response;note\n"
           b"ANA@example.com;Interested;call me\n"
           b"bea@example.com;not interested;\n"
           b"carl@example.com;bounced;mailbox full\n")
    first = _rows(engine, "SELECT max(id) FROM audit_log")[0][0]
    result = import_responses(session=session, user=staff, campaign_id=sent["campaign"],
                              frame=read_table(csv))
    assert (result.rows, result.recorded) == (3, 3)
    assert _rows(engine, "SELECT c.first_name, r.status, r.response, r.response_note "
                         "FROM campaign_recipients r JOIN contacts c ON c.id = r.contact_id "
                         "ORDER BY c.first_name") == [
        ("Ana", "sent", "interested", "call me"), ("Bea", "sent", "not_interested", None),
        ("Carl", "bounced", None, "mailbox full"), ("Dora", "pending", None, None)]
    assert _rows(engine, "SELECT contact_id FROM tasks") == [(sent["ana"],)]
    assert _rows(engine, "SELECT DISTINCT source FROM audit_log WHERE id > :first", first=first) == [
        ("import",)]


def _sales(engine: Engine, owner: User, contact_ids: dict[str, int]) -> None:
    with Session(engine) as session:
        product = Product(sku="P1", name="Widget", price=50)
        pipeline = Pipeline(name="Sales", is_default=True)
        session.add_all([product, pipeline])
        session.flush()
        stage = Stage(pipeline_id=pipeline.id, name="Lead", position=0, probability=10)
        session.add(stage)
        session.flush()
        for number, (who, when) in enumerate([("ana", datetime(2026, 6, 20, 10)),  # within 30 days
                                              ("ana", datetime(2026, 8, 1)),  # too late
                                              ("bea", datetime(2026, 6, 1))]):  # before the send
            order = Order(order_number=f"SO-{number}", contact_id=contact_ids[who], ordered_at=when,
                          total=100, owner_id=owner.id)
            session.add(order)
            session.flush()
            session.add(OrderLine(order_id=order.id, product_id=product.id, quantity=2, unit_price=50))
        deals = [("ana", datetime(2026, 6, 18), 500.0), ("bea", datetime(2026, 5, 1), 900.0)]
        for who, when, amount in deals:
            session.add(Deal(title=f"Deal {who}", contact_id=contact_ids[who], pipeline_id=pipeline.id,
                             stage_id=stage.id, amount=amount, created_at=when, owner_id=owner.id))
        session.commit()


def test_results_count_responses_deals_and_revenue(engine: Engine, session: Session, staff: User,
                                                   sent: dict[str, int]) -> None:
    for who, value in (("ana", "interested"), ("bea", "replied"), ("carl", "bounced")):
        record_response(session=session, user=staff, campaign_id=sent["campaign"], contact_id=sent[who],
                        response=value)
    _sales(engine, staff, sent)

    results = campaign_results(session, staff, sent["campaign"])

    assert (results.recipients, results.pending, results.sent, results.bounced, results.delivered) == (
        4, 1, 3, 1, 2)
    assert (results.opened, results.clicked) == (2, 0)
    assert results.answers == {"replied": 1, "interested": 1, "not_interested": 0, "unsubscribed": 0}
    assert results.response_rate == pytest.approx(2 / 3)
    assert (results.ordered, results.revenue) == (1, 100.0)
    assert (results.deals, results.deal_amount) == (1, 500.0)
    assert results.funnel()["recipients"].tolist() == [3, 2, 2, 0, 1, 1, 1]


def test_recorded_responses_count_in_the_semantic_layer(session: Session, staff: User,
                                                        sent: dict[str, int]) -> None:
    """Reports and the assistant see a response recorded apart from the delivery status: of the
    three contacted, Ana answered (then opened a later mail) and Bea only opened: 1 of 3."""
    from core.query.engine import run_query
    from core.query.spec import QuerySpec

    for contact, value in (("ana", "replied"), ("ana", "opened"), ("bea", "opened")):
        record_response(session=session, user=staff, campaign_id=sent["campaign"], contact_id=sent[contact],
                        response=value)
    result = run_query(session, QuerySpec(metrics=["campaign_responses", "contacted_recipients",
                                                   "response_rate"]), staff)
    assert result.rows == [[1, 3, pytest.approx(1 / 3, abs=1e-6)]]
