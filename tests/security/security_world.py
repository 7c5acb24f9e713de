"""What security tests share: three organisations, their admins and a shared user.

``acme`` and ``globex`` have small workspaces; ``val`` is a viewer in acme and an
analyst in globex (the account an acme admin must not take over); ``gil`` belongs
to globex only; ``bob`` administers both acme and globex.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

from cloudoptima.auth import UserStore
from cloudoptima.ui.shell import STARTED

APP = str(Path(__file__).resolve().parents[2] / "app.py")
COOKIE_KEY = "security-test-cookie-key-long-enough-for-hmac"


@dataclass(frozen=True)
class Accounts:
    """The credentials store of the test and the passwords it handed out."""

    store: UserStore
    passwords: dict[str, str]


def fresh_app() -> AppTest:
    """app.py with nobody logged in."""
    return AppTest.from_file(APP, default_timeout=120)


def log_in(at: AppTest, username: str, password: str) -> AppTest:
    """Fill in the login form and submit it."""
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click()
    return at.run()


def logged_in_as(user: str, org: str) -> AppTest:
    """app.py in a session that ``user`` opened just now."""
    at = fresh_app()
    at.session_state["authentication_status"] = True
    at.session_state["username"] = user
    at.session_state["co_org"] = org
    at.session_state[STARTED] = time.time()
    return at.run()


def shows_login_form(at: AppTest) -> bool:
    """The login form and nothing of any organisation's data."""
    return [t.label for t in at.text_input] == ["Username", "Password"] and not at.metric


def one_session(
    environ: dict[str, str], barrier: Any, username: str, password: str, errors: Any
) -> None:
    """A session in a process of its own: open the app, wait for the others, submit once.

    ``environ`` is the test's environment (a fork server's children inherit the
    server's, from the test that started it). Puts the errors shown on ``errors``.
    """
    os.environ.clear()
    os.environ.update(environ)
    at = fresh_app().run()
    barrier.wait(timeout=240)
    if not at.text_input:  # no login form: say what the session shows instead
        errors.put([f"no login form: {[e.value for e in at.error]} {at.exception}"])
        return
    at = log_in(at, username, password)
    errors.put([e.value for e in at.error] + [f"exception: {e.message}" for e in at.exception])
