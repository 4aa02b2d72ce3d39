"""Demo data: checked with plain SQL, independently of the generator's own bookkeeping."""

from __future__ import annotations

import hashlib
import re
import shutil
from datetime import date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import DateTime, bindparam, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.db import make_engine
from core.demo import DEMO_PASSWORD, DemoSummary, generate_demo
from core.errors import ValidationError
from core.models.base import CHANNELS
from core.services.users import authenticate

CONTACTS = 300
TABLES = ("users", "pipelines", "stages", "products", "product_options", "companies", "contacts",
          "orders", "order_lines", "deals", "deal_stage_history", "activities", "tasks", "cases",
          "campaigns", "campaign_recipients", "audit_log")


@pytest.fixture
def demo(engine: Engine) -> Engine:
    generate_demo(engine, contacts=CONTACTS, seed=42)
    return engine


def rows(engine: Engine, sql: str, **params: Any) -> list[Any]:
    """Rows of a query; datetime parameters and `*_at` results are typed so both backends agree."""
    statement = text(sql).bindparams(*[bindparam(name, type_=DateTime) for name, value in params.items()
                                       if isinstance(value, datetime)])
    with engine.connect() as connection:
        return list(connection.execute(statement, params))


def scalar(engine: Engine, sql: str, **params: Any) -> Any:
    return rows(engine, sql, **params)[0][0]


def midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time())


def test_every_table_gets_rows_and_the_summary_matches(engine: Engine) -> None:
    reported: list[tuple[str, float]] = []
    summary = generate_demo(engine, contacts=CONTACTS,
                            progress=lambda label, done: reported.append((label, done)))
    for table in TABLES:
        assert scalar(engine, f"SELECT count(*) FROM {table}") > 0, table
    assert scalar(engine, "SELECT count(*) FROM contacts") == CONTACTS == summary.counts["contacts"]
    assert scalar(engine, "SELECT count(*) FROM orders") == summary.counts["orders"]
    assert isinstance(summary, DemoSummary) and summary.seconds > 0
    assert "contacts" in str(summary) and "total" in str(summary)
    fractions = [done for _, done in reported]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert {"contacts", "orders", "activities"} <= {label for label, _ in reported}


def test_one_audit_row_summarises_the_run(demo: Engine) -> None:
    (user_id, source, entity_id), = rows(demo, "SELECT user_id, source, entity_id FROM audit_log "
                                               "WHERE action = 'bulk' AND entity = 'demo'")
    assert source == "cli" and entity_id is None
    assert scalar(demo, "SELECT username FROM users WHERE id = :id", id=user_id) == "admin"


def test_the_team_signs_in_with_the_demo_password(demo: Engine) -> None:
    with Session(demo) as session:
        assert authenticate(session=session, username="admin", password=DEMO_PASSWORD).role == "admin"
    roles = dict(rows(demo, "SELECT role, count(*) FROM users GROUP BY role"))
    assert roles["admin"] == 1 and roles["manager"] == 2 and roles["staff"] >= 4
    assert scalar(demo, "SELECT count(DISTINCT password_hash) FROM users") == 1  # hashed once


def test_contact_emails_are_unique_and_present(demo: Engine) -> None:
    assert scalar(demo, "SELECT count(DISTINCT lower(email)) FROM contacts") == CONTACTS
    assert scalar(demo, "SELECT count(*) FROM contacts WHERE email NOT LIKE '%_@_%.example'") == 0


def test_names_keep_their_diacritics(demo: Engine) -> None:
    names = {name for (name,) in rows(demo, "SELECT first_name || ' ' || last_name FROM contacts")}
    assert any(not name.isascii() for name in names)
    assert scalar(demo, "SELECT count(DISTINCT country) FROM contacts") >= 8


def test_every_deal_is_in_a_stage_of_its_own_pipeline(demo: Engine) -> None:
    assert scalar(demo, "SELECT count(*) FROM deals d JOIN stages s ON s.id = d.stage_id "
                        "WHERE s.pipeline_id <> d.pipeline_id") == 0
    assert scalar(demo, "SELECT count(DISTINCT pipeline_id) FROM deals") == 2


