"""What app tests share: the app's path, its pages, the test world, a fresh session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from streamlit.testing.v1 import AppTest

from cloudoptima import Workspace

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGES = (
    "overview",
    "costs",
    "recommendations",
    "resources",
    "anomalies",
    "rates",
    "tags",
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
