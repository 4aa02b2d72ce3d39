"""Real-browser check of the shell: sign in through `crm serve`, see the home page, no errors."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import ARTIFACTS, wait_idle

pytestmark = pytest.mark.e2e


def test_sign_in_and_see_home(page, served_app) -> None:  # type: ignore[no-untyped-def]
    base_url, _ = served_app
    page.goto(base_url)
    wait_idle(page)
    page.get_by_role("textbox", name="Username").fill("sam")
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Good day, Sam").wait_for()
    wait_idle(page)
    page.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)
    assert page.locator("[data-testid=stException]").count() == 0
    assert page.get_by_text("Open pipeline").count() == 1
