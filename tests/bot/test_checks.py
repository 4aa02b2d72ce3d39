"""The evaluation harness itself: the checks judged on hand-made replies, the dataset's own
consistency, and the expected figures cross-checked two independent ways (plain Python in
dataset.py against pandas here, and against plain SQL on the inserted database)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

import pandas as pd
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.reply import PendingAction, Reply
from core.models import User
from tests.bot import dataset as ds
from tests.bot.questions import (
    THIS_YEAR,
    Contains,
    Mentions,
    Number,
    Proposes,
    Ranking,
    Refuses,
    Table,
    all_questions,
    day_forms,
    on,
)


def answered(rows: list[list[object]], text: str = "") -> Reply:
    return Reply("answered", text, columns=[f"c{i}" for i in range(len(rows[0]) if rows else 0)], rows=rows)


REFUSED = Reply("refused", "I did not understand that question.")


def proposal(params: dict[str, object], kind: str = "log_activity") -> Reply:
    return Reply("needs_confirmation", "I will write this", action=PendingAction(kind, ["..."], params))


# --- the checks ---------------------------------------------------------------------------------

def test_number() -> None:
    check = Number(1846.67)
    assert check.judge(answered([[1846.67]])).outcome == "correct"
    assert check.judge(answered([["Revenue", 1846.666]])).outcome == "correct"  # the last cell counts
    assert check.judge(answered([[1846.70]])).outcome == "wrong"
    assert check.judge(answered([[1846.67], [12]])).outcome == "wrong"  # one row only
    assert check.judge(answered([])).outcome == "wrong"
    assert check.judge(answered([["1846.67"]])).outcome == "wrong"  # a text is not a figure
    assert check.judge(REFUSED).outcome == "refused"
    assert Number(5).judge(answered([[5.0]])).outcome == "correct"
    assert Number(5).judge(answered([[True]])).outcome == "wrong"


def test_rates_are_fractions_not_percent() -> None:
    check = Number(0.7, tol=0.001)
    assert check.judge(answered([[0.7]])).outcome == "correct"
    assert check.judge(answered([[70.0]])).outcome == "wrong"


def test_a_write_proposed_for_a_question_is_wrong() -> None:
    proposal = Reply("needs_confirmation", "I will write this", action=PendingAction("create_task", [], {}))
    assert Number(3).judge(proposal).outcome == "wrong"
    assert Contains(["x"]).judge(Reply("done", "Done: x")).outcome == "wrong"


def test_table() -> None:
    check = Table({"Sam": 3, "Olga": 2, "Mia": 0, None: 1})
    rows = [["sam", 3], ["Olga", 2.0], ["(none)", 1]]
    assert check.judge(answered(rows)).outcome == "correct"  # a 0 group of a count may be missing
    assert check.judge(answered([*rows, ["Sven", 0]])).outcome == "correct"  # or extra with 0
    assert check.judge(answered([*rows, ["Sven", 1]])).outcome == "wrong"
    assert check.judge(answered([["Sam", 3], ["Olga", 2]])).outcome == "wrong"  # the None group is missing
    assert check.judge(answered([["Sam", 3], ["Olga", 3], [None, 1]])).outcome == "wrong"
    assert check.judge(answered([["Sam", 3], ["sam", 3], ["Olga", 2], [None, 1]])).outcome == "wrong"


def test_table_of_ratios() -> None:
    check = Table({"Sam": 1.0, "Mia": 0.0}, tol=0.001, additive=False)
    assert check.judge(answered([["Sam", 1.0], ["Mia", 0.0], ["Ada", None]])).outcome == "correct"
    assert check.judge(answered([["Sam", 1.0]])).outcome == "wrong"  # a ratio of 0 is not missing
    assert check.judge(answered([["Sam", 1.0], ["Mia", 0.0], ["Ada", 0.5]])).outcome == "wrong"


def test_table_matches_names_without_accents() -> None:
    check = Table({"München": 2, "Kraków": 1})
    assert check.judge(answered([["Munchen", 2], ["KRAKOW", 1]])).outcome == "correct"


def test_ranking() -> None:
    check = Ranking(["Laptop Pro 14", "CRM Licence"])
    top = answered([["Laptop Pro 14", 9], ["CRM Licence", 5], ["Mouse", 1]])
    assert check.judge(top).outcome == "correct"
    assert check.judge(answered([["CRM Licence", 9], ["Laptop Pro 14", 5]])).outcome == "wrong"
    assert check.judge(answered([["Laptop Pro 14", 9]])).outcome == "wrong"
    assert check.judge(answered([[9]])).outcome == "wrong"


def test_ranking_refuses_ties() -> None:
    assert ds.ranking({"a": 3, "b": 2, "c": 1}, 2) == ["a", "b"]
    assert ds.ranking({"a": 1, "b": 2, "c": 3}, 1, largest=False) == ["a"]
    with pytest.raises(AssertionError):
        ds.ranking({"a": 3, "b": 2, "c": 2}, 2)


def test_contains() -> None:
    check = Contains(["Renewal pricing", day_forms(date(2026, 5, 20))], absent=["Deleted draft"])
    assert check.judge(answered([["renewal pricing for 2027", "2026-05-20 14:00"]])).outcome == "correct"
    assert check.judge(Reply("answered", "We discussed Renewal Pricing on 20 May 2026.")).outcome == "correct"
    assert check.judge(Reply("answered", "Renewal pricing, May 20, 2026")).outcome == "correct"
    assert check.judge(Reply("answered", "Renewal pricing")).outcome == "wrong"
    assert check.judge(Reply("answered", "Renewal pricing 2026-05-20, Deleted draft")).outcome == "wrong"
    unaccented = Reply("answered", "lukasz nowak, ZOE")
    assert Contains(["Łukasz Nowak", "Zoë"]).judge(unaccented).outcome == "correct"


def test_day_forms() -> None:
    assert {"2026-05-20", "20 May 2026", "May 20, 2026", "20/05/2026", "20.05.2026"} <= set(day_forms(
        date(2026, 5, 20)))


def test_proposes() -> None:
    check = Proposes("log_activity", {"contact_id": 1, "channel": "phone",
                                      "subject|notes": Mentions("renewal"),
                                      "follow_up.due_at": on(date(2026, 6, 19))})
    params = {"contact_id": 1, "channel": "phone", "subject": "Call", "notes": "Discussed the Renewal",
              "follow_up": {"title": "Follow up", "due_at": "2026-06-19T00:00:00"}}
    assert check.judge(proposal(params)).outcome == "correct"
    late = {**params, "follow_up": {"title": "Follow up", "due_at": "2026-06-26T00:00:00"}}
    assert check.judge(proposal(late)).outcome == "wrong"
    assert check.judge(proposal(params, kind="create_task")).outcome == "wrong"
    assert check.judge(Reply("done", "Done: phone logged")).outcome == "wrong"  # written without asking
    assert check.judge(answered([[1]])).outcome == "wrong"
    assert check.judge(REFUSED).outcome == "refused"
    no_follow_up = {**params, "follow_up": None}
    assert check.judge(proposal(no_follow_up)).outcome == "wrong"


def test_refuses() -> None:
    assert Refuses().judge(REFUSED).outcome == "correct"
    assert Refuses().judge(answered([[0]])).outcome == "wrong"  # "revenue in Atlantis: 0" is wrong
    assert Refuses().judge(Reply("needs_confirmation", "", action=PendingAction("move_deal", [], {}))) \
        .outcome == "wrong"


# --- the question set ---------------------------------------------------------------------------

def test_the_set_is_large_and_varied() -> None:
    questions = all_questions()
    assert len(questions) >= 160
    assert len({(q.user, q.text) for q in questions}) == len(questions), "a question is asked twice"
    kinds = Counter(type(q.check).__name__ for q in questions)
    assert all(kinds[kind] >= 5 for kind in ("Number", "Table", "Ranking", "Contains", "Proposes", "Refuses"))
    assert sum(q.user == "sam" for q in questions) >= 15


def test_overdue_depends_on_the_moment() -> None:
    """Tasks due today are due at 23:59: overdue only in the last minute of the day."""
    morning = {q.text: q.check for q in all_questions(datetime(2026, 6, 15, 9))}
    late = {q.text: q.check for q in all_questions(datetime(2026, 6, 15, 23, 59, 30))}
    assert morning["how many overdue tasks"] == Number(4)
    assert late["how many overdue tasks"] == Number(7)


# --- the dataset ----------------------------------------------------------------------------------

def test_no_fact_is_dated_after_today() -> None:
    end = datetime(2026, 6, 16)
    dated = [(ds.CONTACTS, "created_at"), (ds.DEALS, "created_at"), (ds.DEALS, "closed_at"),
             (ds.ORDERS, "ordered_at"), (ds.ACTIVITIES, "occurred_at"), (ds.CASES, "opened_at"),
             (ds.CASES, "resolved_at"), (ds.CAMPAIGNS, "sent_at")]
    assert all(row[column] is None or row[column] < end for rows, column in dated for row in rows)


def test_names_a_question_relies_on_are_unique() -> None:
    first_names = Counter(c["first_name"] for c in ds.CONTACTS)
    last_names = Counter(c["last_name"] for c in ds.CONTACTS)
    assert first_names["Ivan"] == 1 and not any(n.startswith("Ivan") and n != "Ivan" for n in first_names)
    assert last_names["Rossi"] == 1 and last_names["Müller"] == 1
    open_alpina = [d for d in ds.DEALS
                   if d["company_id"] == 1 and d["status"] == "open" and not d["deleted_at"]]
    assert len(open_alpina) == 1


def test_plain_python_figures_agree_with_pandas() -> None:
    """The same figures a second way: pandas merges over the raw lists."""
    orders = pd.DataFrame(ds.ORDERS)
    orders = orders[orders["deleted_at"].isna() & (orders["status"] != "cancelled")]
    products = pd.DataFrame(ds.PRODUCTS).rename(columns={"id": "product_id", "name": "product"})
    lines = (pd.DataFrame(ds.LINES).merge(orders, left_on="order_id", right_on="id")
             .merge(products, on="product_id"))
    lines["amount"] = lines["quantity"] * lines["unit_price"]
    this_year = lines[lines["ordered_at"].dt.year == 2026]
    by_month = this_year.groupby(this_year["ordered_at"].dt.strftime("%Y-%m"))["amount"].sum().to_dict()
    assert by_month == ds.revenue(period=THIS_YEAR, by=lambda r: f"{r['ordered_at']:%Y-%m}")
    assert lines.groupby("category")["amount"].sum().to_dict() == ds.revenue(by=lambda r: r["category"])
    deals = pd.DataFrame(ds.DEALS)
    deals = deals[deals["deleted_at"].isna()]
    closed = deals[deals["closed_at"].dt.year == 2026]
    assert (closed["status"] == "won").sum() / closed["status"].isin(["won", "lost"]).sum() \
        == ds.win_rate(period=THIS_YEAR)


def test_inserted_world_matches_the_lists(engine: Engine, admin: User, manager: User, staff: User,
                                          other_staff: User, outsider: User) -> None:
    """Plain SQL over the inserted rows (not the semantic layer) gives the lists' figures."""
    ds.insert_world(engine, {u.username: u for u in (admin, manager, staff, other_staff, outsider)})
    with engine.connect() as connection:
        def scalar(sql: str) -> object:
            return connection.execute(text(sql)).scalar()

        assert scalar("SELECT count(*) FROM contacts WHERE deleted_at IS NULL") == ds.contacts()
        assert scalar("SELECT sum(l.quantity * l.unit_price) FROM order_lines l "
                      "JOIN orders o ON o.id = l.order_id "
                      "WHERE o.deleted_at IS NULL AND o.status <> 'cancelled'") == pytest.approx(ds.revenue())
        assert scalar("SELECT count(*) FROM deals WHERE status = 'open' AND deleted_at IS NULL") \
            == ds.deals(status="open")
        assert scalar("SELECT count(*) FROM activities WHERE deleted_at IS NULL") == ds.activities()
        assert scalar("SELECT count(*) FROM deal_stage_history WHERE exited_at IS NULL") == len(ds.DEALS)
        assert scalar("SELECT count(*) FROM campaign_recipients") == len(ds.RECIPIENTS)
        assert scalar("SELECT name FROM segments") == ds.SEGMENT_NAME
