"""What app tests share: the app's path, its pages, the test world, a fresh session."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from streamlit.testing.v1 import AppTest

from cloudoptima import Workspace
from cloudoptima.ui.shell import STARTED

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGES = (
    "overview",
    "costs",
    "recommendations",
    "resources",
    "anomalies",
    "forecast",
    "ask",
    "reports",
    "data",
    "settings",
)
ADMIN_PAGES = ("data", "settings")


@dataclass(frozen=True)
class World:
    """Credentials file, organisations and the passwords handed out."""

    credentials: Path
    contoso: Workspace
    beta: Workspace
    passwords: dict[str, str]


def fresh_app() -> AppTest:
    """An AppTest of app.py with nobody logged in."""
    return AppTest.from_file(APP, default_timeout=120)


def preset_login(at: AppTest, user: str, org: str) -> AppTest:
    """Start ``at`` as if ``user`` had just logged in on ``org``.

    A session needs its login time: the app ends sessions that started before the
    user's password, role or account last changed.
    """
    at.session_state["authentication_status"] = True
    at.session_state["username"] = user
    at.session_state["co_org"] = org
    at.session_state[STARTED] = time.time()
    return at
