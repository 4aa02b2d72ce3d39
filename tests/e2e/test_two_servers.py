"""Two `crm serve` processes on one PostgreSQL database, as behind a load balancer: what a person
saves through one is what the other shows at once, dashboards included (their caches are keyed by
the database's data version, never by the process)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from core.config import today
from core.db import make_engine
from core.demo import DEMO_PASSWORD, generate_demo
from core.migrate import upgrade
from tests.conftest import scratch_pg_database
from tests.e2e.conftest import ARTIFACTS, CHROMIUM_FLAGS, chromium_path, serve, wait_idle

pytestmark = pytest.mark.e2e


@pytest.fixture
def shared_database() -> Iterator[str]:
    """A fresh PostgreSQL database with the small demo in it, dropped afterwards."""
    with scratch_pg_database("crm_two") as url:
        engine = make_engine(url)
        upgrade(engine)
        generate_demo(engine, contacts=300)
        engine.dispose()
        yield url


def sign_in(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base_url)
    wait_idle(page)
    page.get_by_role("textbox", name="Username").fill("admin")
    page.get_by_role("textbox", name="Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.locator("[data-testid=stSidebarNav]").wait_for()
    wait_idle(page)


def open_page(page, title: str) -> None:  # type: ignore[no-untyped-def]
    page.locator("[data-testid=stSidebarNav] a", has_text=title).first.click()
    wait_idle(page)


def ask(page, question: str) -> str:  # type: ignore[no-untyped-def]
    """Type a question in the chat; the text of the assistant's answer to it."""
    wait_idle(page)  # the conversation so far is drawn, so the count below is all of it
    answers = page.locator("[data-testid=stChatMessage]")
    before = answers.count()
    box = page.locator("[data-testid=stChatInput] textarea")
    box.fill(question)
    box.press("Enter")
    # The answer is there when the newest message is the assistant's (its avatar reads smart_toy),
    # after the question's own message.
    page.wait_for_function(
        "n => { const m = document.querySelectorAll('[data-testid=stChatMessage]');"
        " return m.length >= n && m[m.length - 1].innerText.includes('smart_toy'); }", arg=before + 2)
    wait_idle(page)
    return str(answers.last.inner_text())


def won_deals(page) -> str:  # type: ignore[no-untyped-def]
    metric = page.locator("[data-testid=stMetric]", has_text="Won").first
    return str(metric.locator("[data-testid=stMetricValue]").inner_text()).strip()


def a_deal_to_win(url: str) -> str:
    """An open Sales deal created this year (the funnel's default) whose title no other deal shares."""
    engine = make_engine(url)
    with engine.connect() as connection:
        title = connection.execute(text("""
            SELECT d.title FROM deals d JOIN pipelines p ON p.id = d.pipeline_id AND p.name = 'Sales'
            WHERE d.status = 'open' AND d.deleted_at IS NULL
              AND d.created_at >= :year_start
              AND (SELECT count(*) FROM deals o WHERE lower(o.title) = lower(d.title)) = 1
            ORDER BY d.id LIMIT 1"""), {"year_start": date(today().year, 1, 1)}).scalar_one()
    engine.dispose()
    return str(title)


def test_an_edit_through_one_server_shows_in_the_other(shared_database: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
    with ExitStack() as stack:
        first, _ = stack.enter_context(contextlib.contextmanager(serve)(tmp_path / "a", shared_database))
        second, _ = stack.enter_context(contextlib.contextmanager(serve)(tmp_path / "b", shared_database))
        playwright = stack.enter_context(sync_playwright())
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        one, other = (browser.new_context(viewport={"width": 1400, "height": 900}).new_page() for _ in "ab")
        for page, base_url in ((one, first), (other, second)):
            page.set_default_timeout(30_000)
            sign_in(page, base_url)
        # Server one shows the funnel (warming its cache) and counts the open tasks.
        open_page(one, "Sales funnel")
        won_before = won_deals(one)
        open_page(one, "Assistant")
        tasks_before = ask(one, "how many open tasks are there?")
        # Server two: a task and a won deal, each confirmed in the chat.
        open_page(other, "Assistant")
        assert "confirm" in ask(other, "remind me to call the board tomorrow").lower()
        assert "Done" in ask(other, "yes")
        assert "confirm" in ask(other, f"move the deal {a_deal_to_win(shared_database)} to Won").lower()
        assert "Done" in ask(other, "yes")
        # Server one sees both at once.
        tasks_after = ask(one, "how many open tasks are there?")
        open_page(one, "Sales funnel")
        won_after = won_deals(one)
        one.screenshot(path=str(ARTIFACTS / "two-servers-funnel.png"))
        browser.close()
    # The reminder, and the onboarding call the demo's automation rule adds to a deal entering Won.
    assert _figure(tasks_after) == _figure(tasks_before) + 2
    assert int(won_after.replace(",", "")) == int(won_before.replace(",", "")) + 1


def _figure(answer: str) -> int:
    """The figure at the end of "Open tasks, all time: 1,234"."""
    return int(answer.split(":")[-1].split()[0].replace(",", ""))
