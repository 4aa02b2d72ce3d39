"""The analytics pages under AppTest, on a small demo database, as an admin and as a staff user."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core import config
from core.analytics import cache
from core.demo import DEMO_PASSWORD, generate_demo
from core.models import Contact
from tests.app.conftest import sign_in
from tests.conftest import insert_user

PAGES = ["funnel", "segments", "loyalty", "baskets", "potential", "campaign_results"]


@pytest.fixture
def demo(engine: Engine) -> Engine:
    cache.RESULTS.clear()  # PostgreSQL test databases reuse ids: never serve another test's figures
    generate_demo(engine, contacts=300)
    return engine


def _open(app_factory, username: str, page: str):  # type: ignore[no-untyped-def]
    at = sign_in(app_factory(), username, DEMO_PASSWORD)
    at.switch_page(f"../pages/{page}.py")
    return at.run()


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("username", ["admin", "luca"])
def test_every_analytics_page_runs(app_factory, demo, username: str, page: str) -> None:
    at = _open(app_factory, username, page)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value


def _expected_reached(engine: Engine, owner: str | None) -> list[int]:
    """Deals of the default pipeline reaching each non-lost stage, worked out from the tables."""
    owner_sql = "AND u.username = :owner" if owner else ""
    with engine.connect() as connection:
        stages = connection.execute(text(
            "SELECT s.position FROM stages s JOIN pipelines p ON p.id = s.pipeline_id "
            "WHERE p.is_default AND NOT s.is_lost ORDER BY s.position")).scalars().all()
        furthest = connection.execute(text(
            "SELECT d.id, max(CASE WHEN s.is_lost THEN NULL ELSE s.position END) "
            "FROM deals d JOIN pipelines p ON p.id = d.pipeline_id AND p.is_default "
            "JOIN deal_stage_history h ON h.deal_id = d.id JOIN stages s ON s.id = h.stage_id "
            f"LEFT JOIN users u ON u.id = d.owner_id WHERE d.deleted_at IS NULL {owner_sql} GROUP BY d.id"),
            {"owner": owner}).all()
    positions = [row[1] if row[1] is not None else stages[0] for row in furthest]
    return [sum(1 for p in positions if p >= stage) for stage in stages]


def test_the_segments_page_draws_only_the_open_tab(app_factory, demo) -> None:
    """The closed tabs' figures are not read (a third of a cold open at a million contacts); opening
    one draws it."""
    at = _open(app_factory, "admin", "segments")
    assert [tab.label for tab in at.tabs] == ["RFM segments", "New contacts over time", "Demographics"]
    assert [box.label for box in at.selectbox] == ["Segment"] and len(at.get("plotly_chart")) == 1
    at.session_state["segments:tab"] = "New contacts over time"
    at.run()
    assert not at.exception and not at.selectbox
    [trend] = at.get("plotly_chart")
    assert "New contacts per month" in trend.proto.spec
    at.session_state["segments:tab"] = "Demographics"
    at.run()
    assert not at.exception and [group.label for group in at.get("button_group")] == ["Measure"]
    assert len(at.get("plotly_chart")) == 3  # age band, gender, household income


@pytest.mark.parametrize("username", ["admin", "luca"])
def test_the_funnel_chart_holds_the_stage_counts(app_factory, demo, username: str) -> None:
    at = _open(app_factory, username, "funnel")
    at.selectbox(key="funnel:period").select("all time").run()
    assert not at.exception
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    expected = _expected_reached(demo, None if username == "admin" else username)
    assert spec["data"][0]["type"] == "funnel"
    assert spec["data"][0]["x"] == expected and expected[0] > expected[-1] > 0
    assert spec["data"][0]["textinfo"] == "value+percent previous+percent initial"


def test_cross_sell_suggests_products_for_a_chosen_customer(app_factory, demo) -> None:
    with demo.connect() as connection:
        email = connection.execute(text(
            "SELECT c.email FROM contacts c JOIN orders o ON o.contact_id = c.id "
            "JOIN order_lines l ON l.order_id = o.id WHERE o.status <> 'cancelled' AND c.email IS NOT NULL "
            "GROUP BY c.id, c.email ORDER BY count(DISTINCT l.product_id) DESC, c.id LIMIT 1")).scalar_one()
    at = _open(app_factory, "admin", "baskets")
    at.text_input(key="baskets:find").input(email).run()
    at.selectbox(key=f"baskets:pick:{email.lower()}").select_index(0).run()
    assert not at.exception
    advice = next(frame.value for frame in at.dataframe if "reason" in frame.value.columns)
    assert len(advice) > 0 and advice["reason"].str.startswith("because you bought").all()


def test_a_prospect_is_accepted_only_when_a_person_says_so(app_factory, demo) -> None:
    at = _open(app_factory, "luca", "potential")
    assert not at.exception and not at.info, [i.value for i in at.info]
    assert _tagged(demo) == 0  # scoring alone stores nothing
    table = next(frame for frame in at.dataframe if "factor_1" in frame.value.columns)
    first = int(table.value["contact_id"].iloc[0])
    at.session_state["potential:table:to review"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    next(b for b in at.button if b.label == "Accept").click().run()
    assert not at.exception and "Marked 1 prospect(s) as accepted" in at.success[0].value
    assert _tagged(demo) == 1
    with demo.connect() as connection:
        owner, tags = connection.execute(text(
            "SELECT u.username, c.tags FROM contacts c JOIN users u ON u.id = c.owner_id WHERE c.id = :id"),
            {"id": first}).one()
        audited = connection.execute(text("SELECT count(*) FROM audit_log WHERE entity = 'contacts' "
                                          "AND entity_id = :id"), {"id": first}).scalar()
    assert owner == "luca" and "prospect-accepted" in (tags if isinstance(tags, list) else json.loads(tags))
    assert audited == 1


def _model_note(at) -> str:  # type: ignore[no-untyped-def]
    return next(caption.value for caption in at.caption if caption.value.startswith("Model fitted on"))


def test_the_potential_page_says_when_and_on_how_many_contacts_the_model_was_fitted(
        app_factory, demo, pinned_today, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    at = _open(app_factory, "admin", "potential")
    with demo.connect() as connection:
        kept = json.loads(connection.execute(text(
            "SELECT params FROM potential_models WHERE horizon_days = 90")).scalar())
    assert kept["as_of"] == pinned_today.isoformat()
    note = _model_note(at)
    assert f"{pinned_today:%d %B %Y} on {kept['contacts']:,} contacts;" in note, note
    assert "administrator" not in note
    # Three days on and no cron job: scored with the same model, and the page says how to refit.
    monkeypatch.setenv("CRM_TODAY", (pinned_today + timedelta(days=3)).isoformat())
    config.get_settings.cache_clear()
    at.run()
    note = _model_note(at)
    assert not at.exception and f"{pinned_today:%d %B %Y} on {kept['contacts']:,} contacts;" in note, note
    assert "crm summaries refresh" in note and "administrator" in note


def _tagged(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(
            "SELECT count(*) FROM audit_log WHERE entity = 'contacts' AND action = 'update'")).scalar() or 0)


def _contact_page(app_factory, username: str, contact_id: int):  # type: ignore[no-untyped-def]
    at = sign_in(app_factory(), username, DEMO_PASSWORD)
    at.switch_page("../pages/contact.py")
    at.query_params["id"] = str(contact_id)
    return at.run()


def test_the_contact_page_shows_the_score_as_advice(app_factory, demo) -> None:
    with demo.connect() as connection:
        contact_id = connection.execute(text(
            "SELECT c.id FROM contacts c JOIN users u ON u.id = c.owner_id WHERE u.username = 'luca' "
            "AND c.deleted_at IS NULL ORDER BY c.id LIMIT 1")).scalar_one()
    at = _contact_page(app_factory, "luca", contact_id)
    assert not at.exception
    assert any("Sales potential" in m.value and "advice" in m.value for m in at.markdown)
    chance = next(m for m in at.metric if m.label.startswith("Chance to buy in the next 90 days"))
    assert chance.value.endswith("%") and 0 <= int(chance.value.rstrip("%")) <= 100
    assert any(m.value.startswith("- ") and "(" in m.value for m in at.markdown)  # the reasons


def test_without_enough_history_the_contact_page_says_so(app_factory, engine) -> None:
    cache.RESULTS.clear()
    insert_user(engine, "solo", "admin", team=None)
    with Session(engine) as session:
        contact = Contact(first_name="Lone", last_name="Ranger")
        session.add(contact)
        session.commit()
        contact_id = contact.id
    at = sign_in(app_factory(), "solo")
    at.switch_page("../pages/contact.py")
    at.query_params["id"] = str(contact_id)
    at.run()
    assert not at.exception
    assert any("No score for this contact: Not enough history" in c.value for c in at.caption)