def test_stage_history_walks_from_the_first_stage_to_the_current_one(demo: Engine) -> None:
    current = dict(rows(demo, "SELECT id, stage_id FROM deals"))
    first_stage = dict(rows(demo, "SELECT d.id, (SELECT s.id FROM stages s "
                                  "WHERE s.pipeline_id = d.pipeline_id "
                                  "ORDER BY s.position, s.id LIMIT 1) FROM deals d"))
    visits: dict[int, list[Any]] = {}
    for row in rows(demo, "SELECT deal_id, stage_id, entered_at, exited_at FROM deal_stage_history "
                          "ORDER BY deal_id, entered_at, id"):
        visits.setdefault(row.deal_id, []).append(row)
    assert visits.keys() == current.keys()
    for deal_id, path in visits.items():
        assert path[0].stage_id == first_stage[deal_id]
        assert path[-1].stage_id == current[deal_id] and path[-1].exited_at is None
        assert all(a.exited_at == b.entered_at and a.entered_at <= b.entered_at for a, b in pairwise(path))


def test_closed_deals_sit_in_won_or_lost_stages_with_a_close_date(demo: Engine) -> None:
    by_status = {row.status: row for row in rows(demo, """
        SELECT d.status, count(*) AS deals,
               sum(CASE WHEN s.is_won THEN 1 ELSE 0 END) AS in_won,
               sum(CASE WHEN s.is_lost THEN 1 ELSE 0 END) AS in_lost,
               sum(CASE WHEN d.closed_at IS NULL THEN 0 ELSE 1 END) AS closed,
               sum(CASE WHEN d.closed_at = h.entered_at THEN 1 ELSE 0 END) AS closed_on_entry,
               sum(CASE WHEN d.lost_reason IS NULL THEN 0 ELSE 1 END) AS with_reason
        FROM deals d JOIN stages s ON s.id = d.stage_id
        JOIN deal_stage_history h ON h.deal_id = d.id AND h.exited_at IS NULL
        GROUP BY d.status""")}
    assert set(by_status) == {"open", "won", "lost"}
    won, lost, still_open = by_status["won"], by_status["lost"], by_status["open"]
    assert won.deals == won.in_won == won.closed == won.closed_on_entry
    assert lost.deals == lost.in_lost == lost.closed == lost.closed_on_entry == lost.with_reason
    assert still_open.in_won == still_open.in_lost == still_open.closed == 0


def test_order_totals_are_the_sum_of_their_lines(demo: Engine) -> None:
    worst = scalar(demo, """SELECT max(abs(o.total - l.amount)) FROM orders o
                           JOIN (SELECT order_id, sum(quantity * unit_price) AS amount
                                 FROM order_lines GROUP BY order_id) l ON l.order_id = o.id""")
    assert worst < 0.01
    assert scalar(demo, "SELECT count(*) FROM orders WHERE id NOT IN (SELECT order_id FROM order_lines)") == 0
    assert scalar(demo, "SELECT max(n) FROM (SELECT count(*) AS n FROM order_lines GROUP BY order_id) x") <= 4
    assert scalar(demo, "SELECT count(DISTINCT order_number) FROM orders") == scalar(
        demo, "SELECT count(*) FROM orders")


def test_laptops_are_often_bought_with_a_docking_station(demo: Engine) -> None:
    together = scalar(demo, """SELECT count(*) FROM order_lines a
        JOIN products pa ON pa.id = a.product_id AND pa.sku = 'HW-1001'
        JOIN order_lines b ON b.order_id = a.order_id
        JOIN products pb ON pb.id = b.product_id AND pb.sku = 'HW-1003'""")
    laptops = scalar(demo, "SELECT count(*) FROM order_lines l JOIN products p ON p.id = l.product_id "
                           "WHERE p.sku = 'HW-1001'")
    assert together / laptops > 0.25  # chance alone would be a few percent


def test_every_channel_appears_in_activities(demo: Engine) -> None:
    found = {channel for (channel,) in rows(demo, "SELECT DISTINCT channel FROM activities")}
    assert found == set(CHANNELS)
    assert {s for (s,) in rows(demo, "SELECT DISTINCT source FROM activities")} == {"demo"}
    assert scalar(demo, "SELECT count(*) FROM activities WHERE channel IN ('phone', 'meeting') "
                        "AND duration_minutes IS NULL") == 0


