"""Every page of the sidebar, opened in a real browser by an admin on a demo database: none shows
an exception, and each leaves a screenshot in test-artifacts/pages/ to look at."""

from __future__ import annotations

import re

import pytest

from core.demo import DEMO_PASSWORD
from tests.e2e.conftest import ARTIFACTS, wait_idle

pytestmark = pytest.mark.e2e


def sign_in(page, base_url: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base_url)
    wait_idle(page)
    page.get_by_role("textbox", name="Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.locator("[data-testid=stSidebarNav]").wait_for()
    wait_idle(page)


def test_every_page_opens_without_an_error(page, demo_app) -> None:  # type: ignore[no-untyped-def]
    base_url, _ = demo_app
    sign_in(page, base_url, "admin")
    links = page.locator("[data-testid=stSidebarNav] a")
    titles = [links.nth(i).inner_text().strip().splitlines()[-1] for i in range(links.count())]
    assert len(titles) >= 20, titles  # the whole navigation is there, not a stub
    folder = ARTIFACTS / "pages"
    folder.mkdir(parents=True, exist_ok=True)
    broken = []
    for index, title in enumerate(titles):
        links.nth(index).click()
        wait_idle(page)
        page.wait_for_timeout(300)  # charts draw after the script ends
        wait_idle(page)
        page.screenshot(path=str(folder / f"{re.sub(r'[^a-z0-9]+', '_', title.lower())}.png"),
                        full_page=True)
        errors = page.locator("[data-testid=stException]")
        if errors.count() or page.get_by_text("Traceback (most recent call last)").count():
            broken.append(f"{title}: {errors.first.inner_text()[:300] if errors.count() else 'traceback'}")
    assert not broken, "\n".join(broken)


def test_the_assistant_answers_with_a_chart_in_the_browser(page, demo_app) -> None:  # type: ignore[no-untyped-def]
    base_url, _ = demo_app
    sign_in(page, base_url, "admin")
    page.locator("[data-testid=stSidebarNav] a", has_text="Assistant").first.click()
    wait_idle(page)
    box = page.locator("[data-testid=stChatInput] textarea")
    box.fill("revenue by month this year")
    box.press("Enter")
    page.get_by_text("How this was computed").first.wait_for()
    wait_idle(page)
    page.locator(".js-plotly-plot").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "assistant_answer.png"))
    assert page.locator("[data-testid=stException]").count() == 0
    assert page.get_by_text("Revenue by month").count() >= 1
