"""Forecast page: data freshness, the forecast chart, backtest accuracy and the budget burn."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from harness import World
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
    assert f"Cost data ends 2026-11-24 ({ago})" in texts(at)
    scores = at.dataframe[0].value
    assert list(scores["model"]) == ["prophet", "seasonal_naive"]
    expected = world.contoso.forecast().backtest
    assert scores["mape"].tolist() == pytest.approx(expected["mape"].to_list())
    projected = world.contoso.forecast().month_end["projected"][0]
    shown = {m.label: m.value for m in at.metric}
    assert shown["Projected November"] == money(projected, "USD")
    assert at.get("plotly_chart")
    assert "Enter a monthly budget" in texts(at)


def test_budget_by_subscription_shows_the_overrun(forecast_page: AppTest, world: World) -> None:
    at = forecast_page
    at.segmented_control(key="forecast_by").set_value("SubAccountName").run()
    series = at.selectbox(key="forecast_series_SubAccountName")
    assert series.value == "Contoso Pharma Production"  # the largest first
    assert len(series.options) == 3
    at.number_input(key="forecast_budget").set_value(9000).run()
    assert not at.exception
    burn = world.contoso.forecast(by="SubAccountName", budget=9000).budget
    row = burn.filter(burn["series"] == "Contoso Pharma Production").row(0, named=True)
    assert row["overrun_date"] is not None
    text = texts(at)
    assert f"budget of USD 9,000.00 is overrun on {row['overrun_date']}" in text
    assert f"spend at most {money(row['daily_rate_needed'], 'USD')} a day" in text
    assert any(s.value.startswith("Budget burn-down") for s in at.subheader)
    at.selectbox(key="forecast_series_SubAccountName").set_value("Contoso Pharma Dev-Test").run()
    assert "within the budget of USD 9,000.00" in texts(at)


def test_viewer_and_a_euro_workspace(app_as: Callable[..., AppTest]) -> None:
    viewer = app_as("viewer", page="forecast")
    assert not viewer.exception
    assert viewer.dataframe
    bea = app_as("bea", org="beta", page="forecast")
    assert not bea.exception
    assert not bea.error
    assert bea.metric[0].value.startswith("EUR ")
    assert "Too little history to backtest" in texts(bea)
