"""Record pages and the pipeline board under AppTest: rendering, quick actions, moving deals."""

from __future__ import annotations

import json
import re
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session

from core.models import Activity, Contact, Deal, DealStageHistory, Order, Pipeline, Stage, User
from tests.app.conftest import sign_in


def _add(session: Session, *rows):  # type: ignore[no-untyped-def]
    session.add_all(rows)
    session.flush()
    return rows


def _stages(session: Session) -> dict[str, Stage]:
    pipeline = _add(session, Pipeline(name="Sales", is_default=True))[0]
    names = [("Lead", False, False), ("Proposal", False, False), ("Won", True, False), ("Lost", False, True)]
    stages = _add(session, *[Stage(pipeline_id=pipeline.id, name=n, position=i, probability=10 * (i + 1),
                                   is_won=won, is_lost=lost) for i, (n, won, lost) in enumerate(names)])
    return {stage.name: stage for stage in stages}


def _contact(session: Session, owner: User) -> Contact:
    contact = _add(session, Contact(first_name="Ana", last_name="Alves", email="ana@x.io",
                                    owner_id=owner.id))[0]
    _add(session,
         Activity(contact_id=contact.id, channel="phone", occurred_at=datetime(2026, 6, 1, 10),
                  subject="Intro call", outcome="Interested", owner_id=owner.id),
         Activity(contact_id=contact.id, channel="email", direction="inbound",
                  occurred_at=datetime(2026, 6, 3, 9), subject="Asked for a *quote*", owner_id=owner.id),
         Order(order_number="SO-1", contact_id=contact.id, ordered_at=datetime(2026, 5, 1), status="paid",
               total=120, owner_id=owner.id))
    session.commit()
    return contact


def _deal(session: Session, stages: dict[str, Stage], owner: User, title: str, amount: float,
          stage: str = "Lead") -> Deal:
    deal = _add(session, Deal(title=title, pipeline_id=stages[stage].pipeline_id, stage_id=stages[stage].id,
                              amount=amount, owner_id=owner.id))[0]
    _add(session, DealStageHistory(deal_id=deal.id, stage_id=stages[stage].id,
                                   entered_at=datetime(2026, 6, 1)))
    return deal


def _open(app_factory, page: str, record_id: int | None = None):  # type: ignore[no-untyped-def]
    at = sign_in(app_factory(), "sam")
    at.switch_page(f"../pages/{page}.py")
    if record_id is not None:
        at.query_params["id"] = str(record_id)
    return at.run()


def _count(engine, sql: str) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return int(connection.execute(text(sql)).scalar() or 0)


def _texts(at) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(m.value for m in [*at.markdown, *at.caption])


def _plain(markdown: str) -> str:
    """Markdown as read: the backslash escapes of user text removed."""
    return re.sub(r"\\(.)", r"\1", markdown)


def _errors(at) -> list[str]:  # type: ignore[no-untyped-def]
    return [_plain(e.value) for e in at.error]


def _submit(at, label: str):  # type: ignore[no-untyped-def]
    return next(b for b in at.button if b.label == label).click().run()


def test_contact_page_shows_the_timeline_and_tabs(app_factory, session, staff) -> None:
    contact = _contact(session, staff)
    at = _open(app_factory, "contact", contact.id)
    assert not at.exception and not at.error
    assert at.header[0].value == "Ana Alves"
    labels = [tab.label for tab in at.tabs]
    assert labels[:6] == ["Timeline (2)", "Deals (0)", "Orders & products (1)", "Tasks (0)", "Cases (0)",
                          "Campaigns (0)"]
    shown = _texts(at)
    assert shown.index("Asked for a \\*quote\\*") < shown.index("Intro call")  # newest first, escaped
    assert {m.label: m.value for m in at.metric}["Lifetime revenue"] == "€120"
    at.pills(key=f"timeline:{contact.id}:channels").set_value(["phone"]).run()  # show only calls
    assert "Intro call" in _texts(at) and "quote" not in _texts(at)


def test_the_picker_finds_and_opens_a_contact(app_factory, session, staff) -> None:
    _contact(session, staff)
    at = _open(app_factory, "contact")
    assert "Search for a contact" in at.info[0].value
    at.text_input(key="find:contact").input("alv").run()
    at.selectbox(key="pick:contact:alv").select_index(0).run()
    assert not at.exception and at.header[0].value == "Ana Alves"


def test_a_colleagues_contact_is_not_shown(app_factory, session, staff, other_staff) -> None:
    contact = _contact(session, other_staff)
    at = _open(app_factory, "contact", contact.id)
    assert "that you may see" in _errors(at)[0] and not at.header


