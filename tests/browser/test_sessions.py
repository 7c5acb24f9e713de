"""Sessions and the lockout in a real browser against a running server.

Bad or stale login cookies get the login form (never an error), a password reset
ends the user's cookie and open session, and eight browser sessions guessing in
parallel lock the account after exactly as many failures as they made. Screenshots
of the login page after a bad cookie and after a lockout go to
``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jwt
import pytest
from helpers import focus_rows, write_focus
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from test_smoke import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PAGE_TIMEOUT_MS,
    REPO,
    SCREENSHOTS,
    _free_port,
    _log_in,
    _screenshot,
    _settle,
    _wait_healthy,
)

from cloudoptima import Workspace
from cloudoptima.auth import UserStore
from cloudoptima.auth.sessions import COOKIE_DAYS
from cloudoptima.ui.shell import COOKIE_NAME, REFUSED, SESSION_ENDED

pytestmark = pytest.mark.browser

COOKIE_KEY = "browser-sessions-cookie-key-long-enough-for-hs256"
SESSIONS, GUESSES = 8, 4
LIBRARY_ERRORS = ("Traceback", "InvalidAlgorithmError", "LoginError", "User not authorized")


@dataclass(frozen=True)
class Server:
    url: str
    store: UserStore
    passwords: dict[str, str]
    env: dict[str, str]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """``streamlit run app.py`` on a small workspace with val (viewer) and ann (admin)."""
    ws = Workspace.open(tmp_path / "acme", create=True)
    ws.ingest([write_focus(tmp_path / "acme.csv", focus_rows(range(1, 6)))])
    ws.close()
    store = UserStore(tmp_path / "auth" / "credentials.yaml")
    store.add_organisation("acme", ws.root, "Acme Corp")
    passwords = {
        "ann": store.add_user("ann", org="acme", role="admin"),
        "val": store.add_user("val", org="acme", role="viewer"),
    }
    env = {
        **os.environ,
        "HOME": str(tmp_path / "home"),
        "CLOUDOPTIMA__AUTH__CREDENTIALS_FILE": str(store.path),
        "CLOUDOPTIMA__AUTH__COOKIE_KEY": COOKIE_KEY,
    }
    port = _free_port()
    log = tmp_path / "streamlit.log"
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
    command += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    command += ["--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, process, log)
        yield Server(url, store, passwords, env)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


def _open(
    chromium: Browser, server: Server, cookie: str | None = None
) -> tuple[BrowserContext, Page]:
    """A new browser session (its own cookie jar), optionally carrying a login cookie."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    if cookie is not None:
        context.add_cookies([{"name": COOKIE_NAME, "value": cookie, "url": server.url}])
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    page.goto(server.url)
    _settle(page)
    return context, page


def _shows_login_form_only(page: Page) -> None:
    expect(page.get_by_label("Username")).to_be_visible()
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    expect(page.get_by_text("Month to date")).to_have_count(0)
    body = page.locator("body").inner_text()
    assert not [word for word in LIBRARY_ERRORS if word in body], body


def _sees_overview(page: Page) -> None:
    expect(page.get_by_text("Overview · Acme Corp").first).to_be_visible()
    _settle(page)
    expect(page.get_by_text("Overview · Acme Corp")).to_have_count(1)


def _signed(username: str, issued: float, key: str = COOKIE_KEY) -> str:
    return jwt.encode({"username": username, "exp_date": issued + COOKIE_DAYS * 86_400}, key)


def _alg_none(username: str) -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    claims = {"username": username, "exp_date": time.time() + 86_400}
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def _cli(server: Server, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "cloudoptima", *args],
        env=server.env,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


def test_bad_or_stale_cookies_get_the_login_form(server: Server, chromium: Browser) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context, page = _open(chromium, server, _signed("val", time.time()))
    _sees_overview(page)  # a good cookie logs in
    context.close()
    server.store.add_user("ghost", org="acme", role="viewer")
    ghost = _signed("ghost", time.time())
    server.store.remove_user("ghost")
    bad = {
        "alg-none": _alg_none("val"),
        "other-key": _signed("val", time.time(), key="another-key-of-32-bytes-or-more!!"),
        "garbage": "garbage%00<script>",
        "removed-user": ghost,
        "issued-before-creation": _signed("val", time.time() - 86_400),
        "expired": _signed("val", time.time() - 8 * 86_400),
    }
    for name, cookie in bad.items():
        context, page = _open(chromium, server, cookie)
        _shows_login_form_only(page)
        if name == "alg-none":
            _screenshot(page, SCREENSHOTS / "login-after-bad-cookie.png")
        _log_in(page, "val", server.passwords["val"])  # and the form works
        _sees_overview(page)
        context.close()


def _login_cookie(context: BrowserContext) -> str:
    """The login cookie the app set in this browser session (set by a component: poll)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = [c["value"] for c in context.cookies() if c["name"] == COOKIE_NAME]
        if found:
            return found[0]
        time.sleep(0.25)
    pytest.fail("the app set no login cookie after a password login")


def test_a_password_reset_ends_the_cookie_and_the_open_session(
    server: Server, chromium: Browser
) -> None:
    laptop, page = _open(chromium, server)
    _log_in(page, "val", server.passwords["val"])
    _sees_overview(page)
    cookie = _login_cookie(laptop)
    phone, other = _open(chromium, server, cookie)  # the cookie opens the app ...
    _sees_overview(other)
    phone.close()

    _cli(server, "users", "reset-password", "val")

    thief, stolen = _open(chromium, server, cookie)  # ... and no longer after the reset
    _shows_login_form_only(stolen)
    thief.close()
    page.locator('[data-testid="stSidebar"]').get_by_text("Cost explorer").click()
    expect(page.get_by_text(SESSION_ENDED)).to_be_visible()  # the open session's next run
    _shows_login_form_only(page)
    laptop.close()


def test_parallel_guesses_all_count_and_the_lockout_holds(
    server: Server, chromium: Browser
) -> None:
    sessions = [_open(chromium, server) for _ in range(SESSIONS)]
    pages = [page for _, page in sessions]
    for guess in range(GUESSES):
        for n, page in enumerate(pages):  # submit in every session before any answer
            page.get_by_label("Username").fill("val")
            page.get_by_label("Password", exact=True).fill(f"guess-{guess}-{n}")
        for page in pages:
            page.get_by_role("button", name="Login").click()
        for page in pages:
            _settle(page)
            expect(page.get_by_text(REFUSED)).to_be_visible()
    assert server.store.users()["val"]["failed_login_attempts"] == SESSIONS * GUESSES

    page = pages[0]
    _log_in(page, "val", server.passwords["val"])  # the right password, refused
    _settle(page)
    expect(page.get_by_text(REFUSED)).to_be_visible()
    _shows_login_form_only(page)
    _screenshot(page, SCREENSHOTS / "login-after-lockout.png")
    unknown = pages[1]
    _log_in(unknown, "nobody-by-this-name", "guess")  # an unknown user reads the same
    _settle(unknown)
    assert unknown.locator('[data-testid="stAlert"]').inner_text().strip() == REFUSED
    assert page.locator('[data-testid="stAlert"]').inner_text().strip() == REFUSED

    password = _cli(server, "users", "reset-password", "val").rsplit(" ", 1)[-1].strip()
    _log_in(page, "val", password)
    _sees_overview(page)
    for context, _ in sessions:
        context.close()
