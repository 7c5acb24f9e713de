"""Smoke test in a real browser: log in, then open and read every page of the navigation.

A streamlit server runs ``app.py`` on a private copy of the demo workspace whose imported
names are hostile (tests/hostile.py: Markdown images and links, HTML) with its own
credentials file; Debian's Chromium (``/usr/bin/chromium``, never Playwright's own
download) logs in and visits each sidebar link. Every page must show no exception,
traceback, Streamlit documentation or ``DeltaGenerator`` text, must never make the
browser fetch the hostile image or render the hostile link, and is kept as a full-page
screenshot in ``test-artifacts/screenshots/<page>.png``.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hostile import EVIL_HOST, RESOURCE, hostile_workspace
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
    root = hostile_workspace(demo_workspace, tmp_path / "workspace").root
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


def _assert_clean(page: Page, name: str) -> None:
    """No exception, traceback, docs dump, stray object or hostile markup on the page."""
    exceptions = page.locator('[data-testid="stException"]')
    if exceptions.count():
        pytest.fail(f"page {name} shows an exception:\n{exceptions.first.inner_text()}")
    body = page.locator("body").inner_text()
    assert "Traceback" not in body, f"page {name} shows a traceback:\n{body}"
    assert "DeltaGenerator" not in body, f"page {name} shows Streamlit's internals"
    expect(page.locator('[data-testid="stHelp"]')).to_have_count(0)
    expect(page.locator(f'img[src*="{EVIL_HOST}"]')).to_have_count(0)
    expect(page.locator(f'a[href*="{EVIL_HOST}"]')).to_have_count(0)
    expect(page.get_by_role("link", name="Click here to log in again")).to_have_count(0)


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
    fetched: list[str] = []  # every request the hostile names might cause
    page.on("request", lambda request: fetched.append(request.url))
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
    assert len(titles) >= 12, f"expected every page in the menu, found {titles}"
    shown: dict[str, str] = {}

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
        _assert_clean(page, title)
        shown[title] = str(page.locator("body").text_content())
        _screenshot(page, SCREENSHOTS / f"{_slug(title)}.png")
    assert [url for url in fetched if EVIL_HOST in url] == []
    # the hostile names are on the pages, as text (chart labels are SVG text)
    assert EVIL_HOST in shown["Overview"]
    assert "Rate optimization" in titles
    assert "Tags and showback" in titles


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


def test_a_row_click_and_a_hostile_detail(server: Server, browser: Browser) -> None:
    """Resources: a click on a row shows that resource; its hostile name stays text."""
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto(server.url)
    _log_in(page, server.username, server.password)
    expect(page.get_by_label("Username")).to_have_count(0)
    _settle(page)
    page.goto(f"{server.url}/resources")
    _settle(page)
    search = page.get_by_test_id("stTextInputField")
    search.fill("vm-app-0")
    search.press("Enter")
    _settle(page)
    grid = page.locator('[data-testid="stDataFrame"]').first.bounding_box()
    assert grid is not None
    row_height = 35  # the header and each row of Streamlit's grid
    page.mouse.click(grid["x"] + 15, grid["y"] + row_height * 3 + row_height / 2)  # third row
    _settle(page)
    expect(page.locator("h3").first).to_have_text("nic-vm-app-03")  # not the first match
    search.fill(EVIL_HOST)
    search.press("Enter")
    _settle(page)
    heading = page.locator("h3").first.inner_text()  # the characters, not an image
    assert heading.replace("\u2060", "") == RESOURCE  # an invisible joiner stops autolinks
    _assert_clean(page, "Resources")
    assert [url for url in fetched if EVIL_HOST in url] == []
