"""The offline assistant on the dataset of test_query_data (both databases): figures checked against
pandas over the inserted lists, permission scoping, names asked back, proposals that write nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot import offline
from bot.people import find_companies, find_contacts, find_deals
from bot.proposals import ask_which, propose_activity, propose_deal_move, propose_task
from bot.reply import Reply
from core.models import Activity, Contact, Deal, Task, User
from tests.integration.test_query_data import insert_crm, order_lines


@pytest.fixture
def crm(
    engine: Engine, admin: User, manager: User, staff: User, other_staff: User, outsider: User
) -> dict[str, User]:
    users = insert_crm(engine, admin, manager, staff, other_staff, outsider)
    with Session(engine) as session:  # a namesake of Anna Rossi owned by sven, and an accented name
        session.add_all(
            [
                Contact(id=20, first_name="Anna", last_name="Rossi", city="Oslo", owner_id=users["sven"].id),
                Contact(
                    id=21, first_name="Jürgen", last_name="Müller", city="München", owner_id=users["sam"].id
                ),
            ]
        )
        session.commit()
    return users


def ask(session: Session, user: User, question: str) -> Reply:
    return offline.answer(session, user, question)


def counts(session: Session) -> tuple[int, int, int]:
    return tuple(
        int(session.scalar(select(func.count()).select_from(m)) or 0)  # type: ignore[return-value]
        for m in (Activity, Task, Deal)
    )


# ---- people ------------------------------------------------------------------------------------------


def test_exact_name_wins_and_staff_sees_only_their_own(session: Session, crm: dict[str, User]) -> None:
    assert [m.id for m in find_contacts(session, crm["sam"], "Anna Rossi")] == [1]
    assert sorted(m.id for m in find_contacts(session, crm["ada"], "anna rossi")) == [1, 20]
    assert find_contacts(session, crm["sven"], "Eva Novak") == []
    assert [m.id for m in find_contacts(session, crm["sam"], "rossi")] == [1]


def test_typos_accents_and_email(session: Session, crm: dict[str, User]) -> None:
    assert [m.id for m in find_contacts(session, crm["sam"], "Ana Rosi")] == [1]
    assert [m.id for m in find_contacts(session, crm["sam"], "Jurgen Muller")] == [21]
    assert [m.id for m in find_contacts(session, crm["ada"], "Lena Shmidt")] == [3]
    assert find_contacts(session, crm["ada"], "Zorro Nobody") == []


def test_companies_and_deals(session: Session, crm: dict[str, User]) -> None:
    assert [m.label for m in find_companies(session, crm["ada"], "acme")] == ["Acme"]
    assert [m.label for m in find_companies(session, crm["ada"], "Globx")] == ["Globex"]
    assert find_companies(session, crm["sam"], "Globex") == []
    open_acme = {m.id for m in find_deals(session, crm["sam"], "Acme")}
    assert open_acme == {3, 9}  # the open deals of Acme rank above its closed ones


def test_ask_which_lists_every_match(session: Session, crm: dict[str, User]) -> None:
    matches = find_contacts(session, crm["ada"], "Anna Rossi")
    reply = ask_which("contact", matches, "Anna Rossi")
    assert reply.status == "refused" and "Milano" in reply.text and "Oslo" in reply.text
    assert "nobody called “Xyz”" in ask_which("contact", [], "Xyz").text


# ---- proposals ---------------------------------------------------------------------------------------


def test_proposals_write_nothing(session: Session, crm: dict[str, User]) -> None:
    before = counts(session)
    when = datetime(2026, 6, 15, 10, 0)
    reply = propose_activity(
        session,
        crm["sam"],
        contact_id=1,
        channel="call",
        occurred_at=when,
        subject="Renewal",
        notes="discussed renewal",
        follow_up=("Follow up with Anna Rossi", datetime(2026, 6, 23)),
    )
    assert reply.status == "needs_confirmation" and reply.action is not None
    assert reply.action.params["channel"] == "phone" and reply.action.params["company_id"] == 1
    assert reply.action.params["follow_up"] == {
        "title": "Follow up with Anna Rossi",
        "due_at": "2026-06-23T00:00:00",
    }
    assert "Anna Rossi" in reply.text and "Tue 23 Jun 2026" in reply.text
    task = propose_task(session, crm["sam"], title="Email Eva", due_at=datetime(2026, 6, 19), contact_id=9)
    assert task.action is not None and task.action.kind == "create_task"
    move = propose_deal_move(session, crm["sam"], deal_id=3, stage_name="qualified")
    assert move.action is not None and move.action.params["stage_id"] == 2
    assert counts(session) == before


def test_proposals_refuse_hidden_records_and_unknown_stages(session: Session, crm: dict[str, User]) -> None:
    hidden = propose_activity(
        session,
        crm["sam"],
        contact_id=3,
        channel="email",
        occurred_at=datetime(2026, 6, 15),
        subject=None,
        notes=None,
    )
    assert hidden.status == "refused" and hidden.action is None
    unknown = propose_deal_move(session, crm["sam"], deal_id=3, stage_name="Negotiation")
    assert unknown.status == "refused" and "Qualified" in unknown.text


def _figure(reply: Reply) -> Any:
    assert reply.status == "answered", reply.text
    assert len(reply.rows) == 1
    return reply.rows[0][-1]


# ---- the engine --------------------------------------------------------------------------------------


def test_revenue_figures_match_pandas(session: Session, crm: dict[str, User]) -> None:
    lines = order_lines("admin")
    q1 = lines[(lines["ordered_at"] >= datetime(2026, 1, 1)) & (lines["ordered_at"] < datetime(2026, 4, 1))]
    reply = ask(session, crm["ada"], "total revenue last quarter")
    assert _figure(reply) == pytest.approx(q1["amount"].sum())
    assert reply.columns == ["Revenue"] and reply.query and reply.sql and reply.chart is None
    assert "2026-01-01" in reply.text and "€" in reply.text
    milano = lines[lines["city_contact"] == "Milano"] if "city_contact" in lines else None
    if milano is not None:
        assert _figure(ask(session, crm["ada"], "revenue in Milano")) == pytest.approx(milano["amount"].sum())


def test_staff_counts_only_their_own(session: Session, crm: dict[str, User]) -> None:
    sam = order_lines("staff")
    assert _figure(ask(session, crm["sam"], "what is our revenue")) == pytest.approx(sam["amount"].sum())
    assert _figure(ask(session, crm["sam"], "how many contacts")) == 3 + 1  # 1, 2, 9 and Jürgen


def test_breakdowns_and_top_n(session: Session, crm: dict[str, User]) -> None:
    lines = order_lines("admin")
    top = lines.groupby("product")["amount"].sum().sort_values(ascending=False).head(2)
    reply = ask(session, crm["ada"], "top 2 products by revenue")
    assert reply.columns == ["Product", "Revenue"] and reply.chart and reply.chart.kind == "bar"
    assert [r[0] for r in reply.rows] == list(top.index)
    assert [r[1] for r in reply.rows] == pytest.approx(list(top.values))
    monthly = ask(session, crm["ada"], "revenue by month this year")
    assert monthly.chart is not None and monthly.chart.kind == "line"
    best = ask(session, crm["ada"], "which product has the highest revenue")
    assert best.rows == [[top.index[0], pytest.approx(top.values[0])]]


def test_filters_and_refusals(session: Session, crm: dict[str, User]) -> None:
    assert _figure(ask(session, crm["ada"], "deals in Proposal")) == 1
    assert _figure(ask(session, crm["ada"], "how many contacts in Germany")) == 2
    refused = ask(session, crm["ada"], "revenue in Atlantis")
    assert refused.status == "refused" and "Atlantis" in refused.text and refused.suggestions
    assert ask(session, crm["ada"], "tell me a joke").status == "refused"


def test_record_questions(session: Session, crm: dict[str, User]) -> None:
    last = ask(session, crm["sam"], "what did we last discuss with Anna Rossi?")
    assert last.status == "answered" and last.rows[0][1] == "email"  # activity 9 (deleted) is left out
    order = ask(session, crm["sam"], "when did Acme last order?")
    assert order.rows[0][1] == "O-7"
    ambiguous = ask(session, crm["ada"], "what did we last discuss with Anna Rossi?")
    assert ambiguous.status == "refused" and len(ambiguous.rows) == 2
    assert ask(session, crm["sam"], "open deals of Acme").rows[0][0] == "Deal 3"


def test_tasks_and_actions(session: Session, crm: dict[str, User]) -> None:
    tasks = ask(session, crm["sam"], "who should I call today?")
    assert [r[1] for r in tasks.rows] == ["Task 1"]
    before = counts(session)
    log = ask(session, crm["sam"], "log a call with Anna Rossi: discussed renewal, follow up next Tuesday")
    assert log.status == "needs_confirmation" and log.action is not None
    assert log.action.params["notes"] == "discussed renewal"
    assert log.action.params["follow_up"]["due_at"].startswith("2026-06-23")
    task = ask(session, crm["sam"], "remind me to email Eva on Friday")
    assert task.action is not None and task.action.params["contact_id"] == 9
    assert task.action.params["due_at"].startswith("2026-06-19")
    move = ask(session, crm["sam"], "move the Deal 3 deal to Qualified")
    assert move.action is not None and move.action.params["stage_id"] == 2
    assert counts(session) == before
