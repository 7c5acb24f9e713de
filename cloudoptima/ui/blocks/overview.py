"""Overview sections: KPIs, the trend with its forecast, top spenders, top findings, freshness."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import streamlit as st

from cloudoptima import charts
from cloudoptima.ui import data
from cloudoptima.ui.format import money
from cloudoptima.ui.session import PageContext
from cloudoptima.ui.widgets import empty_state, pick_currency


def kpis(ctx: PageContext, currency: str) -> None:
    last = data.totals(ctx.ws).filter(pl.col("BillingCurrency") == currency)["last_day"][0]
    start = last.replace(day=1)
    mtd = data.costs(ctx.ws, currency=currency, start=start, end=last, metric="EffectiveCost")
    change = data.cost_changes(ctx.ws, currency=currency, mode="mtd")
    delta = change["delta"].sum() if change.height else None
    findings = data.findings(ctx.ws, status="open").filter(pl.col("BillingCurrency") == currency)
    realized = data.realized_savings(ctx.ws)
    realized_total = realized["realized_monthly_savings"].sum() if realized.height else 0.0
    month_end = data.forecast(ctx.ws).month_end.filter(pl.col("BillingCurrency") == currency)
    with st.container(horizontal=True):
        st.metric(
            "Month to date",
            money(mtd["EffectiveCost"].sum(), currency),
            border=True,
            delta=None if delta is None else money(delta, currency),
            delta_color="inverse",
            help=f"EffectiveCost from {start} to {last}, against the same days last month",
        )
        st.metric("Forecast month end", money(month_end["projected"].sum(), currency), border=True)
        st.metric(
            "Open potential savings",
            money(findings["monthly_savings"].sum(), currency) + " /mo",
            border=True,
            help=f"{findings.height} open recommendations",
        )
        st.metric("Realized savings", money(realized_total, currency) + " /mo", border=True)
        st.metric("Resources", f"{data.resources(ctx.ws).height:,}", border=True)
    st.caption(f"Cost data ends {last}; figures are {currency}.")


def trend(ctx: PageContext, currency: str) -> None:
    result = data.forecast(ctx.ws)
    history = result.history.filter(pl.col("BillingCurrency") == currency)
    history = history.filter(pl.col("ds") > result.data_end - timedelta(days=90))
    points = result.points.filter(pl.col("BillingCurrency") == currency)
    st.subheader("Daily cost and forecast")
    st.plotly_chart(charts.trend_with_forecast(history, points, currency), width="stretch")


def top_spenders(ctx: PageContext, currency: str) -> None:
    for column, dimension, title in zip(
        st.columns(2),
        ("ServiceName", "SubAccountName"),
        ("Top services", "Subscriptions"),
        strict=True,
    ):
        frame = data.costs(ctx.ws, dimension, currency=currency, metric="EffectiveCost").head(8)
        column.subheader(title)
        column.plotly_chart(
            charts.ranked_bars(frame, dimension, "EffectiveCost", currency), width="stretch"
        )


def top_findings(ctx: PageContext) -> None:
    st.subheader("Top 5 recommendations")
    top = data.findings(ctx.ws, status="open").head(5)
    st.dataframe(
        top.select("title", "resource_name", "monthly_savings", "BillingCurrency", "rule"),
        hide_index=True,
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
    kpis(ctx, currency)
    trend(ctx, currency)
    top_spenders(ctx, currency)
    top_findings(ctx)
    st.subheader("Data freshness")
    st.dataframe(data.freshness(ctx.ws), hide_index=True)