def test_logging_a_call_creates_a_manual_activity(app_factory, session, staff, engine) -> None:
    contact = _contact(session, staff)
    at = _open(app_factory, "contact", contact.id)
    form = f"contact:{contact.id}:log:0"
    at.selectbox(key=f"{form}:channel").select("phone")
    at.text_input(key=f"{form}:subject").input("Renewal call")
    at.text_input(key=f"{form}:outcome").input("Will renew")
    at.number_input(key=f"{form}:duration").set_value(7)
    at = _submit(at, "Log interaction")
    assert not at.exception and "Logged the phone interaction" in at.success[0].value
    with engine.connect() as connection:
        row = connection.execute(text(
            "SELECT channel, outcome, duration_minutes, source, owner_id, contact_id FROM activities "
            "WHERE subject = 'Renewal call'")).one()
    assert tuple(row) == ("phone", "Will renew", 7, "manual", staff.id, contact.id)
    assert at.tabs[0].label == "Timeline (3)"
    assert at.text_input(key=f"contact:{contact.id}:log:1:subject").value == ""  # a fresh form


def test_a_bad_quick_action_is_explained_and_writes_nothing(app_factory, session, staff, engine) -> None:
    contact = _contact(session, staff)
    at = _open(app_factory, "contact", contact.id)
    form = f"contact:{contact.id}:log:0"
    at.text_input(key=f"{form}:subject").input("Call")
    at.number_input(key=f"{form}:duration").set_value(-5)
    at = _submit(at, "Log interaction")
    assert _errors(at) == [
        "Nothing was saved. Duration (minutes): Input should be greater than or equal to 0"]
    assert _count(engine, "SELECT count(*) FROM activities") == 2
    assert at.text_input(key=f"{form}:subject").value == "Call"  # what was typed is kept
    at.text_input(key=f"contact:{contact.id}:task:0:title").input("  ")
    at = _submit(at, "Add task")
    assert "Nothing was saved. Title: is required" in _errors(at)
    assert _count(engine, "SELECT count(*) FROM tasks") == 0


def test_the_board_shows_stage_totals_and_moves_a_deal(app_factory, session, staff, other_staff,
                                                       engine) -> None:
    stages = _stages(session)
    big = _deal(session, stages, staff, "Big one", 1000)
    _deal(session, stages, staff, "Small one", 250.5)
    _deal(session, stages, other_staff, "Not mine", 99)
    session.commit()
    at = _open(app_factory, "pipeline")
    assert not at.exception
    assert any(c.value.startswith("2 deal(s) · **€1,250**") for c in at.caption)
    key = f"move-to:{big.id}:1"
    at.selectbox(key=key).select(stages["Proposal"].id).run()
    at.button(key=f"move:{big.id}:1").click().run()
    assert not at.exception and "Moved “Big one” to Proposal" in _plain(at.success[0].value)
    assert _count(engine, f"SELECT stage_id FROM deals WHERE id = {big.id}") == stages["Proposal"].id
    assert _count(engine, f"SELECT count(*) FROM deal_stage_history WHERE deal_id = {big.id}") == 2
    assert any(c.value.startswith("1 deal(s) · **€1,000**") for c in at.caption)


def test_a_move_after_a_colleagues_change_is_reported_not_applied(app_factory, session, staff,
                                                                  engine) -> None:
    stages = _stages(session)
    deal = _deal(session, stages, staff, "Contested", 500)
    session.commit()
    at = _open(app_factory, "pipeline")
    at.selectbox(key=f"move-to:{deal.id}:1").select(stages["Won"].id).run()
    with engine.begin() as connection:  # a colleague edits the deal meanwhile
        connection.execute(text(f"UPDATE deals SET amount = 600, version = version + 1 WHERE id = {deal.id}"))
    at.button(key=f"move:{deal.id}:1").click().run()
    assert "someone else changed this deal" in _errors(at)[0]
    assert _count(engine, f"SELECT stage_id FROM deals WHERE id = {deal.id}") == stages["Lead"].id


def test_the_deal_page_shows_stage_history_and_moves_to_lost_with_a_reason(app_factory, session, staff,
                                                                           engine) -> None:
    stages = _stages(session)
    deal = _deal(session, stages, staff, "Rollout", 800)
    session.commit()
    at = _open(app_factory, "deal", deal.id)
    assert not at.exception and at.header[0].value == "Rollout"
    history = at.dataframe[0].value
    assert list(history["stage"]) == ["Lead"] and history["days"][0] >= 14
    assert json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]["y"] == ["1. Lead"]
    at.selectbox(key=f"move-to:{deal.id}:1").select(stages["Lost"].id).run()
    at.text_input(key=f"lost-reason:{deal.id}:1").input("Budget cut")
    at.button(key=f"move:{deal.id}:1").click().run()
    assert not at.exception and "to Lost" in at.success[0].value
    with engine.connect() as connection:
        row = connection.execute(text(f"SELECT status, lost_reason FROM deals WHERE id = {deal.id}")).one()
    assert tuple(row) == ("lost", "Budget cut")
