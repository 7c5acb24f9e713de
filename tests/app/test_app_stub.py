"""The stub app shows the workspace totals, and an empty state without data."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import focus_rows, write_focus
from streamlit.testing.v1 import AppTest

from cloudoptima import Workspace

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def test_app_shows_the_totals_of_the_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = Workspace.open(tmp_path / "ws")
    ws.ingest([write_focus(tmp_path / "sep.csv", focus_rows(range(1, 11)))])
    monkeypatch.setenv("CLOUDOPTIMA_WORKSPACE", str(tmp_path / "ws"))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Billed cost (USD)"] == "210.00"
    assert metrics["Effective cost (USD)"] == "190.00"
    assert metrics["Cost rows"] == "20"
    assert metrics["Resources with cost"] == "2"
    assert at.subheader[0].value == "Cost by service"


def test_app_reports_a_broken_workspace_in_plain_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "CURRENT").write_text("db-000009.duckdb\n")  # points at a file that is gone
    monkeypatch.setenv("CLOUDOPTIMA_WORKSPACE", str(broken))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert "could not be opened" in at.error[0].value
