"""Overview: this month's cost and where it is heading, savings, top spenders, freshness."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import streamlit as st

from cloudoptima import charts
from pages._ui import (
    currencies_by_size,
    empty_state,
    guarded,
    money,
    page_context,
    pick_currency,
    query,
)

ctx = page_context()
st.title(f"Overview · {ctx.org_name}")


def kpis(currency: str) -> None:
    totals = (
        query(ctx.ws, "totals").filter(pl.col("BillingCurrency") == currency).row(0, named=True)
    )
    last = totals["last_day"]
    mtd = query(ctx.ws, "costs", start=last.replace(day=1), end=last, metric="EffectiveCost")
    mtd = mtd.filter(pl.col("BillingCurrency") == currency)["EffectiveCost"].sum()
    change = query(ctx.ws, "cost_changes", mode="mtd").filter(pl.col("BillingCurrency") == currency)
    findings = query(ctx.ws, "findings")
    open_savings = findings.filter(
        (pl.col("status") == "open") & (pl.col("BillingCurrency") == currency)
    )
    realized = query(ctx.ws, "realized_savings")
    realized_total = realized["realized_monthly_savings"].sum() if realized.height else 0.0
    with st.container(horizontal=True):
        delta = change["delta"].sum() if change.height else None
        st.metric("Month to date", money(mtd, currency), border=True,
                  delta=money(delta, currency) if delta is not None else None, delta_color="inverse",
                  help=f"EffectiveCost from {last.replace(day=1)} to {last}, against the same days last month")  # fmt: skip
        month_end = query(ctx.ws, "forecast").month_end.filter(
            pl.col("BillingCurrency") == currency
        )
        st.metric("Forecast month end", money(month_end["projected"].sum(), currency), border=True)
        st.metric("Open potential savings", money(open_savings["monthly_savings"].sum(), currency) + " /mo",
                  border=True, help=f"{open_savings.height} open recommendations")  # fmt: skip
        st.metric("Realized savings", money(realized_total, currency) + " /mo", border=True)
        st.metric(
            "Resources",
            f"{query(ctx.ws, 'sql', query='SELECT count(*) AS n FROM resources').item():,}",
            border=True,
        )
    st.caption(f"Cost data ends {last}; figures are {currency}.")


def trend(currency: str) -> None:
    result = query(ctx.ws, "forecast")
    history = result.history.filter(pl.col("BillingCurrency") == currency)
    history = history.filter(pl.col("ds") > result.data_end - timedelta(days=90))
    points = result.points.filter(pl.col("BillingCurrency") == currency)
    st.subheader("Daily cost and forecast")
    st.plotly_chart(charts.trend_with_forecast(history, points, currency), width="stretch")


def top_spenders(currency: str) -> None:
    left, right = st.columns(2)
    for column, dimension, title in (
        (left, "ServiceName", "Top services"),
        (right, "SubAccountName", "Subscriptions"),
    ):
        frame = query(ctx.ws, "costs", by=dimension, metric="EffectiveCost")
        frame = frame.filter(pl.col("BillingCurrency") == currency).head(8)
        column.subheader(title)
        column.plotly_chart(
            charts.ranked_bars(frame, dimension, "EffectiveCost", currency), width="stretch"
        )


def top_findings() -> None:
    st.subheader("Top 5 recommendations")
    top = query(ctx.ws, "findings", status="open").head(5)
    st.dataframe(
        top.select("title", "resource_name", "monthly_savings", "BillingCurrency", "rule"),
        hide_index=True,
    )


def freshness() -> None:
    st.subheader("Data freshness")
    st.dataframe(query(ctx.ws, "freshness"), hide_index=True)


def render() -> None:
    totals = query(ctx.ws, "totals")
    if totals.is_empty():
        empty_state(
            "No cost data yet. An admin can upload exports on the Data page, or run `cloudoptima demo`."
        )
        return
    currency = pick_currency(currencies_by_size(totals), "overview_currency")
    kpis(currency)
    trend(currency)
    top_spenders(currency)
    top_findings()
    freshness()


guarded(render)
