"""Every page for every role: it renders its content without errors, docs dumps or stray
objects, or refuses the role."""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from harness import APP, PAGES, assert_clean, page_text
from streamlit.testing.v1 import AppTest

from cloudoptima.auth import allowed

REPO = Path(APP).parent
CALLS = ast.Call | ast.Await | ast.Yield | ast.YieldFrom  # statements magic never draws
# What each page needs beyond viewing (the navigation and the page both check it).
NEEDS = {"ask": "analyse", "reports": "analyse", "data": "admin", "settings": "admin"}
# Text each page shows on the demo, whoever looks (None: pages other teams own).
CONTENT = {
    "overview": ("Month to date", "Top 5 open recommendations", "Contoso Pharma Production"),
    "costs": ("Total, 1 Sep to 24 Nov 2026", "Top movers by Service", "Virtual Machines"),
    "recommendations": ("Monthly savings by rule", "Shut down or delete an idle virtual machine"),
    "resources": ("310 of 310 resources", "vm-app-01"),
    "anomalies": ("anomalies in USD", "Azure Data Factory"),
    "rates": ("Effective savings rate", "Unused commitment", "VM_RI_D4s_v5_prod-web"),
    "tags": ("Tag coverage", "Spend with every required tag", "(unallocated)"),
    "forecast": ("Projected November 2026", "Backtest accuracy", "Prophet"),
    "ask": None,
    "reports": None,
    "data": ("Data coverage", "Import log", "Contoso Pharma Dev-Test"),
    "settings": ("Users and roles", "Analysis settings", "Budgets"),
}


@pytest.mark.parametrize("role", ["admin", "analyst", "viewer"])
def test_every_page_as_every_role(app_as: Callable[..., AppTest], role: str) -> None:
    at = app_as(role)
    assert set(CONTENT) == set(PAGES)
    for page in PAGES:
        if not allowed(role, NEEDS.get(page, "view")):
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                app_as(role).switch_page(f"pages/{page}.py")  # a fresh session: not in its menu
            continue
        at.switch_page(f"pages/{page}.py").run()
        assert_clean(at, (role, page))
        assert at.title, (role, page)
        text = page_text(at)
        for expected in CONTENT[page] or ():
            assert expected in text, (role, page, expected)


def test_the_page_check_catches_a_docs_dump() -> None:
    """The check above must fail on what magic once drew: st.help of a DeltaGenerator."""
    at = AppTest.from_string("import streamlit as st\nst.help(st.container())\n").run()
    with pytest.raises(AssertionError, match="help"):
        assert_clean(at, "docs dump")


def test_magic_and_the_file_watcher_are_off_in_the_shipped_config() -> None:
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["magicEnabled"] is False
    assert config["server"]["fileWatcherType"] == "none"
    # With magic off a bare expression draws nothing (the config is read from the repo).
    at = AppTest.from_string("import streamlit as st\nbox = st.container()\nbox\n'text'\n").run()
    assert not at.get("help")
    assert not at.markdown


def _bare_expressions(path: Path, root: Path = REPO) -> list[str]:
    """Expression statements that are not calls or docstrings: what magic would draw."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Expr) or isinstance(node.value, CALLS):
            continue
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            continue  # a docstring
        found.append(f"{path.relative_to(root)}:{node.lineno}: {ast.unparse(node)[:60]}")
    return found


def test_pages_are_statements_not_expressions(tmp_path: Path) -> None:
    stray = tmp_path / "stray.py"
    stray.write_text('"""Doc."""\nx.code("a") if ok else x.caption("b")\nbox\nst.write(1)\n')
    assert [line.split(": ", 1)[1] for line in _bare_expressions(stray, tmp_path)] == [
        "x.code('a') if ok else x.caption('b')",
        "box",
    ]
    files = [
        REPO / "app.py",
        *(REPO / "pages").glob("*.py"),
        *(REPO / "cloudoptima" / "ui").rglob("*.py"),
    ]
    assert len(files) > 20
    assert [line for path in files for line in _bare_expressions(path)] == []
