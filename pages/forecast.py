"""Forecast: daily cost ahead with intervals, its backtest accuracy and a monthly budget's burn."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import polars as pl
import streamlit as st

from cloudoptima import charts
from pages._ui import currencies, empty_state, guarded, money, page_context, pick_currency, query

ctx = page_context()
st.title("Forecast")

DIMENSIONS = {"Total": "Total", "ServiceName": "By service", "SubAccountName": "By subscription"}


def freshness(result: Any) -> None:
    days = result.stale_days
    ago = "today" if days == 0 else "1 day ago" if days == 1 else f"{days} days ago"
    st.markdown(f"Cost data ends {result.data_end} ({ago}); the forecast starts the day after.")
    if days > 3:
        st.warning("The cost data is getting old: an admin can import newer exports on the Data page.")  # fmt: skip


def choose(result: Any, by: str | None) -> tuple[str, str]:
    """The billing currency and series to show (the largest month-end projection first)."""
    currency = pick_currency(currencies(result.month_end), "forecast_currency")
    month_end = result.month_end.filter(pl.col("BillingCurrency") == currency)
    names = month_end.sort("projected", descending=True)["series"].to_list()
    if by is None:
        return currency, names[0]
    return currency, st.selectbox(DIMENSIONS[by], names, key=f"forecast_series_{by}")


def one(frame: pl.DataFrame, series: str, currency: str) -> pl.DataFrame:
    return frame.filter(pl.col("series") == series, pl.col("BillingCurrency") == currency)


def projection(result: Any, series: str, currency: str) -> None:
    month = one(result.month_end, series, currency).row(0, named=True)
    with st.container(horizontal=True):
        st.metric("Actual to date", money(month["actual_to_date"], currency), border=True)
        st.metric(
            f"Projected {month['month']:%B}", money(month["projected"], currency), border=True
        )
        st.metric("80% range", f"{money(month['lower_80'], currency)} to {money(month['upper_80'], currency)}", border=True)  # fmt: skip


def accuracy(result: Any, series: str, currency: str) -> None:
    st.markdown("**Backtest accuracy**")
    scores = one(result.backtest, series, currency).select("model", "mape", "smape", "folds")
    st.dataframe(scores, hide_index=True, width="stretch", column_config={
        "mape": st.column_config.NumberColumn("MAPE %", format="%.1f"),
        "smape": st.column_config.NumberColumn("sMAPE %", format="%.1f")})  # fmt: skip
    errors = dict(zip(scores["model"], scores["mape"], strict=True))
    if errors.get("prophet") is None or errors.get("seasonal_naive") is None:
        st.caption(
            "Too little history to backtest yet: the errors need a few months of daily cost."
        )
        return
    st.caption(f"Daily error over {scores['folds'][0]} rolling 30-day windows: Prophet {errors['prophet']:.1f}%, "
               f"repeating last week (seasonal naive) {errors['seasonal_naive']:.1f}%.")  # fmt: skip


def burn_text(row: dict[str, Any], currency: str) -> str:
    budget, projected = money(row["budget"], currency), money(row["projected"], currency)
    if row["overrun_date"] is None:
        text = (
            f"At the forecast pace this month ends at {projected}, within the budget of {budget}."
        )
    else:
        text = f"At the forecast pace the budget of {budget} is overrun on **{row['overrun_date']}**; the month ends at {projected}."  # fmt: skip
    if row["actual_to_date"] >= row["budget"]:
        return text + " The budget is already spent."
    if row["daily_rate_needed"] is not None:
        text += f" To stay within it, spend at most {money(row['daily_rate_needed'], currency)} a day for the remaining {row['days_remaining']} days."  # fmt: skip
    return text


def stored_budget() -> float:
    """The workspace's monthly budget for its main billing currency (Settings page)."""
    totals = query(ctx.ws, "totals")
    main = str(totals.sort("rows", descending=True)["BillingCurrency"][0])
    return float(query(ctx.ws, "settings")["budgets"].get(main, 0.0))


def budget_burn(result: Any, series: str, currency: str, budget: float) -> None:
    st.subheader(f"Budget burn-down, {result.data_end:%B %Y}")
    history, points = one(result.history, series, currency), one(result.points, series, currency)
    chart = charts.budget_burndown(history, points, budget, result.data_end, currency)
    st.plotly_chart(chart, width="stretch")
    st.markdown(burn_text(one(result.budget, series, currency).row(0, named=True), currency))


def render() -> None:
    if query(ctx.ws, "totals").is_empty():
        empty_state("No cost data to forecast yet. An admin can upload cost exports on the Data page.")  # fmt: skip
        return
    with st.container(horizontal=True):
        picked = st.segmented_control("Forecast", list(DIMENSIONS), default="Total",
                                      format_func=lambda d: DIMENSIONS[d], key="forecast_by")  # fmt: skip
        budget = st.number_input("Monthly budget (0: none)", min_value=0.0, step=500.0, help="In the billing currency",
                                 value=stored_budget(), key="forecast_budget")  # fmt: skip
    by = None if picked in (None, "Total") else str(picked)
    result = query(ctx.ws, "forecast", by=by, budget=budget or None)
    freshness(result)
    currency, series = choose(result, by)
    projection(result, series, currency)
    chart, side = st.columns([3, 1])
    history = one(result.history, series, currency)
    history = history.filter(pl.col("ds") > result.data_end - timedelta(days=90))
    chart.plotly_chart(charts.trend_with_forecast(history, one(result.points, series, currency), currency),
                       width="stretch")  # fmt: skip
    with side:
        accuracy(result, series, currency)
    if budget:
        budget_burn(result, series, currency, budget)
    else:
        st.caption("Enter a monthly budget to see this month's burn-down and the projected overrun date.")  # fmt: skip


guarded(render)
