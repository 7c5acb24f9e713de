"""Anomalies: days when a service or subscription cost far more than usual, and which resources."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import polars as pl
import streamlit as st

from cloudoptima import charts
from pages._ui import currencies, empty_state, guarded, money, page_context, pick_currency, query

ctx = page_context()
st.title("Anomalies")

METRIC = "BilledCost"  # what Workspace.anomalies scores by default (Usage charges only)
LISTED = ("date", "dimension", "value", "expected", "actual", "delta", "delta_pct", "score")
AMOUNTS = ("expected", "actual", "delta")


def choose_currency(frame: pl.DataFrame) -> str:
    return pick_currency(currencies(frame), "anomalies_currency")


def listing(frame: pl.DataFrame, currency: str) -> None:
    st.caption(f"{frame.height} anomalies in {currency}: days whose {METRIC} of Usage charges rose "
               "far above the weekday-adjusted baseline. Newest first.")  # fmt: skip
    config: dict[str, Any] = {c: st.column_config.NumberColumn(f"{c} ({currency})", format="%.2f") for c in AMOUNTS}  # fmt: skip
    config["delta_pct"] = st.column_config.NumberColumn("delta %", format="%.0f%%")
    config["score"] = st.column_config.NumberColumn("score", format="%.1f")
    config["date"] = st.column_config.DateColumn("date", format="YYYY-MM-DD")
    st.dataframe(frame.select(LISTED), hide_index=True, width="stretch", column_config=config)


def context_chart(anomaly: dict[str, Any], currency: str) -> None:
    day = anomaly["date"]
    daily = query(ctx.ws, "costs", start=day - timedelta(days=28), end=day + timedelta(days=14),
                  metric=METRIC, grain="day",
                  filters={anomaly["dimension"]: anomaly["value"], "ChargeCategory": "Usage"})  # fmt: skip
    daily = daily.filter(pl.col("BillingCurrency") == currency)
    chart = charts.anomaly_window(daily, "period", METRIC, day, anomaly["expected"], currency)
    st.plotly_chart(chart, width="stretch")


def contributors(picked: pl.DataFrame, currency: str) -> None:
    frame = picked.select(pl.col("contributors").explode()).unnest("contributors")
    frame = frame.drop_nulls("resource_id")
    st.markdown("**Contributing resources** (each against its own baseline)")
    if frame.is_empty():
        st.caption("No single resource stands out: the rise is spread over many small ones.")
        return
    frame = frame.select(pl.col("resource_id").str.split("/").list.last().alias("resource"),
                         *AMOUNTS, "resource_id")  # fmt: skip
    config = {c: st.column_config.NumberColumn(f"{c} ({currency})", format="%.2f") for c in AMOUNTS}
    st.dataframe(frame, hide_index=True, width="stretch", column_config=config)


def detail(frame: pl.DataFrame, currency: str) -> None:
    def label(index: int) -> str:
        row = frame.row(index, named=True)
        return f"{row['date']} · {row['value']} · +{money(row['delta'], currency)}"

    index = st.selectbox("Anomaly", range(frame.height), format_func=label, key="anomalies_pick")
    picked = frame.slice(index or 0, 1)
    anomaly = picked.row(0, named=True)
    st.subheader(f"{anomaly['value']} on {anomaly['date']}")
    st.markdown(f"{anomaly['dimension']} **{anomaly['value']}** cost {money(anomaly['actual'], currency)} "
                f"against an expected {money(anomaly['expected'], currency)} (score {anomaly['score']:.1f}).")  # fmt: skip
    left, right = st.columns([3, 2])
    with left:
        context_chart(anomaly, currency)
    with right:
        contributors(picked, currency)


def render() -> None:
    if query(ctx.ws, "totals").is_empty():
        empty_state("No cost data yet. An admin can upload cost exports on the Data page.")
        return
    found = query(ctx.ws, "anomalies")
    if found.is_empty():
        empty_state("No cost anomalies found. Each service and subscription needs 28 days of history "
                    "before its days are scored; import more months of cost exports on the Data page.")  # fmt: skip
        return
    currency = choose_currency(found)
    found = found.filter(pl.col("BillingCurrency") == currency)
    listing(found, currency)
    detail(found, currency)


guarded(render)
