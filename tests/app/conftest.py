"""AppTest fixtures: the app runs in-process against the test's own database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from core import config
from tests.conftest import PASSWORD

ENTRYPOINT = str(Path(__file__).resolve().parents[2] / "app" / "main.py")


@pytest.fixture
def app_factory(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Callable[[], AppTest]:
    monkeypatch.setenv("CRM_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    config.get_settings.cache_clear()
    return lambda: AppTest.from_file(ENTRYPOINT, default_timeout=30)


def sign_in(at: AppTest, username: str, password: str = PASSWORD) -> AppTest:
    at.run()
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click()
    return at.run()
