"""Prophet's worker processes never re-run the page script that asked for the forecast."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import focus_rows, write_focus
from streamlit.testing.v1 import AppTest

from cloudoptima import Workspace

SUBS = [f"/subscriptions/00000000-0000-0000-0000-00000000000{c}" for c in "ab"]
PAGE = """
from pathlib import Path
import streamlit as st
from cloudoptima.ui import data
from cloudoptima.ui.session import open_workspace

with Path({marker!r}).open("a") as runs:
    runs.write("ran\\n")  # a worker re-running this script would add a line
result = data.forecast(open_workspace({root!r}), by="SubAccountId")
st.text(f"{{result.month_end.height}} series")
"""


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="fits run in workers only with 2+ cores")
def test_forecast_workers_do_not_rerun_the_page(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "ws", create=True)
    rows = [
        row
        for sub in SUBS
        for month in ("2026-08", "2026-09", "2026-10")
        for row in focus_rows(range(1, 29), month=month, sub=sub)
    ]
    ws.ingest([write_focus(tmp_path / "focus.csv", rows)])
    marker = tmp_path / "runs.txt"
    script = PAGE.format(marker=str(marker), root=str(ws.root))
    at = AppTest.from_string(script, default_timeout=300).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.text[0].value == "2 series"  # two subscriptions: fitted in parallel workers
    assert marker.read_text().splitlines() == ["ran"]
