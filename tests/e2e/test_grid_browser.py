"""Real browser: sign in, edit a contact's city in the grid (a canvas), save, reload, see it."""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect
from sqlalchemy import text

from core.db import make_engine
from core.models import Contact
from tests.conftest import PASSWORD
from tests.e2e.conftest import ARTIFACTS, wait_idle

pytestmark = pytest.mark.e2e


def _seed(url: str) -> None:
    from sqlmodel import Session

    engine = make_engine(url)
    with Session(engine) as session:
        owner = session.execute(text("SELECT id FROM users WHERE username = 'sam'")).scalar()
        session.add(
            Contact(first_name="Ana", last_name="Rossi", email="ana@x.io", city="Roma", owner_id=owner)
        )
        session.commit()
    engine.dispose()


def _sign_in(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base_url)
    wait_idle(page)
    page.get_by_role("textbox", name="Username").fill("sam")
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Good day, Sam").wait_for()
    wait_idle(page)


def _type_city(page, grid, city: str) -> None:  # type: ignore[no-untyped-def]
    """Spreadsheet keys on the canvas grid: click a cell, walk right to "city", Enter, type, Enter."""
    box = grid.bounding_box()
    # The grid holds one contact: its row sits just above the trailing "add row" line (35 px each);
    # the click lands on "First name", then five steps right reach "city".
    page.mouse.click(box["x"] + 120, box["y"] + box["height"] - 52)
    page.wait_for_timeout(300)
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")  # open the cell editor, then type into it once it is there
    editor = page.locator("textarea.gdg-input, input.gdg-input").first
    editor.fill(city, timeout=5000)
    editor.press("Enter")


def _open_contacts(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("link", name="Contacts").first.click()
    page.get_by_role("heading", name="Contacts").wait_for()
    wait_idle(page)


def test_edit_a_cell_save_reload_and_see_it(page, served_app) -> None:  # type: ignore[no-untyped-def]
    base_url, url = served_app
    _seed(url)
    _sign_in(page, base_url)
    _open_contacts(page)
    grid = page.locator("[data-testid=stDataFrame]").first
    grid.wait_for()
    save = page.get_by_role("button", name="Save changes")
    for _ in range(3):  # the canvas sometimes misses the first keystrokes while it takes focus
        try:
            _type_city(page, grid, "Torino")
            expect(save).to_be_enabled(timeout=10_000)
            break
        except (PlaywrightTimeout, AssertionError):
            page.keyboard.press("Escape")
    wait_idle(page)
    page.screenshot(path=str(ARTIFACTS / "grid-edited.png"), full_page=True)
    page.get_by_role("button", name="Save changes").click()
    wait_idle(page)
    page.reload()  # a reload is a new session: sign in again, then open the grid
    _sign_in(page, base_url)
    _open_contacts(page)
    page.locator("[data-testid=stDataFrame]").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "grid-after-reload.png"), full_page=True)
    assert page.locator("[data-testid=stException]").count() == 0
    engine = make_engine(url)
    with engine.connect() as connection:
        row = connection.execute(text("SELECT city, version FROM contacts")).one()
    engine.dispose()
    assert tuple(row) == ("Torino", 2)