def test_history_lies_between_each_contact_and_today(demo: Engine, pinned_today: date) -> None:
    start = midnight(pinned_today)
    for sql in ("SELECT count(*) FROM orders o JOIN contacts c ON c.id = o.contact_id "
                "WHERE o.ordered_at < c.created_at",
                "SELECT count(*) FROM activities a JOIN contacts c ON c.id = a.contact_id "
                "WHERE a.occurred_at < c.created_at",
                "SELECT count(*) FROM deal_stage_history h JOIN deals d ON d.id = h.deal_id "
                "JOIN contacts c ON c.id = d.contact_id WHERE h.entered_at < c.created_at"):
        assert scalar(demo, sql) == 0, sql
    for table, column in (("orders", "ordered_at"), ("activities", "occurred_at"), ("contacts", "created_at"),
                          ("deal_stage_history", "entered_at"), ("cases", "opened_at"),
                          ("campaign_recipients", "responded_at"), ("tasks", "completed_at")):
        assert scalar(demo, f"SELECT count(*) FROM {table} WHERE {column} >= :start", start=start) == 0, table
    oldest = start - timedelta(days=3 * 365 + 1)
    assert scalar(demo, "SELECT count(*) FROM contacts WHERE created_at < :oldest", oldest=oldest) == 0
    recent = start - timedelta(days=30)  # anchored on the pinned day, not on the clock
    assert scalar(demo, "SELECT count(*) FROM orders WHERE ordered_at >= :recent", recent=recent) > 0


def test_tasks_are_overdue_due_today_upcoming_or_done(demo: Engine, pinned_today: date) -> None:
    start = midnight(pinned_today)
    end = start + timedelta(days=1)
    counts = rows(demo, """SELECT
        sum(CASE WHEN status = 'open' AND due_at < :start THEN 1 ELSE 0 END),
        sum(CASE WHEN status = 'open' AND due_at >= :start AND due_at < :end THEN 1 ELSE 0 END),
        sum(CASE WHEN status = 'open' AND due_at >= :end THEN 1 ELSE 0 END),
        sum(CASE WHEN status = 'done' AND completed_at IS NOT NULL AND due_at < :start THEN 1 ELSE 0 END),
        sum(CASE WHEN status <> 'done' AND completed_at IS NOT NULL THEN 1 ELSE 0 END)
        FROM tasks""", start=start, end=end)[0]
    overdue, due_today, upcoming, done, odd = counts
    assert min(overdue, due_today, upcoming, done) > 0 and odd == 0


def test_cases_follow_their_sla_and_status(demo: Engine) -> None:
    assert {s for (s,) in rows(demo, "SELECT DISTINCT status FROM cases")} >= {"open", "resolved", "closed"}
    assert scalar(demo, "SELECT count(*) FROM cases WHERE (status IN ('resolved', 'closed')) "
                        "<> (resolved_at IS NOT NULL)") == 0
    assert scalar(demo, "SELECT count(*) FROM cases "
                        "WHERE resolved_at < opened_at OR sla_due_at <= opened_at") == 0


def test_lifecycle_stage_follows_purchase_history(demo: Engine) -> None:
    by_stage = dict(rows(demo, """SELECT c.lifecycle_stage, count(*) FROM contacts c
        WHERE EXISTS (SELECT 1 FROM orders o WHERE o.contact_id = c.id) GROUP BY c.lifecycle_stage"""))
    assert set(by_stage) <= {"customer", "former"} and by_stage["customer"] > 0
    assert scalar(demo, """SELECT count(*) FROM contacts c WHERE c.lifecycle_stage IN ('customer', 'former')
        AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.contact_id = c.id)""") == 0


