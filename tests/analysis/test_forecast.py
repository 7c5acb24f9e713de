"""Forecasts with real Prophet fits: short synthetic series, and the demo estate's series."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from helpers import focus_rows, write_focus

from cloudoptima import Workspace
from cloudoptima.analysis import backtest as bt
from cloudoptima.analysis import forecast as fc
from cloudoptima.analysis.backtest import fold_origins, mape, seasonal_naive, smape
from cloudoptima.analysis.forecast import ForecastResult, backtest, budget_burn, forecast
from cloudoptima.errors import CloudOptimaError

SUB_A = "/subscriptions/00000000-0000-0000-0000-00000000000a"
SUB_B = "/subscriptions/00000000-0000-0000-0000-00000000000b"
LAST_DAY = date(2026, 9, 10)  # synthetic data: 2026-08-01 .. 2026-09-10


def steady_rows(
    daily: float, *, sub: str = SUB_A, currency: str = "USD", service: str = "Virtual Machines"
) -> list[str]:
    """One resource whose EffectiveCost is ``daily`` every day from Aug 1 to Sep 10, 2026."""
    # focus_rows writes EffectiveCost = cost - 1 for its first resource.
    kw: dict[str, Any] = {"sub": sub, "currency": currency, "cost": daily + 1, "resources": 1}
    rows = focus_rows(range(1, 32), month="2026-08", **kw) + focus_rows(
        range(1, 11), month="2026-09", **kw
    )
    return [r.replace("Virtual Machines", service) for r in rows]


@pytest.fixture
def steady(workspace: Workspace, tmp_path: Path) -> Workspace:
    """100 a day, every day: the forecast is exactly 100 a day too."""
    workspace.ingest([write_focus(tmp_path / "steady.csv", steady_rows(100.0))])
    return workspace


@pytest.fixture
def fits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Number of Prophet fits per call of the fitting stage, recorded as it runs."""
    calls: list[int] = []
    real = bt.run_fits

    def counting(tasks: list[Any], *, parallel: bool) -> list[Any]:
        calls.append(len(tasks))
        return real(tasks, parallel=parallel)

    monkeypatch.setattr(bt, "run_fits", counting)
    return calls


