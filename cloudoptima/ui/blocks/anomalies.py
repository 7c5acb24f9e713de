"""Anomalies sections: the list of anomalous days, one in context, its contributing resources."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import polars as pl
import streamlit as st

from cloudoptima import charts
from cloudoptima.ui import data
from cloudoptima.ui.format import last_segment, money, money_column
from cloudoptima.ui.session import PageContext
from cloudoptima.ui.widgets import empty_state, pick_currency

METRIC = "BilledCost"  # what Workspace.anomalies scores by default (Usage charges only)
LISTED = ("date", "dimension", "value", "expected", "actual", "delta", "delta_pct", "score")
AMOUNTS = ("expected", "actual", "delta")


def listing(frame: pl.DataFrame, currency: str) -> None:
    """Every anomaly of the currency, newest first."""
    st.caption(
        f"{frame.height} anomalies in {currency}: days whose {METRIC} of Usage charges rose "
        "far above the weekday-adjusted baseline. Newest first."
    )
    config: dict[str, Any] = {c: money_column(c, currency) for c in AMOUNTS}
    config["delta_pct"] = st.column_config.NumberColumn("delta %", format="%.0f%%")
    config["score"] = st.column_config.NumberColumn("score", format="%.1f")
    config["date"] = st.column_config.DateColumn("date", format="YYYY-MM-DD")
    st.dataframe(frame.select(LISTED), hide_index=True, width="stretch", column_config=config)


def context_chart(ctx: PageContext, anomaly: dict[str, Any], currency: str) -> None:
    """The group's daily cost four weeks before and two after the day."""
    day = anomaly["date"]
    daily = data.costs(
        ctx.ws,
        currency=currency,
        start=day - timedelta(days=28),
        end=day + timedelta(days=14),
        metric=METRIC,
        grain="day",
        filters={anomaly["dimension"]: anomaly["value"], "ChargeCategory": "Usage"},
    )
    chart = charts.anomaly_window(daily, "period", METRIC, day, anomaly["expected"], currency)
    st.plotly_chart(chart, width="stretch")


def contributors(picked: pl.DataFrame, currency: str) -> None:
    """The resources whose own cost moved most that day."""
    frame = (
        picked.select(pl.col("contributors").explode())
        .unnest("contributors")
        .drop_nulls("resource_id")
    )
    st.caption("Contributing resources (each against its own baseline)")
    if frame.is_empty():
        st.caption("No single resource stands out: the rise is spread over many small ones.")
        return
    frame = frame.select(
        pl.col("resource_id").map_elements(last_segment, return_dtype=pl.String).alias("resource"),
        *AMOUNTS,
        "resource_id",
    )
    config = {c: money_column(c, currency) for c in AMOUNTS}
    st.dataframe(frame, hide_index=True, width="stretch", column_config=config)


def detail(ctx: PageContext, frame: pl.DataFrame, currency: str) -> None:
    """One anomaly, picked from the list."""

    def label(index: int) -> str:
        row = frame.row(index, named=True)
        return f"{row['date']} · {row['value']} · +{money(row['delta'], currency)}"

    index = st.selectbox("Anomaly", range(frame.height), format_func=label, key="anomalies_pick")
    picked = frame.slice(index or 0, 1)
    anomaly = picked.row(0, named=True)
    st.subheader(f"{anomaly['value']} on {anomaly['date']}")
    st.text(
        f"{anomaly['dimension']} {anomaly['value']} cost {money(anomaly['actual'], currency)} "
        f"against an expected {money(anomaly['expected'], currency)} (score {anomaly['score']:.1f})."
    )
    left, right = st.columns([3, 2])
    with left:
        context_chart(ctx, anomaly, currency)
    with right:
        contributors(picked, currency)


def render(ctx: PageContext) -> None:
    """The whole anomalies page for the page's workspace."""
    if not data.currencies(ctx.ws):
        empty_state("No cost data yet. An admin can upload cost exports on the Data page.")
        return
    found = data.anomalies(ctx.ws)
    if found.is_empty():
        empty_state(
            "No cost anomalies found. Each service and subscription needs 28 days of history "
            "before its days are scored; import more months of cost exports on the Data page."
        )
        return
    currency = pick_currency(
        sorted(found["BillingCurrency"].unique().to_list()), "anomalies_currency"
    )
    found = found.filter(pl.col("BillingCurrency") == currency)
    listing(found, currency)
    detail(ctx, found, currency)