def test_email_campaigns_reach_only_contacts_who_consented(demo: Engine) -> None:
    assert scalar(demo, """SELECT count(*) FROM campaign_recipients r
        JOIN campaigns k ON k.id = r.campaign_id JOIN contacts c ON c.id = r.contact_id
        WHERE k.channel = 'email' AND c.consent_email = false""") == 0
    assert scalar(demo, "SELECT count(DISTINCT status) FROM campaign_recipients") >= 6
    assert scalar(demo, "SELECT count(*) FROM campaign_recipients WHERE status = 'pending' "
                        "AND sent_at IS NOT NULL") == 0


def test_new_rows_get_fresh_ids_after_the_demo(demo: Engine) -> None:
    with demo.begin() as connection:  # catches PostgreSQL sequences left behind by explicit ids
        connection.execute(text(
            "INSERT INTO contacts (first_name, last_name, lifecycle_stage, consent_email, consent_phone, "
            "consent_sms, unsubscribed, tags, custom, created_at, updated_at, version) "
            "VALUES ('Ana', 'Nova', 'lead', false, false, false, false, '[]', '{}', "
            "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"))
    assert scalar(demo, "SELECT max(id) FROM contacts") == CONTACTS + 1


def test_a_database_with_contacts_is_refused_and_left_alone(demo: Engine) -> None:
    with pytest.raises(ValidationError, match=f"already holds {CONTACTS} contacts"):
        generate_demo(demo, contacts=50)
    assert scalar(demo, "SELECT count(*) FROM contacts") == CONTACTS


def checksum(engine: Engine) -> str:
    digest = hashlib.sha256()
    for sql in ("SELECT id, first_name, last_name, email, company_id, lifecycle_stage, created_at "
                "FROM contacts ORDER BY id",
                "SELECT order_number, contact_id, total, ordered_at FROM orders ORDER BY id",
                "SELECT deal_id, stage_id, entered_at FROM deal_stage_history ORDER BY id",
                "SELECT contact_id, channel, occurred_at, outcome FROM activities ORDER BY id"):
        for row in rows(engine, sql):
            digest.update(repr([normalised(value) for value in row]).encode())
    return digest.hexdigest()


def normalised(value: Any) -> str:
    """SQLite hands back timestamps as text, PostgreSQL as datetimes: compare them as text."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    is_stamp = isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\d \S+", value)
    return value[:19] if is_stamp else str(value)


def fresh_sqlite(template: Path, path: Path) -> Engine:
    shutil.copy(template, path)
    return make_engine(f"sqlite:///{path}")


def test_the_same_seed_gives_the_same_data(demo: Engine, sqlite_template: Path, tmp_path: Path) -> None:
    again = fresh_sqlite(sqlite_template, tmp_path / "again.db")
    other = fresh_sqlite(sqlite_template, tmp_path / "other.db")
    generate_demo(again, contacts=CONTACTS, seed=42)
    generate_demo(other, contacts=CONTACTS, seed=7)
    assert checksum(demo) == checksum(again)  # on PostgreSQL this also compares across backends
    assert checksum(demo) != checksum(other)
    again.dispose()
    other.dispose()


def test_the_demo_rule_gives_a_won_deal_an_onboarding_task(demo: Engine) -> None:
    """The example automation rule is there and works: a Sales deal moved to Won gets its owner an
    onboarding call two days later."""
    from core.models import User
    from core.services.deals import move_deal

    deal_id, owner_id, title, won_id = rows(demo, """
        SELECT d.id, d.owner_id, d.title, w.id FROM deals d
        JOIN pipelines p ON p.id = d.pipeline_id AND p.name = 'Sales'
        JOIN stages w ON w.pipeline_id = p.id AND w.is_won = :yes
        WHERE d.status = 'open' AND d.owner_id IS NOT NULL AND d.deleted_at IS NULL
        ORDER BY d.id LIMIT 1""", yes=True)[0]
    with Session(demo, expire_on_commit=False) as session:
        owner = session.get(User, owner_id)
        assert owner is not None
        move_deal(session=session, user=owner, deal_id=deal_id, stage_id=won_id)
    tasks = rows(demo, "SELECT assignee_id, due_at FROM tasks WHERE deal_id = :d AND title = :t",
                 d=deal_id, t=f"Onboarding call: {title}")
    assert len(tasks) == 1 and tasks[0][0] == owner_id
    assert rows(demo, "SELECT status FROM automation_runs") == [("ok",)]
