"""Forecast sections: freshness, month-end projection, the chart, backtest accuracy, budget burn.

A budget applies to the series it was set for: the monthly budget of Settings (and of
the field here) is the organisation's total in one billing currency; a budget set for
one subscription, service or tag value (Settings, series budgets) burns against that
series' forecast only.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import polars as pl
import streamlit as st

from cloudoptima import charts
from cloudoptima.analysis.forecast import TOTAL, ForecastResult
from cloudoptima.ui import data
from cloudoptima.ui.format import money, plain
from cloudoptima.ui.session import PageContext
from cloudoptima.ui.widgets import empty_state, pick_currency, table

DIMENSIONS = {"Total": "Total", "ServiceName": "By service", "SubAccountName": "By subscription"}
MODELS = {"prophet": "Prophet", "seasonal_naive": "Repeat last week (seasonal naive)"}
HISTORY_DAYS = 90


def freshness(result: ForecastResult) -> None:
    """When the cost data ends, and a warning when it is getting old."""
    days = result.stale_days
    ago = "today" if days == 0 else "1 day ago" if days == 1 else f"{days} days ago"
    st.text(
        f"Cost data ends {result.data_end:%-d %B %Y} ({ago}); the forecast starts the day after."
    )
    if days > 3:
        st.warning(
            "The cost data is getting old: an admin can import newer exports on the Data page."
        )


def choose(result: ForecastResult, by: str | None, currency: str) -> str:
    """The series to show (the largest month-end projection first)."""
    month_end = result.month_end.filter(pl.col("BillingCurrency") == currency)
    names = month_end.sort("projected", descending=True)["series"].to_list()
    if by is None:
        return str(names[0])
    return str(st.selectbox(DIMENSIONS[by], names, key=f"forecast_series_{by}"))


def one(frame: pl.DataFrame, series: str, currency: str) -> pl.DataFrame:
    """The rows of one series in one currency."""
    return frame.filter(pl.col("series") == series, pl.col("BillingCurrency") == currency)


def series_name(series: str) -> str:
    return "the organisation total" if series == TOTAL else series


def projection(result: ForecastResult, series: str, currency: str) -> None:
    """Actual to date, this month's and next month's projections, and every horizon's band."""
    rows = {r["horizon"]: r for r in one(result.horizons, series, currency).iter_rows(named=True)}
    month, following = rows["month"], rows["next_month"]
    with st.container(horizontal=True):
        st.metric(
            f"Actual, 1 to {result.data_end:%-d %B}",
            money(month["actual_to_date"], currency),
            border=True,
        )
        for row in (month, following):
            st.metric(
                f"Projected {row['label']}",
                money(row["projected"], currency),
                border=True,
                help=f"80% range {band(row, currency)}; "
                f"{row['days_remaining']} day(s) of it are forecast.",
            )
    frame = one(result.horizons, series, currency).select(
        "label",
        "actual_to_date",
        "forecast_rest",
        "projected",
        pl.struct("lower_80", "upper_80")
        .map_elements(lambda r: band(r, currency), return_dtype=pl.String)
        .alias("range"),
    )
    labels = {
        "label": "Period",
        "actual_to_date": "Actual to date",
        "forecast_rest": "Forecast of the remaining days",
        "range": "80% range",
    }
    table(
        frame,
        currency=currency,
        money=("actual_to_date", "forecast_rest", "projected"),
        labels=labels,
        key="forecast_horizons",
    )


def band(row: dict[str, Any], currency: str) -> str:
    """An 80 % range in words."""
    return f"{money(row['lower_80'], currency)} to {money(row['upper_80'], currency)}"


def notes(result: ForecastResult) -> None:
    """What a reader must know about the figures: days left out, a metric standing in."""
    for note in result.notes:
        st.info(plain(note), icon=":material/info:")


