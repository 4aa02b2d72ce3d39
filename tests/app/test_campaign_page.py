"""The campaign workspace under AppTest: create, audience, message and preview, send with a
confirmation, record a response in the recipients table, results chart."""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from core.models import User
from tests.app.conftest import sign_in
from tests.integration.campaign_data import add_baskets, add_campaign, add_contact, add_segment


def _open(app_factory: Any, username: str = "sam") -> AppTest:
    at = sign_in(app_factory(), username)
    at.switch_page("../pages/campaign.py")
    return at.run()


def _ok(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def _rows(engine: Engine, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def _values(data: Any) -> list[int]:
    """A plotly array from a figure's JSON: a list, or numpy bytes in base64."""
    if isinstance(data, dict):
        return np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"]).tolist()
    return list(data)


def _by_label(widgets: Any, label: str) -> Any:
    return next(w for w in widgets if w.label == label)


def test_a_new_campaign_is_created_from_the_page(app_factory: Any, engine: Engine, staff: User) -> None:
    add_segment(engine, "Milano", [{"field": "city", "op": "=", "value": "Milano"}])
    at = _open(app_factory)
    _ok(at)
    assert "No campaign yet" in at.info[0].value
    _by_label(at.text_input, "Name").input("Autumn news")
    at.selectbox(key="campaign:new-segment").select_index(1)
    _by_label(at.button, "Create draft").click()
    at.run()
    _ok(at)
    assert _rows(engine, "SELECT c.name, c.status, c.channel, s.name, u.username FROM campaigns c "
                         "JOIN segments s ON s.id = c.segment_id JOIN users u ON u.id = c.owner_id") == [
        ("Autumn news", "draft", "email", "Milano", "sam")]
    assert at.success[0].value.replace("\\", "") == "Draft campaign 'Autumn news' created."


def test_message_preview_send_response_and_results(app_factory: Any, engine: Engine, staff: User) -> None:
    ana = add_contact(engine, staff, "Ana", "Alves")
    add_contact(engine, staff, "Bea", "Bruni", consent_email=False)
    segment = add_segment(engine, "Milano", [{"field": "city", "op": "=", "value": "Milano"}])
    campaign = add_campaign(engine, staff, segment_id=segment.id, subject=None, body=None)
    at = _open(app_factory)
    _ok(at)
    assert [m.value for m in at.metric][:3] == ["1", "0", "1"]  # will receive, already sent, excluded

    _by_label(at.text_input, "Subject").input("Hi {frist_name}")
    _by_label(at.button, "Save message").click()
    at.run()
    assert "unknown placeholder {frist_name}" in at.error[0].value.replace("\\", "")
    _by_label(at.text_input, "Subject").input("Hi {first_name}")
    _by_label(at.text_area, "Body").input("Hello {first_name} from {city}")
    _by_label(at.button, "Save message").click()
    at.run()
    _ok(at)
    assert _rows(engine, "SELECT subject, body FROM campaigns") == [
        ("Hi {first_name}", "Hello {first_name} from {city}")]
    assert "Hello Ana from Milano" in [t.value for t in at.text]

    at.button(key=f"campaign:{campaign.id}:confirm:ask").click()
    at.run()
    assert "to 1 contact(s)?" in at.warning[0].value
    at.button(key=f"campaign:{campaign.id}:confirm:yes").click()
    at.run()
    _ok(at)
    assert _rows(engine, "SELECT to_address, subject, body, status FROM outbox_messages") == [
        ("ana@example.com", "Hi Ana", "Hello Ana from Milano", "queued")]
    assert _rows(engine, "SELECT status FROM campaigns") == [("sent",)]

    editor = f"campaign:{campaign.id}:recipients:1:0"
    at.session_state[editor] = {"edited_rows": {0: {"response": "interested"}}, "added_rows": [],
                                "deleted_rows": []}
    at.button(key=f"{editor}:save").click()
    at.run()
    _ok(at)
    assert _rows(engine, "SELECT contact_id, response FROM campaign_recipients") == [(ana.id, "interested")]
    assert _rows(engine, "SELECT contact_id FROM tasks") == [(ana.id,)]
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert _values(spec["data"][0]["y"]) == [1, 1, 1, 0, 0, 1, 0]  # sent .. interested, ordered


def test_the_page_runs_for_a_staff_member_with_a_phone_campaign(app_factory: Any, engine: Engine,
                                                                staff: User, manager: User) -> None:
    add_campaign(engine, manager, name="Manager's calls", channel="phone")
    add_campaign(engine, staff, name="My calls", channel="phone", subject="Renewal", body="Ask about it")
    at = _open(app_factory)
    _ok(at)
    assert [o for o in at.selectbox(key="campaign:pick").options] == ["My calls · phone · draft"]
    mine = add_contact(engine, staff, "Ana", "Alves", city="Torino")
    add_contact(engine, manager, "Mario", "Rossi", city="Torino")  # the manager's: not Sam's to call
    _by_label(at.selectbox, "Field").select("city")
    _by_label(at.text_input, "Value").input("Torino")
    _by_label(at.button, "Add").click()
    at.run()
    _ok(at)
    assert at.success[0].value.replace("\\", "") == "Added 1 contact(s)."
    assert _rows(engine, "SELECT contact_id, status FROM campaign_recipients") == [(mine.id, "pending")]
    assert "Sending now creates **1** call tasks" in " ".join(m.value for m in at.markdown)


def test_a_cross_sell_campaign_starts_from_the_baskets_page(app_factory: Any, engine: Engine,
                                                            staff: User) -> None:
    from core.analytics import cache

    cache.RESULTS.clear()  # PostgreSQL test databases reuse ids: never serve another test's figures
    ana, bea, carl = (add_contact(engine, staff, name, "X").id for name in ("Ana", "Bea", "Carl"))
    add_baskets(engine, staff, {ana: [["Tent", "Stove"]], bea: [["Tent", "Stove"], ["Tent"]],
                                carl: [["Tent"], ["Lamp"]]})
    at = sign_in(app_factory(), "sam")
    at.switch_page("../pages/baskets.py")
    at.run()
    _ok(at)
    at.selectbox(key="baskets:product").select("Tent").run()
    at.selectbox(key="baskets:offer:Tent").select("Stove").run()
    button = at.button(key="baskets:campaign:Tent:Stove")
    assert button.label == "Start a campaign for these 1 contacts"
    button.click()
    at.run()
    _ok(at)
    assert at.title[0].value == "Campaign workspace"
    assert _rows(engine, "SELECT c.name, r.contact_id, r.status FROM campaigns c JOIN campaign_recipients r "
                         "ON r.campaign_id = c.id") == [
        ("Cross-sell Stove to buyers of Tent", carl, "pending")]
