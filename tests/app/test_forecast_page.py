"""Forecast page: data freshness, the forecast chart, backtest accuracy and the budget burn."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from harness import APP, World, frame_with, preset_login, unescape
from helpers import copy_workspace
from streamlit.testing.v1 import AppTest

from cloudoptima.auth import UserStore
from cloudoptima.ui.format import money


def texts(at: AppTest) -> str:
    return "\n".join(m.value for m in [*at.markdown, *at.caption, *at.text])


@pytest.fixture
def forecast_page(app_as: Callable[..., AppTest]) -> AppTest:
    at = app_as("analyst", page="forecast")
    assert not at.exception
    assert not at.error
    return at


def test_total_forecast_states_its_data_and_accuracy(forecast_page: AppTest, world: World) -> None:
    at = forecast_page
    days = (date.today() - date(2026, 11, 24)).days
    ago = "today" if days == 0 else "1 day ago" if days == 1 else f"{days} days ago"
    assert f"Cost data ends 24 November 2026 ({ago})" in texts(at)
    scores = frame_with(at, "model")
    assert list(scores["model"]) == ["Prophet", "Repeat last week (seasonal naive)"]
    expected = world.contoso.forecast().backtest
    assert scores["mape"].tolist() == pytest.approx(expected["mape"].to_list())
    projected = world.contoso.forecast().month_end["projected"][0]
    shown = {m.label: m.value for m in at.metric}
    assert shown["Projected November 2026"] == money(projected, "USD")
    assert shown["Actual, 1 to 24 November"].startswith("USD ")
    horizons = world.contoso.forecast().horizons.filter(pl.col("series") == "(total)")
    assert shown["Projected December 2026"] == money(horizons["projected"][1], "USD")
    periods = frame_with(at, "label", "range")
    assert list(periods["label"]) == ["November 2026", "December 2026", "Q4 2026", "2026"]
    assert periods["projected"].tolist() == pytest.approx(horizons["projected"].to_list())
    assert at.get("plotly_chart")
    assert "Enter a monthly budget" in texts(at)


def test_budgets_apply_to_the_series_they_were_set_for(
    app_as: Callable[..., AppTest], world: World
) -> None:
    at = app_as("analyst", page="forecast")
    at.number_input(key="forecast_budget_USD").set_value(15000).run()
    assert not at.exception
    burn = world.contoso.forecast(budget=15000).budget
    row = burn.filter(burn["series"] == "(total)").row(0, named=True)
    assert row["overrun_date"] is not None
    text = texts(at)
    assert f"budget of USD 15,000.00 is overrun on {row['overrun_date']:%-d %B}" in text
    assert f"the month ends at {money(row['projected'], 'USD')}" in text
    assert "Budget burn-down, the organisation total, November 2026" in [
        unescape(s.value) for s in at.subheader
    ]
    # a service has no budget of its own: the organisation's is never compared with it
    at.segmented_control(key="forecast_by").set_value("ServiceName").run()
    assert at.selectbox(key="forecast_series_ServiceName").value == "Virtual Machines"
    assert "No budget is set for Virtual Machines" in texts(at)
    assert "15,000.00" not in texts(at)


def test_a_budget_set_for_one_service_burns_against_that_service(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = copy_workspace(world.contoso, tmp_path / "ws")
    store = UserStore(tmp_path / "credentials.yaml")
    store.add_organisation("contoso", ws.root, "Contoso Pharma")
    store.add_user("ann", org="contoso", role="analyst")
    monkeypatch.setenv("CLOUDOPTIMA__AUTH__CREDENTIALS_FILE", str(store.path))
    ws.set_setting("series_budgets", {"ServiceName=Virtual Machines": {"USD": 3000}})
    burn = ws.forecast(by="ServiceName").budget
    assert burn is not None
    assert burn["series"].to_list() == ["Virtual Machines"]
    row = burn.row(0, named=True)
    at = preset_login(AppTest.from_file(APP, default_timeout=120), "ann", "contoso")
    at.run()
    at.switch_page("pages/forecast.py").run()
    at.segmented_control(key="forecast_by").set_value("ServiceName").run()
    assert not at.exception
    text = texts(at)
    assert f"budget of USD 3,000.00 is overrun on {row['overrun_date']:%-d %B}" in text
    assert "Budget burn-down, Virtual Machines, November 2026" in [
        unescape(s.value) for s in at.subheader
    ]


def test_viewer_and_a_euro_workspace(app_as: Callable[..., AppTest]) -> None:
    viewer = app_as("viewer", page="forecast")
    assert not viewer.exception
    assert viewer.dataframe
    bea = app_as("bea", org="beta", page="forecast")
    assert not bea.exception
    assert not bea.error
    assert bea.metric[0].value.startswith("EUR ")
    assert "Too little history to backtest" in texts(bea)
