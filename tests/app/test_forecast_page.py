"""Forecast page: data freshness, the forecast chart, backtest accuracy and the budget burn."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from harness import World, unescape
from streamlit.testing.v1 import AppTest

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
    scores = at.dataframe[0].value
    assert list(scores["model"]) == ["Prophet", "Repeat last week (seasonal naive)"]
    expected = world.contoso.forecast().backtest
    assert scores["mape"].tolist() == pytest.approx(expected["mape"].to_list())
    projected = world.contoso.forecast().month_end["projected"][0]
    shown = {m.label: m.value for m in at.metric}
    assert shown["Projected November total"] == money(projected, "USD")
    assert shown["Actual, 1 to 24 November"].startswith("USD ")
    assert at.get("plotly_chart")
    assert "Enter a monthly budget" in texts(at)


def test_the_budget_is_the_organisation_totals_whatever_series_is_shown(
    forecast_page: AppTest, world: World
) -> None:
    at = forecast_page
    at.segmented_control(key="forecast_by").set_value("ServiceName").run()
    series = at.selectbox(key="forecast_series_ServiceName")
    assert series.value == "Virtual Machines"  # the largest first
    at.number_input(key="forecast_budget_USD").set_value(15000).run()
    assert not at.exception
    # the burn-down compares the budget with the total, never with one service
    burn = world.contoso.forecast(budget=15000).budget
    row = burn.filter(burn["series"] == "(total)").row(0, named=True)
    assert row["overrun_date"] is not None
    text = texts(at)
    assert f"budget of USD 15,000.00 is overrun on {row['overrun_date']:%-d %B}" in text
    assert f"the month ends at {money(row['projected'], 'USD')}" in text
    assert f"spend at most {money(row['daily_rate_needed'], 'USD')} a day" in text
    vms = world.contoso.forecast(by="ServiceName", budget=15000).budget
    vm_rate = vms.filter(vms["series"] == "Virtual Machines")["daily_rate_needed"][0]
    assert money(vm_rate, "USD") not in text
    subheaders = [unescape(s.value) for s in at.subheader]
    assert "Budget burn-down, organisation total, November 2026" in subheaders
    assert "Forecast of Virtual Machines" in subheaders
    at.selectbox(key="forecast_series_ServiceName").set_value("Azure Monitor").run()
    assert f"budget of USD 15,000.00 is overrun on {row['overrun_date']:%-d %B}" in texts(at)
    at.number_input(key="forecast_budget_USD").set_value(40000).run()
    assert "within the budget of USD 40,000.00" in texts(at)


def test_viewer_and_a_euro_workspace(app_as: Callable[..., AppTest]) -> None:
    viewer = app_as("viewer", page="forecast")
    assert not viewer.exception
    assert viewer.dataframe
    bea = app_as("bea", org="beta", page="forecast")
    assert not bea.exception
    assert not bea.error
    assert bea.metric[0].value.startswith("EUR ")
    assert "Too little history to backtest" in texts(bea)