def accuracy(result: ForecastResult, series: str, currency: str) -> None:
    """Backtest errors of Prophet against repeating last week."""
    st.caption("Backtest accuracy")
    scores = one(result.backtest, series, currency).select("model", "mape", "smape", "folds")
    table(
        scores.with_columns(pl.col("model").replace(MODELS)),
        labels={"model": "Model", "folds": "Windows"},
        config={
            "mape": st.column_config.NumberColumn("MAPE %", format="%.1f"),
            "smape": st.column_config.NumberColumn("sMAPE %", format="%.1f"),
        },
        key="forecast_backtest",
    )
    errors = dict(zip(scores["model"], scores["mape"], strict=True))
    if errors.get("prophet") is None or errors.get("seasonal_naive") is None:
        st.caption(
            "Too little history to backtest yet: the errors need a few months of daily cost."
        )
        return
    st.caption(
        f"Mean daily error over {scores['folds'][0]} rolling 30-day windows: Prophet "
        f"{errors['prophet']:.1f}%, repeating last week {errors['seasonal_naive']:.1f}%."
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
            f"At the forecast pace the budget of {budget} is overrun on {row['overrun_date']:%-d %B}; "
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


def stored_budget(ctx: PageContext, currency: str) -> float:
    """The organisation's monthly budget in ``currency`` (Settings page), 0 when none."""
    return float(data.settings(ctx.ws)["budgets"].get(currency, 0.0))


def budget_burn(
    ctx: PageContext, result: ForecastResult, series: str, currency: str, total_budget: float
) -> None:
    """This month's burn-down of the series shown, against the budget set for that series.

    The organisation total burns against the budget of the field above (pre-filled from
    Settings); a subscription, service or tag value only against a budget set for it.
    """
    if series == TOTAL:
        if not total_budget:
            st.caption("Enter a monthly budget to see this month's burn-down and the overrun date.")
            return
        result = data.forecast(ctx.ws, budget=total_budget)
    rows = one(result.budget, series, currency) if result.budget is not None else None
    if rows is None or rows.is_empty():
        st.caption(
            plain(
                f"No budget is set for {series_name(series)}. An admin sets budgets for "
                "one subscription, service or tag value on the Settings page."
            )
        )
        return
    row = rows.row(0, named=True)
    st.subheader(plain(f"Budget burn-down, {series_name(series)}, {result.data_end:%B %Y}"))
    history, points = one(result.history, series, currency), one(result.points, series, currency)
    st.plotly_chart(
        charts.budget_burndown(history, points, row["budget"], result.data_end, currency),
        width="stretch",
        key="forecast_burndown",
    )
    st.text(burn_text(row, currency))


def render(ctx: PageContext) -> None:
    """The whole forecast page for the page's workspace."""
    currencies = data.currencies(ctx.ws)
    if not currencies:
        empty_state(
            "No cost data to forecast yet. An admin can upload cost exports on the Data page."
        )
        return
    currency = pick_currency(currencies, "forecast_currency")
    with st.container(horizontal=True):
        picked = st.segmented_control(
            "Forecast",
            list(DIMENSIONS),
            default="Total",
            format_func=lambda d: DIMENSIONS[d],
            key="forecast_by",
        )
        budget = st.number_input(
            f"Monthly budget of the organisation total ({currency}, 0: none)",
            min_value=0.0,
            step=500.0,
            value=stored_budget(ctx, currency),
            key=f"forecast_budget_{currency}",
            help="Pre-filled from Settings; a change here is not stored.",
        )
    by = None if picked in (None, "Total") else str(picked)
    result = data.forecast(ctx.ws, by=by)
    freshness(result)
    notes(result)
    series = choose(result, by, currency)
    st.subheader(plain(f"Forecast of {series_name(series)}"))
    projection(result, series, currency)
    history = one(result.history, series, currency).filter(
        pl.col("ds") > result.data_end - timedelta(days=HISTORY_DAYS)
    )
    figure = charts.trend_with_forecast(history, one(result.points, series, currency), currency)
    st.caption(f"Daily cost, the last {HISTORY_DAYS} days and the forecast")
    st.plotly_chart(figure, width="stretch", key="forecast_chart")
    accuracy(result, series, currency)
    budget_burn(ctx, result, series, currency, budget)
