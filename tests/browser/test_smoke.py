"""Smoke test in a real browser: log in, then open every page of the navigation.

A streamlit server runs ``app.py`` on a private copy of the demo workspace with its
own credentials file; Debian's Chromium (``/usr/bin/chromium``, never Playwright's
own download) logs in, visits each sidebar link, checks that no exception is shown
and saves a full-page screenshot to ``test-artifacts/screenshots/<page>.png``.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from cloudoptima import Workspace
from cloudoptima.auth import UserStore

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT_S = 60
PAGE_TIMEOUT_MS = 45_000


@dataclass(frozen=True)
class Server:
    url: str
    username: str
    password: str
    log: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"streamlit exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200 and response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.25)
    pytest.fail(f"streamlit did not answer within {START_TIMEOUT_S} s:\n{log.read_text()}")


@pytest.fixture
def server(demo_workspace: Workspace, tmp_path: Path) -> Iterator[Server]:
    """``streamlit run app.py`` on a copy of the demo, with one admin."""
    root = tmp_path / "workspace"
    shutil.copytree(demo_workspace.root, root, ignore=shutil.ignore_patterns("demo-source", "raw"))
    store = UserStore(tmp_path / "credentials.yaml")
    store.add_organisation("default", root, "Contoso Pharma")
    password = store.add_user("admin", org="default", role="admin", name="Administrator")
    port = _free_port()
    env = {
        **os.environ,
        "CLOUDOPTIMA__AUTH__CREDENTIALS_FILE": str(store.path),
        "CLOUDOPTIMA__AUTH__COOKIE_KEY": "browser-test-cookie-key",
        "CLOUDOPTIMA_WORKSPACE": str(root),
    }
    log = tmp_path / "streamlit.log"
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, process, log)
        yield Server(url, "admin", password, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


_IDLE = """() => {
    const state = document.querySelector('[data-testid="stApp"]')?.getAttribute("data-test-script-state");
    return !!state && !["initial", "running", "rerunRequested", "stopRequested"].includes(state);
}"""


def _settle(page: Page, quiet_ms: int = 600) -> None:
    """Wait until the script run has ended and no new run starts within ``quiet_ms``."""
    deadline = time.monotonic() + PAGE_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        page.wait_for_function(_IDLE, timeout=PAGE_TIMEOUT_MS)
        page.wait_for_timeout(quiet_ms)
        if page.evaluate(_IDLE):
            expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0)
            return
    pytest.fail(f"the app kept running for {PAGE_TIMEOUT_MS / 1000:.0f} s")


def _log_in(page: Page, username: str, password: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Login").click()


def _assert_no_exception(page: Page, name: str) -> None:
    exceptions = page.locator('[data-testid="stException"]')
    if exceptions.count():
        pytest.fail(f"page {name} shows an exception:\n{exceptions.first.inner_text()}")
    body = page.locator("body").inner_text()
    assert "Traceback" not in body, f"page {name} shows a traceback:\n{body}"


def _screenshot(page: Page, path: Path) -> None:
    """Whole page: streamlit scrolls inside ``stMain``, so grow the viewport to fit it."""
    viewport = page.viewport_size or {"width": 1440, "height": 1000}
    height = page.evaluate(
        "() => document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight ?? 0"
    )
    page.set_viewport_size(
        {"width": viewport["width"], "height": min(max(int(height), viewport["height"]), 10_000)}
    )
    page.wait_for_timeout(400)  # charts re-layout to the new size
    page.screenshot(path=path, full_page=True)
    page.set_viewport_size(viewport)


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "page"


def test_every_page_renders(server: Server, browser: Browser) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    page.goto(server.url)
    expect(page.get_by_label("Username")).to_be_visible()
    _settle(page)
    # before login the sidebar names no page at all
    expect(page.locator('[data-testid="stSidebarNav"]')).to_have_count(0)
    expect(page.locator('[data-testid="stPageLink-NavLink"]')).to_have_count(0)

    _log_in(page, server.username, "not-the-password")
    expect(page.get_by_text("Wrong username or password.")).to_be_visible()
    expect(page.get_by_label("Username")).to_be_visible()

    _log_in(page, server.username, server.password)
    expect(page.get_by_label("Username")).to_have_count(0)
    nav = page.locator('[data-testid="stSidebar"]')
    links = nav.locator('[data-testid="stPageLink-NavLink"]')
    expect(links.first).to_be_visible()
    _settle(page)
    titles = [link.inner_text().strip().splitlines()[-1] for link in links.all()]  # after the icon
    assert len(titles) >= 10, f"expected every page in the menu, found {titles}"

    for title in titles:
        link = links.filter(has_text=title).first
        path = (
            str(link.get_attribute("href")).strip("/").rsplit("/", 1)[-1]
        )  # "costs", "" for the home
        link.click()
        page.wait_for_url(
            lambda url, path=path: (
                url.rstrip("/").endswith("/" + path) or (not path and url.count("/") == 3)
            )
        )
        expect(page.locator('[data-testid="stMainBlockContainer"] h1').first).to_be_visible()
        _settle(page)
        _assert_no_exception(page, title)
        _screenshot(page, SCREENSHOTS / f"{_slug(title)}.png")


def test_logout_returns_to_the_login_form(server: Server, browser: Browser) -> None:
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    page.goto(server.url)
    _log_in(page, server.username, server.password)
    expect(page.get_by_label("Username")).to_have_count(0)
    _settle(page)
    expect(page.get_by_text("Overview · Contoso Pharma")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_label("Username")).to_be_visible()
    expect(page.get_by_text("Overview · Contoso Pharma")).to_have_count(0)
    page.reload()  # the login cookie is gone too: a reload does not log back in
    expect(page.get_by_label("Username")).to_be_visible()
    expect(page.get_by_text("Month to date")).to_have_count(0)
