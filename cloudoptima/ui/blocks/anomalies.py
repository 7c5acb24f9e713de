"""Anomalies sections: the list of events, one in context, its resources, its status."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import polars as pl
import streamlit as st

from cloudoptima import charts
from cloudoptima.ui import data
from cloudoptima.ui.format import money, plain, resource_labels
from cloudoptima.ui.session import PageContext
from cloudoptima.ui.widgets import empty_state, guarded, pick_currency, table

METRIC = "BilledCost"  # what Workspace.anomalies scores by default (Usage charges only)
LISTED = ("date", "title", "expected", "actual", "delta", "delta_pct", "score", "status")
AMOUNTS = ("expected", "actual", "delta")
STATUS_FILTER = {
    "Open and acknowledged": ("open", "acknowledged"),
    "Open": ("open",),
    "Acknowledged": ("acknowledged",),
    "Dismissed": ("dismissed",),
    "All": ("open", "acknowledged", "dismissed"),
}
ACTIONS = {"Acknowledge": "acknowledged", "Dismiss": "dismissed", "Reopen": "open"}
FLASH = "anomalies_flash"


def listing(frame: pl.DataFrame, currency: str) -> None:
    """Every event of the currency, newest first."""
    st.caption(
        f"{frame.height} anomalies in {currency}: days whose billed cost of usage rose far above "
        "the weekday-adjusted baseline, one row per event (a service and its subscription "
        "spiking together are one). Newest first."
    )
    table(
        frame.select(LISTED).with_columns(pl.col("delta_pct") / 100),
        currency=currency,
        money=AMOUNTS,
        percent=["delta_pct"],
        labels={"title": "What", "actual": "Actual", "delta_pct": "Change %", "status": "Status"},
        config={
            "score": st.column_config.NumberColumn("Score", format="%.1f"),
            "date": st.column_config.DateColumn("Day", format="D MMM YYYY"),
        },
        key="anomalies_table",
    )


def context_chart(ctx: PageContext, anomaly: dict[str, Any], currency: str) -> None:
    """The event's group daily cost four weeks before and two after the day."""
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
    """One event, picked from the list: what happened, the chart, the resources, its status."""

    def label(index: int) -> str:
        row = frame.row(index, named=True)
        return f"{row['date']:%-d %b %Y} · {row['title']} · +{money(row['delta'], currency)}"

    index = st.selectbox("Anomaly", range(frame.height), format_func=label, key="anomalies_pick")
    picked = frame.slice(index or 0, 1)
    event = picked.row(0, named=True)
    st.subheader(plain(f"{event['title']} on {event['date']:%-d %B %Y}"))
    parts = [
        f"Services: {', '.join(event['services'])}." if event["services"] else "",
        f"Subscriptions: {', '.join(event['subscriptions'])}." if event["subscriptions"] else "",
    ]
    reason = f" ({event['status_reason']})" if event["status_reason"] else ""
    st.text(
        f"Cost {money(event['actual'], currency)} against an expected "
        f"{money(event['expected'], currency)} (score {event['score']:.1f}). "
        + " ".join(p for p in parts if p)
        + f" Status: {event['status']}{reason}."
    )
    left, right = st.columns([3, 2])
    with left:
        context_chart(ctx, event, currency)
    with right:
        contributors(picked, currency)
    if ctx.can("change_findings"):
        status_controls(ctx, event)


def status_controls(ctx: PageContext, event: dict[str, Any]) -> None:
    """Acknowledge, dismiss (with a reason) or reopen the event."""
    action = str(st.radio("Status", list(ACTIONS), horizontal=True, key="anomalies_action"))
    reason = st.text_input("Reason", key="anomalies_reason", help="Required to dismiss.")
    if st.button("Apply", type="primary", key="anomalies_apply"):
        guarded(lambda: apply(ctx, event, ACTIONS[action], reason.strip() or None))


def apply(ctx: PageContext, event: dict[str, Any], status: str, reason: str | None) -> None:
    """Store the status and show the page again with a confirmation."""
    ctx.ws.set_anomaly_status(event["anomaly_id"], status, reason=reason, by=ctx.username)
    st.session_state[FLASH] = f"{event['title']} on {event['date']:%-d %b}: now {status}."
    st.rerun()


def render(ctx: PageContext) -> None:
    """The whole anomalies page for the page's workspace."""
    if flash := st.session_state.pop(FLASH, None):
        st.success(plain(flash))
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
    wanted = STATUS_FILTER[
        str(
            st.segmented_control(
                "Show", list(STATUS_FILTER), default="Open and acknowledged", key="anomalies_status"
            )
            or "Open and acknowledged"
        )
    ]
    found = found.filter(pl.col("BillingCurrency") == currency, pl.col("status").is_in(wanted))
    if found.is_empty():
        empty_state("No anomaly has this status. Pick All above to see every one.")
        return
    listing(found, currency)
    detail(ctx, found, currency)
