"""Rate optimization per month: the KPIs of each month agree with the whole-range figures."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from test_rates import ESTATE, ingest

from cloudoptima import Workspace
from cloudoptima.analysis.rate_summary import COLUMNS, rates_by_month
from cloudoptima.analysis.rates import savings_summary

SEP, OCT = date(2026, 9, 1), date(2026, 10, 1)


@pytest.fixture
def estate(workspace: Workspace, tmp_path: Path) -> Workspace:
    return ingest(workspace, tmp_path / "focus.csv", ESTATE)


def test_each_month_has_utilization_coverage_unused_and_savings(estate: Workspace) -> None:
    frame = rates_by_month(estate)
    assert frame.columns == list(COLUMNS)
    assert frame.select("period", "BillingCurrency").rows() == [
        (SEP, "EUR"),
        (SEP, "USD"),
        (OCT, "USD"),
    ]
    usd = frame.filter(pl.col("BillingCurrency") == "USD")
    assert usd["utilization"].to_list() == [0.75, 0.6]
    assert usd["coverage"].to_list() == [0.5, 1.0]  # at the on-demand equivalent
    assert [float(v) for v in usd["unused_cost"]] == [20.0, 40.0]
    for month, end in ((SEP, date(2026, 9, 30)), (OCT, date(2026, 10, 31))):
        alone = savings_summary(estate, start=month, end=end).filter(
            pl.col("BillingCurrency") == "USD"
        )
        row = usd.filter(pl.col("period") == month).row(0, named=True)
        assert row["total_savings"] == alone["total_savings"][0]
        assert row["effective_savings_rate"] == pytest.approx(alone["effective_savings_rate"][0])


def test_the_months_add_up_to_the_whole_range(estate: Workspace) -> None:
    months = (
        rates_by_month(estate)
        .group_by("BillingCurrency")
        .agg(pl.col("negotiated_savings", "commitment_savings", "total_savings").sum())
    )
    whole = savings_summary(estate).select(
        "BillingCurrency", "negotiated_savings", "commitment_savings", "total_savings"
    )
    assert sorted(months.rows()) == sorted(whole.rows())


def test_a_window_and_an_empty_workspace(estate: Workspace, tmp_path: Path) -> None:
    october = rates_by_month(estate, start=OCT)
    assert october["period"].to_list() == [OCT]
    empty = Workspace.open(tmp_path / "empty", create=True)
    assert rates_by_month(empty).is_empty()
    assert rates_by_month(empty).columns == list(COLUMNS)
