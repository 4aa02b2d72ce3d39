"""A real browser (Debian's chromium through playwright) against `crm serve` on a test database."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.memory import wait_for_port, wait_idle  # noqa: F401  (the e2e tests import wait_idle from here)
from core.db import make_engine
from core.migrate import upgrade
from tests.conftest import insert_user

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is required in CI (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served_app(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """`crm serve` (the installed console script, as a user starts it) on a fresh database."""
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    engine = make_engine(url)
    upgrade(engine)
    insert_user(engine, "sam", "staff")
    engine.dispose()
    yield from serve(tmp_path, url)


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """`crm serve` on a small demo database (the demo's users, password DEMO_PASSWORD)."""
    from core.demo import generate_demo

    folder = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{folder / 'crm.db'}"
    engine = make_engine(url)
    upgrade(engine)
    generate_demo(engine, contacts=400)
    engine.dispose()
    yield from serve(folder, url)


def serve(tmp_path: Path, url: str) -> Iterator[tuple[str, str]]:
    port = free_port()
    crm = str(Path(sys.executable).parent / "crm")
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen([crm, "serve", "--port", str(port)], cwd=tmp_path, stdout=log,
                               stderr=subprocess.STDOUT, env={**os.environ, "CRM_DATABASE_URL": url})
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}", url
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture
def page() -> Iterator:  # type: ignore[type-arg]
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(30_000)
        yield page
        browser.close()


