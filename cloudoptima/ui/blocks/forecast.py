"""Forecast sections: freshness, month-end projection, the chart, backtest accuracy, budget burn."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import polars as pl
import streamlit as st

from cloudoptima import charts
from cloudoptima.analysis.forecast import ForecastResult
from cloudoptima.ui import data
from cloudoptima.ui.format import money
from cloudoptima.ui.session import PageContext
from cloudoptima.ui.widgets import empty_state, pick_currency

DIMENSIONS = {"Total": "Total", "ServiceName": "By service", "SubAccountName": "By subscription"}


def freshness(result: ForecastResult) -> None:
    """When the cost data ends, and a warning when it is getting old."""
    days = result.stale_days
    ago = "today" if days == 0 else "1 day ago" if days == 1 else f"{days} days ago"
    st.text(f"Cost data ends {result.data_end} ({ago}); the forecast starts the day after.")
    if days > 3:
        st.warning(
            "The cost data is getting old: an admin can import newer exports on the Data page."
        )


def choose(result: ForecastResult, by: str | None) -> tuple[str, str]:
    """The billing currency and series to show (the largest month-end projection first)."""
    options = sorted(result.month_end["BillingCurrency"].unique().to_list())
    currency = pick_currency(options, "forecast_currency")
    month_end = result.month_end.filter(pl.col("BillingCurrency") == currency)
    names = month_end.sort("projected", descending=True)["series"].to_list()
    if by is None:
        return currency, str(names[0])
    return currency, str(st.selectbox(DIMENSIONS[by], names, key=f"forecast_series_{by}"))


def one(frame: pl.DataFrame, series: str, currency: str) -> pl.DataFrame:
    """The rows of one series in one currency."""
    return frame.filter(pl.col("series") == series, pl.col("BillingCurrency") == currency)


def projection(result: ForecastResult, series: str, currency: str) -> None:
    """Actual to date, the month-end projection and its 80 % range."""
    month = one(result.month_end, series, currency).row(0, named=True)
    band = f"{money(month['lower_80'], currency)} to {money(month['upper_80'], currency)}"
    with st.container(horizontal=True):
        st.metric("Actual to date", money(month["actual_to_date"], currency), border=True)
        st.metric(
            f"Projected {month['month']:%B}", money(month["projected"], currency), border=True
        )
        st.metric("80% range", band, border=True)


def accuracy(result: ForecastResult, series: str, currency: str) -> None:
    """Backtest errors of Prophet against repeating last week."""
    st.caption("Backtest accuracy")
    scores = one(result.backtest, series, currency).select("model", "mape", "smape", "folds")
    st.dataframe(
        scores,
        hide_index=True,
        width="stretch",
        column_config={
            "mape": st.column_config.NumberColumn("MAPE %", format="%.1f"),
            "smape": st.column_config.NumberColumn("sMAPE %", format="%.1f"),
        },
    )
    errors = dict(zip(scores["model"], scores["mape"], strict=True))
    if errors.get("prophet") is None or errors.get("seasonal_naive") is None:
        st.caption(
            "Too little history to backtest yet: the errors need a few months of daily cost."
        )
        return
    st.caption(
        f"Daily error over {scores['folds'][0]} rolling 30-day windows: Prophet {errors['prophet']:.1f}%, "
        f"repeating last week (seasonal naive) {errors['seasonal_naive']:.1f}%."
    )


def burn_text(row: dict[str, Any], currency: str) -> str:
    """The budget burn in one paragraph of plain text."""
    budget, projected = money(row["budget"], currency), money(row["projected"], currency)
    if row["overrun_date"] is None:
        text = (
            f"At the forecast pace this month ends at {projected}, within the budget of {budget}."
        )
    else:
        text = (
            f"At the forecast pace the budget of {budget} is overrun on {row['overrun_date']}; "
            f"the month ends at {projected}."
        )
    if row["actual_to_date"] >= row["budget"]:
        return text + " The budget is already spent."
    if row["daily_rate_needed"] is not None:
        text += (
            f" To stay within it, spend at most {money(row['daily_rate_needed'], currency)} a day "
            f"for the remaining {row['days_remaining']} days."
        )
    return text


def stored_budget(ctx: PageContext) -> float:
    """The workspace's monthly budget for its main billing currency (Settings page)."""
    main = data.currencies(ctx.ws)[0]
    return float(data.settings(ctx.ws)["budgets"].get(main, 0.0))


def budget_burn(result: ForecastResult, series: str, currency: str, budget: float) -> None:
    """This month's burn-down against ``budget``."""
    st.subheader(f"Budget burn-down, {result.data_end:%B %Y}")
    history, points = one(result.history, series, currency), one(result.points, series, currency)
    st.plotly_chart(
        charts.budget_burndown(history, points, budget, result.data_end, currency), width="stretch"
    )
    assert result.budget is not None
    st.text(burn_text(one(result.budget, series, currency).row(0, named=True), currency))


def render(ctx: PageContext) -> None:
    """The whole forecast page for the page's workspace."""
    if not data.currencies(ctx.ws):
        empty_state(
            "No cost data to forecast yet. An admin can upload cost exports on the Data page."
        )
        return
    with st.container(horizontal=True):
        picked = st.segmented_control(
            "Forecast",
            list(DIMENSIONS),
            default="Total",
            format_func=lambda d: DIMENSIONS[d],
            key="forecast_by",
        )
        budget = st.number_input(
            "Monthly budget (0: none)",
            min_value=0.0,
            step=500.0,
            help="In the billing currency",
            value=stored_budget(ctx),
            key="forecast_budget",
        )
    by = None if picked in (None, "Total") else str(picked)
    result = data.forecast(ctx.ws, by=by, budget=budget or None)
    freshness(result)
    currency, series = choose(result, by)
    projection(result, series, currency)
    chart, side = st.columns([3, 1])
    history = one(result.history, series, currency).filter(
        pl.col("ds") > result.data_end - timedelta(days=90)
    )
    figure = charts.trend_with_forecast(history, one(result.points, series, currency), currency)
    chart.plotly_chart(figure, width="stretch")
    with side:
        accuracy(result, series, currency)
    if budget:
        budget_burn(result, series, currency, budget)
    else:
        st.caption(
            "Enter a monthly budget to see this month's burn-down and the projected overrun date."
        )
