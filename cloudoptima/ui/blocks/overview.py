"""Overview sections: this month's KPIs, the trend with its forecast, top spenders, top
findings, freshness. Each block says which period it covers."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import streamlit as st

from cloudoptima import charts
from cloudoptima.ui import data
from cloudoptima.ui.format import SEVERAL_SUBSCRIPTIONS, money, plain, span_text, subscription_name
from cloudoptima.ui.session import PageContext
from cloudoptima.ui.widgets import empty_state, pick_currency, table

TREND_DAYS = 90


def kpis(ctx: PageContext, currency: str, start: date, last: date) -> None:
    """Month to date, its forecast, savings open and realized, resources: one row of metrics."""
    mtd = data.costs(ctx.ws, currency=currency, start=start, end=last, metric="EffectiveCost")
    change = data.cost_changes(ctx.ws, currency=currency, mode="mtd")
    delta = change["delta"].sum() if change.height else None
    findings = data.findings(ctx.ws, status="open").filter(pl.col("BillingCurrency") == currency)
    realized = data.realized_savings(ctx.ws, currency=currency)
    result = data.forecast(ctx.ws)
    month_end = result.month_end.filter(pl.col("BillingCurrency") == currency)
    following = result.horizons.filter(
        pl.col("BillingCurrency") == currency, pl.col("horizon") == "next_month"
    )
    with st.container(horizontal=True):
        st.metric(
            "Month to date",
            money(mtd["EffectiveCost"].sum(), currency),
            border=True,
            delta=None if delta is None else money(delta, currency),
            delta_color="inverse",
            help=f"Effective cost from {start} to {last}; the change is against the same days "
            "last month.",
        )
        projected = month_end["projected"].sum() if month_end.height else None
        st.metric(
            f"Forecast, {last:%B} total",
            "no forecast" if projected is None else money(projected, currency),
            border=True,
            help="Cost to date plus the forecast of the month's remaining days.",
        )
        if following.height:
            row = following.row(0, named=True)
            st.metric(
                f"Forecast, {row['label']}",
                money(row["projected"], currency),
                border=True,
                help=f"80% range {money(row['lower_80'], currency)} to "
                f"{money(row['upper_80'], currency)}; the quarter and the year are on the "
                "Forecast page.",
            )
        st.metric(
            "Open potential savings",
            money(findings["monthly_savings"].sum(), currency) + " /mo",
            border=True,
            help=f"{findings.height} open recommendations, savings per month.",
        )
        st.metric(
            "Realized savings",
            money(realized["realized_monthly_savings"].sum(), currency) + " /mo",
            border=True,
            help=f"Measured on {realized.height} resolved recommendations billed in {currency}.",
        )
        st.metric(
            "Resources",
            f"{data.resources(ctx.ws).height:,}",
            border=True,
            help="In the latest inventory import.",
        )
    st.caption(
        f"Month to date: {span_text(start, last)}, the last day with cost data. "
        f"Amounts in {currency}; savings are per month."
    )
    if note := data.fallback_note(ctx.ws, currency=currency, start=start, end=last):
        st.info(note, icon=":material/info:")
    for note in result.notes:
        st.info(plain(note), icon=":material/info:")


def trend(ctx: PageContext, currency: str, last: date) -> None:
    """The last 90 days of daily cost and the forecast after them."""
    result = data.forecast(ctx.ws)
    history = result.history.filter(pl.col("BillingCurrency") == currency)
    history = history.filter(pl.col("ds") > last - timedelta(days=TREND_DAYS))
    points = result.points.filter(pl.col("BillingCurrency") == currency)
    until = points["ds"].max() if points.height else last
    st.subheader(
        f"Daily cost, last {TREND_DAYS} days and forecast to {until:%-d %b %Y}"
        if isinstance(until, date)
        else f"Daily cost, last {TREND_DAYS} days"
    )
    st.plotly_chart(
        charts.trend_with_forecast(history, points, currency), width="stretch", key="overview_trend"
    )


def top_spenders(ctx: PageContext, currency: str, start: date, last: date) -> None:
    """Services and subscriptions by cost, month to date."""
    for column, dimension, title in zip(
        st.columns(2),
        ("ServiceName", "SubAccountName"),
        ("Top services", "Subscriptions"),
        strict=True,
    ):
        frame = data.costs(
            ctx.ws, dimension, currency=currency, start=start, end=last, metric="EffectiveCost"
        ).head(8)
        if dimension == "SubAccountName":
            frame = frame.with_columns(pl.col(dimension).fill_null("(no subscription)"))
        column.subheader(f"{title}, month to date")
        column.plotly_chart(
            charts.ranked_bars(frame, dimension, "EffectiveCost", currency),
            width="stretch",
            key=f"overview_{dimension}",
        )


def top_findings(ctx: PageContext, currency: str) -> None:
    """The five open recommendations with the largest monthly saving."""
    st.subheader("Top 5 open recommendations")
    names = data.subscription_names(ctx.ws)
    top = (
        data.findings(ctx.ws, status="open")
        .filter(pl.col("BillingCurrency") == currency)
        .head(5)
        .with_columns(
            pl.col("subscription_id")
            .map_elements(lambda s: subscription_name(s, names), return_dtype=pl.String)
            .fill_null(SEVERAL_SUBSCRIPTIONS)  # a grouped finding (reservations) spans several
            .alias("subscription")
        )
    )
    table(
        top.select("title", "resource_name", "monthly_savings", "subscription", "resource_group"),
        currency=currency,
        money=["monthly_savings"],
        key="overview_findings",
    )


def freshness(ctx: PageContext) -> None:
    """When each source was last imported and how recent its data is."""
    st.subheader("Data freshness")
    frame = data.freshness(ctx.ws).with_columns(
        pl.col("kind").replace({"cost": "Costs", "inventory": "Inventory", "metrics": "Metrics"})
    )
    table(
        frame,
        labels={"kind": "Source", "last_import": "Last import", "data_through": "Data through"},
        config={
            "last_import": st.column_config.DatetimeColumn(
                "Last import (UTC)", format="D MMM YYYY, HH:mm"
            ),
            "data_through": st.column_config.DatetimeColumn("Data through", format="D MMM YYYY"),
            "imports": st.column_config.NumberColumn("Imports"),
        },
        key="overview_freshness",
    )


def render(ctx: PageContext) -> None:
    """The whole overview for the page's workspace."""
    currencies = data.currencies(ctx.ws)
    if not currencies:
        empty_state(
            "No cost data yet. An admin can upload exports on the Data page, or run `cloudoptima demo`."
        )
        return
    currency = pick_currency(currencies, "overview_currency")
    last = data.totals(ctx.ws).filter(pl.col("BillingCurrency") == currency)["last_day"][0]
    start = last.replace(day=1)
    kpis(ctx, currency, start, last)
    trend(ctx, currency, last)
    top_spenders(ctx, currency, start, last)
    top_findings(ctx, currency)
    freshness(ctx)
