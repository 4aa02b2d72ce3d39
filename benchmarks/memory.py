"""Peak memory of the Streamlit process: `crm serve` on the database, a headless chromium signed
in as the admin opening every page of the sidebar in turn; the peak resident set (VmHWM) of the
Streamlit process is read from /proc before it is stopped.

Needs chromium and playwright (as the e2e tests); without them the row says why it has no figure.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.harness import ROOT, Result

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LIMIT_MB = 1536


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(child) for child in task.read_text().split()]
    return found


def _descendants(pid: int) -> list[int]:
    found = []
    for child in _children(pid):
        found += [child, *_descendants(child)]
    return found


def _peak_mb(pid: int) -> float:
    """The largest peak resident set (VmHWM) among `pid` and its descendants: the Streamlit server
    (`crm serve` itself only waits for it)."""
    peaks = []
    for each in [pid, *_descendants(pid)]:
        status = Path(f"/proc/{each}/status")
        if status.exists():
            peaks += [int(line.split()[1]) / 1024 for line in status.read_text().splitlines()
                      if line.startswith("VmHWM:")]
    return max(peaks, default=0.0)


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    """Wait until `crm serve` listens on `port` (fails at once if it exited): the e2e tests use it too."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"crm serve exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise TimeoutError(f"crm serve did not listen on {port} within {timeout} s")


def wait_idle(page, timeout: float = 30_000) -> None:  # type: ignore[no-untyped-def]
    """Wait until the app is connected and its script has finished running."""
    page.wait_for_selector("[data-testid=stApp][data-test-connection-state=CONNECTED]", timeout=timeout)
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=timeout)


def _visit_every_page(base_url: str, username: str, password: str, timeout_s: float) -> int:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    timeout = timeout_s * 1000
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(timeout)
        page.goto(base_url)
        wait_idle(page, timeout)
        page.get_by_role("textbox", name="Username").fill(username)
        page.get_by_role("textbox", name="Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.locator("[data-testid=stSidebarNav]").wait_for()
        wait_idle(page, timeout)
        links = page.locator("[data-testid=stSidebarNav] a")
        count = links.count()
        for index in range(count):
            links.nth(index).click()
            page.wait_for_timeout(300)
            wait_idle(page, timeout)
        browser.close()
    return count


def bench(url: str, username: str, password: str, timeout_s: float = 300) -> Result:
    missing = _missing()
    if missing:
        return Result("memory", "Streamlit process peak RSS", unit="MB", note=f"not measured: {missing}",
                      target=f"< {LIMIT_MB:,} MB")
    port = _free_port()
    env = {**os.environ, "CRM_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    # A session of its own: `crm serve` starts Streamlit as a child, and stopping only the parent
    # would leave that server running.
    process = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port)], cwd=ROOT,
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        wait_for_port(port, process)
        pages = _visit_every_page(f"http://127.0.0.1:{port}", username, password, timeout_s)
        peak = _peak_mb(process.pid)
    finally:
        _stop(process)
    return Result("memory", f"Streamlit process peak RSS ({pages} pages opened in turn)", unit="MB",
                  median=peak, target=f"< {LIMIT_MB:,} MB", ok=peak < LIMIT_MB, samples=1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop `crm serve` and the Streamlit server it started (its whole process group)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=20)
    except ProcessLookupError:
        pass


def _missing() -> str:
    if not Path("/proc/self/status").exists():
        return "no /proc on this system"
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        return "chromium is not installed"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed"
    return ""
