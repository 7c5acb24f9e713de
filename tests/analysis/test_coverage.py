"""Data coverage: per month and subscription, which datasets are present and through when."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
from helpers import focus_rows, write_focus

from cloudoptima import Workspace
from cloudoptima.analysis.coverage import COLUMNS, data_coverage

SUB_A = "/subscriptions/00000000-0000-0000-0000-00000000000a"
SUB_B = "/subscriptions/00000000-0000-0000-0000-00000000000b"


def test_a_missing_month_and_days_show_as_gaps(workspace: Workspace, tmp_path: Path) -> None:
    rows = [
        *focus_rows(range(1, 29), month="2026-09", sub=SUB_A),
        *focus_rows(range(1, 11), month="2026-10", sub=SUB_A),
        *focus_rows(range(1, 29), month="2026-09", sub=SUB_B),  # no October for B
    ]
    workspace.ingest([write_focus(tmp_path / "focus.csv", rows)])
    frame = data_coverage(workspace)
    assert frame.columns == list(COLUMNS)
    assert frame.select("month", "subscription_id", "cost_days", "month_days").rows() == [
        (date(2026, 10, 1), "00000000-0000-0000-0000-00000000000a", 10, 31),
        (date(2026, 9, 1), "00000000-0000-0000-0000-00000000000a", 28, 30),
        (date(2026, 9, 1), "00000000-0000-0000-0000-00000000000b", 28, 30),
    ]
    assert frame["focus_through"].to_list() == [
        date(2026, 10, 10),
        date(2026, 9, 28),
        date(2026, 9, 28),
    ]
    assert frame["actual_through"].null_count() == 3
    assert frame["inventory_through"].null_count() == 3
    assert set(frame["subscription"]) == {"Prod"}  # the name the cost rows carry
    assert frame["last_import"].null_count() == 0


def test_the_demo_holds_focus_cost_every_month_inventory_and_metrics_lately(
    demo_workspace: Workspace,
) -> None:
    frame = data_coverage(demo_workspace)
    assert frame.height == 13 * 3
    assert set(frame["subscription"]) == set(demo_workspace.subscription_names().values())
    november = frame.filter(pl.col("month") == date(2026, 11, 1))
    assert november["focus_through"].to_list() == [date(2026, 11, 24)] * 3
    assert november["cost_days"].to_list() == [24] * 3
    assert november["inventory_through"].to_list() == [date(2026, 11, 25)] * 3
    assert november["metrics_through"].to_list() == [date(2026, 11, 24)] * 3
    older = frame.filter(pl.col("month") < date(2026, 10, 1))
    assert older["inventory_through"].null_count() == older.height  # one inventory snapshot
    assert (older["cost_days"] == older["month_days"]).all()
    assert frame["amortized_through"].null_count() == frame.height  # FOCUS carries both