@pytest.fixture(scope="module")
def demo_cache(
    demo_workspace: Workspace, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """Keep the shared demo workspace unchanged: forecasts of the analysis layer given no
    cache folder (as here) are cached in memory only, never under the workspace."""
    yield
    assert not (demo_workspace.root / "cache" / "forecast").exists()


@pytest.fixture(scope="module")
def by_subscription(demo_workspace: Workspace, demo_cache: None) -> ForecastResult:
    """The demo's per-subscription forecast (three series fitted in worker processes)."""
    return forecast(demo_workspace, by="SubAccountName", budget=10_000)


# -- the forecast window -------------------------------------------------------------------


def test_forecast_starts_the_day_after_the_last_cost_day(steady: Workspace) -> None:
    result = forecast(steady)
    assert result.data_end == LAST_DAY
    assert result.stale_days == (date.today() - LAST_DAY).days
    days = result.points["ds"].to_list()
    # Default horizon: through the end of the month after the last cost day.
    assert days[0] == LAST_DAY + timedelta(days=1)
    assert days[-1] == date(2026, 10, 31)
    assert days == [LAST_DAY + timedelta(days=i) for i in range(1, 52)]
    assert result.horizon == 51
    assert result.history["ds"].max() == LAST_DAY
    assert result.points["yhat"].to_numpy() == pytest.approx(100.0, abs=1e-3)


def test_a_short_horizon_still_covers_the_rest_of_the_month(steady: Workspace) -> None:
    result = forecast(steady, horizon=5)
    assert result.horizon == 20
    assert result.points["ds"].max() == date(2026, 9, 30)
    assert forecast(steady, horizon=40).points["ds"].max() == date(2026, 10, 20)


# -- budget burn and the month end -----------------------------------------------------------


def test_budget_burn_on_a_steady_series(steady: Workspace) -> None:
    """100 a day and 2,500 for 30-day September: 1,000 spent by the 10th, over on the 26th."""
    [row] = forecast(steady, budget=2500).budget.to_dicts()  # type: ignore[union-attr]
    assert row["overrun_date"] == date(2026, 9, 26)
    assert row["actual_to_date"] == 1000.0
    assert row["days_remaining"] == 20
    assert row["daily_rate_needed"] == 75.0  # (2,500 - 1,000) / 20, exactly
    assert row["projected"] == pytest.approx(3000.0, abs=0.01)
    assert row["budget"] == 2500.0


def history_and_points(
    actual: list[float], forecast_: list[float], end: date
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Hand-made frames: ``actual`` ends on ``end``, ``forecast_`` starts the day after."""
    keys = {"series": "(total)", "BillingCurrency": "USD"}
    first = end - timedelta(days=len(actual) - 1)
    history = pl.DataFrame(
        {**keys, "ds": [first + timedelta(days=i) for i in range(len(actual))], "y": actual}
    )
    future = [end + timedelta(days=i + 1) for i in range(len(forecast_))]
    return history, pl.DataFrame({**keys, "ds": future, "yhat": forecast_})


@pytest.mark.parametrize(
    ("budget", "overrun", "needed"),
    [
        (240.0, date(2026, 2, 3), 0.0),  # over on the last actual day: nothing left to spend
        (1000.0, date(2026, 2, 19), 750 / 25),  # 250 + 16 days at 50 = 1,050
        (1450.0, date(2026, 2, 28), 1200 / 25),
        (1500.0, None, 1250 / 25),  # exactly on budget is not over it
    ],
)
def test_budget_burn_arithmetic(budget: float, overrun: date | None, needed: float) -> None:
    history, points = history_and_points([80.0, 80.0, 90.0], [50.0] * 40, date(2026, 2, 3))
    [row] = budget_burn(history, points, date(2026, 2, 3), budget).to_dicts()
    assert row["overrun_date"] == overrun
    assert row["daily_rate_needed"] == pytest.approx(needed)
    assert row["actual_to_date"] == 250.0
    assert row["projected"] == 250.0 + 25 * 50.0  # February 2026: 25 days after the 3rd


def test_budget_on_the_last_day_of_a_month_needs_no_rate() -> None:
    history, points = history_and_points([10.0] * 31, [10.0] * 30, date(2026, 1, 31))
    [row] = budget_burn(history, points, date(2026, 1, 31), 300.0).to_dicts()
    assert (row["days_remaining"], row["daily_rate_needed"]) == (0, None)
    assert (row["projected"], row["overrun_date"]) == (310.0, date(2026, 1, 31))


def test_month_end_is_actual_to_date_plus_the_forecast_of_the_remaining_days(
    by_subscription: ForecastResult,
) -> None:
    end = by_subscription.data_end
    month = by_subscription.month_end.sort("series")
    assert month.height == 3
    assert (month["month"] == end.replace(day=1)).all()
    assert (month["days_remaining"] == 6).all()  # November 25..30
    rest = (
        by_subscription.points.filter(pl.col("ds") <= date(2026, 11, 30))
        .group_by("series")
        .agg(pl.col("yhat").sum())
        .sort("series")
    )
    mtd = (
        by_subscription.history.filter(pl.col("ds") >= end.replace(day=1))
        .group_by("series")
        .agg(pl.col("y").sum())
        .sort("series")
    )
    assert month["forecast_rest"].to_list() == pytest.approx(rest["yhat"].to_list())
    assert month["actual_to_date"].to_list() == pytest.approx(mtd["y"].to_list())
    assert (
        month["projected"] - month["actual_to_date"] - month["forecast_rest"]
    ).abs().max() < 1e-9
    assert (month["lower_80"] <= month["projected"]).all()
    assert (month["projected"] <= month["upper_80"]).all()
    assert (month["upper_80"] > month["lower_80"]).all()


# -- series ---------------------------------------------------------------------------------


def test_intervals_nest_around_the_forecast(by_subscription: ForecastResult) -> None:
    p = by_subscription.points
    assert p.columns == [
        "series",
        "BillingCurrency",
        "ds",
        "yhat",
        "lower_95",
        "lower_80",
        "upper_80",
        "upper_95",
    ]
    order = ["lower_95", "lower_80", "yhat", "upper_80", "upper_95"]
    for low, high in itertools.pairwise(order):
        assert (p[low] <= p[high]).all(), (low, high)
    assert (p["upper_95"] - p["lower_95"] > p["upper_80"] - p["lower_80"]).mean() > 0.9
    # Uncertainty widens with the distance from the data.
    width = p.filter(pl.col("series") == "Contoso Pharma Production").select(
        pl.col("upper_95") - pl.col("lower_95")
    )
    assert width[-1, 0] > width[0, 0]


def test_per_subscription_forecast_of_the_demo(by_subscription: ForecastResult) -> None:
    names = [
        "Contoso Pharma Dev-Test",
        "Contoso Pharma Production",
        "Contoso Pharma Shared Services",
    ]
    assert sorted(by_subscription.points["series"].unique()) == names
    assert by_subscription.data_end == date(2026, 11, 24)
    assert by_subscription.points.group_by("series").len()["len"].to_list() == [37] * 3  # to Dec 31
    assert by_subscription.budget is not None
    assert by_subscription.budget.height == 3
    bt = by_subscription.backtest
    assert bt.height == 6
    assert set(bt["model"]) == {"prophet", "seasonal_naive"}
    assert (bt["folds"] == 8).all()
    assert (bt["horizon"] == 30).all()
    assert bt["mape"].is_not_null().all()


def test_currencies_are_separate_series(workspace: Workspace, tmp_path: Path) -> None:
    workspace.ingest(
        [
            write_focus(tmp_path / "usd.csv", steady_rows(100.0)),
            write_focus(tmp_path / "eur.csv", steady_rows(40.0, sub=SUB_B, currency="EUR")),
        ]
    )
    result = forecast(workspace, budget=1000)
    assert result.points.select("series", "BillingCurrency").unique().sort(
        "BillingCurrency"
    ).rows() == [
        ("(total)", "EUR"),
        ("(total)", "USD"),
    ]
    levels = (
        result.points.group_by("BillingCurrency").agg(pl.col("yhat").mean()).sort("BillingCurrency")
    )
    assert levels["yhat"].to_list() == pytest.approx([40.0, 100.0], abs=1e-3)
    assert result.budget is not None
    assert result.budget.height == 2
    only_eur = forecast(workspace, currency="EUR")
    assert set(only_eur.points["BillingCurrency"]) == {"EUR"}


def test_top_values_by_recent_cost_and_the_rest_as_other(
    workspace: Workspace, tmp_path: Path
) -> None:
    rows = [
        *steady_rows(30.0, service="Storage"),
        *steady_rows(20.0, service="Key Vault"),
        *steady_rows(10.0, service="Bandwidth"),
    ]
    workspace.ingest([write_focus(tmp_path / "services.csv", rows)])
    result = forecast(workspace, by="ServiceName", top=2)
    assert sorted(result.points["series"].unique()) == ["(other)", "Key Vault", "Storage"]
    daily = result.history.group_by("ds").agg(pl.col("y").sum())
    assert (daily["y"] == 60.0).all()  # the series add up to the total


def test_bad_arguments_are_explained(steady: Workspace) -> None:
    with pytest.raises(CloudOptimaError, match="one dimension"):
        forecast(steady, by="ServiceName,RegionName")
    with pytest.raises(CloudOptimaError, match="cannot group costs by 'Colour'"):
        forecast(steady, by="Colour")
    with pytest.raises(CloudOptimaError, match="unknown cost metric"):
        backtest(steady, metric="ListCost")
    with pytest.raises(CloudOptimaError, match="no cost data in GBP"):
        forecast(steady, currency="GBP")


def test_an_empty_workspace_has_nothing_to_forecast(workspace: Workspace) -> None:
    with pytest.raises(CloudOptimaError, match="no cost data to forecast"):
        forecast(workspace)


# -- backtest ---------------------------------------------------------------------------------


def test_prophet_beats_seasonal_naive_on_the_demo_total(
    demo_workspace: Workspace, demo_cache: None
) -> None:
    """Eight 30-day folds, origins from late March to late October 2026.

    Three folds cover only the flat last quarter, where repeating the last week is hard
    to beat (seasonal naive 1.4 % vs Prophet 1.8 % MAPE); over eight folds the steps,
    growth and spikes of the year count too.
    """
    result = backtest(demo_workspace, folds=8)
    scores = {row["model"]: row for row in result.to_dicts()}
    assert scores["prophet"]["folds"] == 8
    assert scores["prophet"]["horizon"] == 30
    assert scores["prophet"]["mape"] < scores["seasonal_naive"]["mape"]
    assert scores["prophet"]["smape"] < scores["seasonal_naive"]["smape"]


def test_a_series_too_short_for_a_fold_has_no_scores(steady: Workspace) -> None:
    result = backtest(steady, horizon=30, folds=3)  # 41 days: no fold keeps 28 days of history
    assert result["folds"].to_list() == [0, 0]
    assert result["mape"].null_count() == 2
    [row] = backtest(steady, horizon=4, folds=2).filter(pl.col("model") == "prophet").to_dicts()
    assert row["folds"] == 2
    assert row["mape"] == pytest.approx(0.0, abs=1e-3)


def test_fold_layout_and_baseline() -> None:
    assert fold_origins(389, horizon=30, folds=3) == [299, 329, 359]  # the last ends on day 389
    assert fold_origins(50, horizon=30, folds=3) == []
    week = [1.0, 2, 3, 4, 5, 6, 7]
    assert seasonal_naive([9.0] * 5 + week, 10).tolist() == week + week[:3]
    assert mape([0, 100], [5, 90]) == pytest.approx(10.0)  # days without cost are skipped
    assert smape([0, 0], [0, 0]) is None


def test_spikes_are_blanked_but_a_new_level_is_kept() -> None:
    weekly = np.tile([100.0, 100, 100, 100, 100, 50, 50], 10)
    spiked = weekly.copy()
    spiked[30] = 300.0
    assert np.flatnonzero(np.isnan(bt.mask_spikes(spiked))).tolist() == [30]
    stepped = weekly.copy()
    stepped[-5:] *= 2  # a new level five days ago, not yet a spike that ended
    assert not np.isnan(bt.mask_spikes(stepped)).any()


# -- caching ----------------------------------------------------------------------------------


def test_results_are_cached_by_data_version(
    steady: Workspace, tmp_path: Path, fits: list[int]
) -> None:
    first = steady.forecast()
    assert fits == [1]  # one series, one fit; too short for backtest folds
    second = steady.forecast(budget=3000)  # a budget is applied to the cached fit
    assert fits == [1]
    assert second.budget is not None
    assert second.points.equals(first.points)

    fc._MEMORY.clear()  # as a new process would start: the disk cache answers
    assert steady.forecast().points.equals(first.points)
    assert fits == [1]
    assert len(list((steady.root / "cache" / "forecast").iterdir())) == 1

    steady.ingest([write_focus(tmp_path / "more.csv", steady_rows(5.0, sub=SUB_B))])
    changed = steady.forecast()
    assert fits == [1, 1]
    assert changed.points["yhat"].to_numpy() == pytest.approx(105.0, abs=1e-3)
    assert len(list((steady.root / "cache" / "forecast").iterdir())) == 1  # the old one pruned

    fc.clear_cache(steady.root / "cache" / "forecast")
    steady.forecast()
    assert fits == [1, 1, 1]


def test_backtests_are_cached_too(steady: Workspace, fits: list[int]) -> None:
    steady.backtest(horizon=4, folds=2)
    steady.backtest(horizon=4, folds=2)
    assert fits == [2]
    steady.backtest(horizon=4, folds=3)
    assert fits == [2, 3]


# -- the optional dependency and quiet logs ----------------------------------------------------


def test_missing_prophet_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, steady: Workspace
) -> None:
    monkeypatch.setitem(sys.modules, "prophet", None)  # makes `import prophet` fail
    with pytest.raises(CloudOptimaError, match=r"pip install 'cloudoptima\[forecast\]'"):
        forecast(steady)


def test_fits_do_not_log_to_the_terminal(
    steady: Workspace, capfd: pytest.CaptureFixture[str]
) -> None:
    forecast(steady, horizon=3)
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


# -- horizons, incomplete days and budgets per series --------------------------------------


def test_horizons_project_the_month_next_month_quarter_and_year(steady: Workspace) -> None:
    """100 a day from 1 Aug to 10 Sep 2026: every horizon is actual plus 100 per day left."""
    result = forecast(steady)
    rows = {r["horizon"]: r for r in result.horizons.to_dicts()}
    assert [rows[h]["label"] for h in ("month", "next_month", "quarter", "year")] == [
        "September 2026",
        "October 2026",
        "Q3 2026",
        "2026",
    ]
    expected = {  # (actual to date, days left)
        "month": (1000.0, 20),
        "next_month": (0.0, 31),
        "quarter": (4100.0, 20),  # all of August and 10 days of September
        "year": (4100.0, 112),
    }
    for name, (actual, left) in expected.items():
        row = rows[name]
        assert (row["actual_to_date"], row["days_remaining"]) == (actual, left), name
        assert row["projected"] == pytest.approx(actual + 100.0 * left, abs=0.05), name
        assert row["lower_80"] <= row["projected"] <= row["upper_80"], name
    month_end = result.month_end.row(0, named=True)
    assert month_end["projected"] == rows["month"]["projected"]
    assert result.points["ds"].max() == date(2026, 10, 31)  # points keep the default horizon


def test_incomplete_trailing_days_are_left_out_and_said_so(
    workspace: Workspace, tmp_path: Path
) -> None:
    """A last day at 40 % of normal (data still arriving) must not pull the month down."""
    rows = steady_rows(100.0)
    rows[-1] = rows[-1].replace("101.0,100.0,", "41.0,40.0,", 1)
    workspace.ingest([write_focus(tmp_path / "late.csv", rows)])
    result = forecast(workspace)
    assert result.data_end == LAST_DAY - timedelta(days=1)
    assert result.excluded_days.select("day", "share").rows() == [(LAST_DAY, 0.4)]
    assert result.month_end["projected"][0] == pytest.approx(3000.0, abs=0.05)  # not 2,940
    assert any("look incomplete" in note and "10 Sep" in note for note in result.notes)


def test_a_budget_applies_only_to_the_series_it_was_set_for(
    workspace: Workspace, tmp_path: Path
) -> None:
    rows = steady_rows(100.0) + steady_rows(50.0, sub=SUB_B, service="Storage")
    workspace.ingest([write_focus(tmp_path / "two.csv", rows)])
    result = forecast(workspace, by="ServiceName", budget={("Storage", "USD"): 1000.0})
    assert result.budget is not None
    [row] = result.budget.to_dicts()
    assert (row["series"], row["budget"]) == ("Storage", 1000.0)
    assert row["overrun_date"] == date(2026, 9, 21)  # 500 by the 10th, then 50 a day: 1,050


def test_a_new_reader_is_never_served_a_freed_readers_results() -> None:
    """Memory cache keys must not be id(): CPython hands a freed object's id to the next one."""

    class Fixed:
        data_version = 2

        def sql(self, query: str, params: Any = None) -> pl.DataFrame:
            raise AssertionError("not called")

    computed: list[str] = []

    def compute(name: str) -> Any:
        computed.append(name)
        return {}, {"name": name}

    for name in ("first", "second", "third"):
        reader = Fixed()
        assert fc._cached(reader, None, ["k"], lambda n=name: compute(n))[1] == {"name": name}
        del reader
    assert computed == ["first", "second", "third"]
