"""What app tests share: the app's path, its pages, the test world, a fresh session."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def unescape(text: str) -> str:
    """Markdown as the reader sees it: backslash escapes and word joiners (``plain()``) removed."""
    return re.sub(r"\\(.)", r"\1", text).replace("\u2060", "")


def nodes(at: AppTest) -> list[Any]:
    """Every block and element the last run drew, in the main area and the sidebar."""
    return list(at._tree)


def page_text(at: AppTest) -> str:
    """Everything written on the page, as the reader sees it; tables as CSV."""
    parts: list[str] = []
    for kind in TEXT_KINDS:
        parts += [unescape(str(e.value)) for e in at.get(kind)]
    parts += [f"{m.label}: {m.value}" for m in at.metric]
    parts += [d.value.to_csv() for d in at.dataframe]
    return "\n".join(parts)


def assert_clean(at: AppTest, where: object) -> None:
    """No exception, error, Streamlit documentation or stray object on the page.

    Magic once rendered a bare expression as ``st.help(DeltaGenerator)``: 4,000 px of
    Streamlit's own docs. Any help element, or the word anywhere, fails the page.
    """
    assert not at.exception, (where, [e.value for e in at.exception])
    assert not at.error, (where, [e.value for e in at.error])
    assert not at.get("help"), (where, "a help/docs element is on the page")
    for node in nodes(at):
        proto = getattr(node, "proto", None)
        assert "DeltaGenerator" not in str(proto), (where, str(proto)[:300])


TEXT_KINDS = (
    "title",
    "header",
    "subheader",
    "markdown",
    "caption",
    "text",
    "code",
    "success",
    "info",
    "warning",
    "error",
)


def frame_with(at: AppTest, *columns: str) -> Any:
    """The first table on the page holding all ``columns``, as a pandas frame."""
    for element in at.dataframe:
        value = element.value
        if set(columns) <= set(value.columns):
            return value
    raise AssertionError(f"no table with columns {columns}")
