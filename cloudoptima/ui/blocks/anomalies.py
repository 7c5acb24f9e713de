"""Anomalies sections: the list of anomalous days, one in context, its contributing resources."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import polars as pl
import streamlit as st

from cloudoptima import charts
from cloudoptima.ui import data
from cloudoptima.ui.format import money, plain, resource_labels, subscription_name
from cloudoptima.ui.session import PageContext
from cloudoptima.ui.widgets import empty_state, pick_currency, table

METRIC = "BilledCost"  # what Workspace.anomalies scores by default (Usage charges only)
LISTED = ("date", "dimension", "name", "expected", "actual", "delta", "delta_pct", "score")
AMOUNTS = ("expected", "actual", "delta")
DIMENSIONS = {"ServiceName": "Service", "SubAccountId": "Subscription"}


def named(ctx: PageContext, frame: pl.DataFrame) -> pl.DataFrame:
    """Anomalies with a ``name`` column: subscriptions by name, dimensions in words."""
    names = data.subscription_names(ctx.ws)
    value = pl.struct("dimension", "value").map_elements(
        lambda r: (
            subscription_name(r["value"], names)
            if r["dimension"] == "SubAccountId"
            else str(r["value"] or "(none)")
        ),
        return_dtype=pl.String,
    )
    return frame.with_columns(
        name=value, dimension=pl.col("dimension").replace(DIMENSIONS).alias("dimension")
    )


def listing(frame: pl.DataFrame, currency: str) -> None:
    """Every anomaly of the currency, newest first."""
    # LEAD: one row per event with an acknowledge/dismiss status (Workspace.set_anomaly_status)
    # replaces this per-dimension-per-day list; the status control goes in `detail`.
    st.caption(
        f"{frame.height} anomalies in {currency}: days whose billed cost of usage rose far above "
        "the weekday-adjusted baseline. Newest first."
    )
    table(
        frame.select(LISTED).with_columns(pl.col("delta_pct") / 100),
        currency=currency,
        money=AMOUNTS,
        percent=["delta_pct"],
        labels={
            "dimension": "Found in",
            "name": "Service or subscription",
            "actual": "Actual",
            "delta_pct": "Change %",
        },
        config={
            "score": st.column_config.NumberColumn("Score", format="%.1f"),
            "date": st.column_config.DateColumn("Day", format="D MMM YYYY"),
        },
        key="anomalies_table",
    )


def context_chart(ctx: PageContext, anomaly: dict[str, Any], currency: str) -> None:
    """The group's daily cost four weeks before and two after the day."""
    day = anomaly["date"]
    dimension = {v: k for k, v in DIMENSIONS.items()}.get(anomaly["dimension"], "ServiceName")
    daily = data.costs(
        ctx.ws,
        currency=currency,
        start=day - timedelta(days=28),
        end=day + timedelta(days=14),
        metric=METRIC,
        grain="day",
        filters={dimension: anomaly["value"], "ChargeCategory": "Usage"},
    )
    chart = charts.anomaly_window(daily, "period", METRIC, day, anomaly["expected"], currency)
    st.plotly_chart(chart, width="stretch", key="anomalies_chart")


def contributors(picked: pl.DataFrame, currency: str) -> None:
    """The resources whose own cost moved most that day."""
    frame = (
        picked.select(pl.col("contributors").explode())
        .unnest("contributors")
        .drop_nulls("resource_id")
    )
    st.caption("Contributing resources (each against its own baseline)")
    if frame.is_empty():
        st.text("No single resource stands out: the rise is spread over many small ones.")
        return
    names = resource_labels(frame["resource_id"].to_list())
    frame = frame.select(
        pl.col("resource_id").replace_strict(names, return_dtype=pl.String).alias("resource"),
        *AMOUNTS,
        "resource_id",
    )
    table(
        frame,
        currency=currency,
        money=AMOUNTS,
        labels={"resource_id": "Resource id"},
        key="anomalies_contributors",
    )


def detail(ctx: PageContext, frame: pl.DataFrame, currency: str) -> None:
    """One anomaly, picked from the list."""

    def label(index: int) -> str:
        row = frame.row(index, named=True)
        return f"{row['date']} · {row['name']} · +{money(row['delta'], currency)}"

    index = st.selectbox("Anomaly", range(frame.height), format_func=label, key="anomalies_pick")
    picked = frame.slice(index or 0, 1)
    anomaly = picked.row(0, named=True)
    st.subheader(plain(f"{anomaly['name']} on {anomaly['date']:%-d %B %Y}"))
    st.text(
        f"{anomaly['dimension']} {anomaly['name']} cost {money(anomaly['actual'], currency)} "
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
    found = named(ctx, found.filter(pl.col("BillingCurrency") == currency))
    listing(found, currency)
    detail(ctx, found, currency)
