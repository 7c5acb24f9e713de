"""Resources sections: the searchable inventory with recent cost, and one resource in detail.

The resource shown in detail is the one picked, in the table (a click on its row) or
in the picker below it, and it stays picked while a new search still finds it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import polars as pl
import streamlit as st

from cloudoptima import charts
from cloudoptima.ui import data
from cloudoptima.ui.format import money, plain, subscription_name
from cloudoptima.ui.session import PageContext
from cloudoptima.ui.widgets import empty_state, pick_currency, table

PICK = "resources_pick"
TABLE_KEY = "resources_table"
FACTS = {
    "type": "Type",
    "location": "Region",
    "resource_group": "Resource group",
    "subscription": "Subscription",
    "kind": "Kind",
    "sku_name": "SKU",
    "sku_tier": "SKU tier",
    "vm_size": "VM size",
    "power_state": "Power state",
    "disk_size_gb": "Disk size (GB)",
    "time_created": "Created",
    "last_seen": "Last seen in inventory",
}
LISTED = (
    "name",
    "type",
    "resource_group",
    "subscription",
    "location",
    "cost_30d",
    "open_findings",
    "sku_name",
    "power_state",
    "tags",
)


def recent_cost(ctx: PageContext, currency: str | None) -> tuple[pl.DataFrame, str]:
    """EffectiveCost per (lower-cased) resource id over the last 30 days of cost data."""
    if currency is None:
        return pl.DataFrame(
            schema={"resource_id": pl.String, "cost_30d": pl.Float64}
        ), "no cost data"
    last = data.totals(ctx.ws).filter(pl.col("BillingCurrency") == currency)["last_day"][0]
    start = last - timedelta(days=29)
    costs = data.costs(
        ctx.ws, "ResourceId", currency=currency, start=start, end=last, metric="EffectiveCost"
    )
    per_resource = (
        costs.drop_nulls("ResourceId")
        .group_by(resource_id=pl.col("ResourceId").str.to_lowercase())
        .agg(cost_30d=pl.col("EffectiveCost").sum().cast(pl.Float64))
    )
    return per_resource, f"effective cost from {start} to {last}, {currency}"


def inventory(ctx: PageContext, resources: pl.DataFrame, cost: pl.DataFrame) -> pl.DataFrame:
    """Resources with their subscription's name, recent cost and count of open findings."""
    counts = (
        data.findings(ctx.ws, status="open")
        .group_by(resource_id=pl.col("resource_id").str.to_lowercase())
        .agg(open_findings=pl.len())
    )
    names = data.subscription_names(ctx.ws)
    joined = resources.join(cost, on="resource_id", how="left").join(
        counts, on="resource_id", how="left"
    )
    return joined.with_columns(
        pl.col("open_findings").fill_null(0),
        pl.col("cost_30d").fill_null(0.0),  # no cost row in 30 days: it cost nothing
        pl.col("subscription_id")
        .map_elements(lambda s: subscription_name(s, names), return_dtype=pl.String)
        .alias("subscription"),
    )


def metrics(ctx: PageContext, resource_id: str) -> None:
    """A chart of one metric of the resource, picked from those imported."""
    frame = data.resource_metrics(ctx.ws, resource_id)
    if frame.is_empty():
        st.caption("No metrics were imported for this resource.")
        return
    names = frame["metric"].unique(maintain_order=True).to_list()
    name = st.selectbox("Metric", names, key="resources_metric")
    series = frame.filter(pl.col("metric") == name)
    chart = charts.metric_lines(
        series, "timestamp", ["average", "maximum"], series["unit"][0] or ""
    )
    st.plotly_chart(chart, width="stretch", key="resources_metric_chart")


def facts(resource: dict[str, Any], subscription: str) -> pl.DataFrame:
    """Property / value rows of what is known about the resource, in words."""
    known = {**resource, "subscription": subscription}
    shown = {label: str(known[key]) for key, label in FACTS.items() if known.get(key) is not None}
    return pl.DataFrame({"property": list(shown), "value": list(shown.values())})


def tag_rows(tags: str | None) -> pl.DataFrame:
    """The resource's tags as key / value rows."""
    parsed = json.loads(tags or "{}")
    pairs = parsed.items() if isinstance(parsed, dict) else []
    return pl.DataFrame(
        {"tag": [str(k) for k, _ in pairs], "value": [str(v) for _, v in pairs]},
        schema={"tag": pl.String, "value": pl.String},
    )


def detail(ctx: PageContext, resource_id: str, row: dict[str, Any], currency: str | None) -> None:
    """Everything known of one resource: facts, tags, properties, findings, metrics."""
    resource = data.resource(ctx.ws, resource_id)
    if resource is None:
        st.caption("This resource is no longer in the inventory.")
        return
    st.subheader(plain(resource["name"]))
    st.code(resource_id, language=None, wrap_lines=True)
    cost = money(row["cost_30d"], currency) if currency else "no cost data"
    st.text(f"Cost over the last 30 days of cost data: {cost}")
    left, right = st.columns(2)
    with left:
        table(facts(resource, row["subscription"]), key="resources_facts")
    with right:
        tags = tag_rows(resource["tags"])
        if tags.is_empty():
            st.text("No tags.")
        else:
            table(tags, labels={"tag": "Tag", "value": "Value"}, key="resources_tags")
    with st.expander("All properties"):
        st.json(resource["properties"] or "{}", expanded=1)
    found = data.findings(ctx.ws).filter(pl.col("resource_id").str.to_lowercase() == resource_id)
    st.caption(f"Recommendations ({found.height})")
    if found.height:
        table(
            found.select("title", "status", "monthly_savings", "rule"),
            currency=currency,
            money=["monthly_savings"],
            labels={"rule": "Rule id"},
            key="resources_findings",
        )
    metrics(ctx, resource_id)


def follow_table(ids: list[str]) -> Callable[[], None]:
    """A callback: a click on a table row picks that resource."""

    def picked() -> None:
        rows = st.session_state[TABLE_KEY]["selection"]["rows"]
        if rows and rows[0] < len(ids):
            st.session_state[PICK] = ids[rows[0]]

    return picked


def labels(rows: dict[str, dict[str, Any]]) -> dict[str, str]:
    """What the picker shows per resource id; never twice the same text."""
    shown: dict[str, str] = {}
    seen: set[str] = set()
    for rid, row in rows.items():
        text = f"{row['name']} · {row['type']} · {row['resource_group']}"
        shown[rid] = text if text not in seen else f"{text} · {rid}"
        seen.add(shown[rid])
    return shown


def render(ctx: PageContext) -> None:
    """The whole resources page for the page's workspace."""
    everything = data.resources(ctx.ws)
    if everything.is_empty():
        empty_state(
            "No inventory yet. An admin can upload an Azure Resource Graph export on the Data page."
        )
        return
    options = data.currencies(ctx.ws)
    currency = pick_currency(options, "resources_currency") if options else None
    cost, basis = recent_cost(ctx, currency)
    term = st.text_input("Search", key="resources_search", placeholder="Name, id or type contains…")
    found = inventory(ctx, data.resources(ctx.ws, search=term.strip() or None), cost)
    st.caption(
        f"{found.height:,} of {everything.height:,} resources · cost: {basis} · "
        "click a row to see it in detail"
    )
    if found.is_empty():
        empty_state(
            "No resource matches the search; try part of a name, a resource group or a type."
        )
        return
    ids = found["resource_id"].to_list()
    table(
        found.select(LISTED),
        currency=currency,
        money=["cost_30d"],
        labels={"name": "Name"},
        key=TABLE_KEY,
        on_select=follow_table(ids),
        selection_mode="single-row",
    )
    rows = {r["resource_id"]: r for r in found.iter_rows(named=True)}
    if st.session_state.get(PICK) not in rows:
        st.session_state[PICK] = ids[0]  # the pick fell out of the search: the first match
    shown = labels(rows)
    picked = st.selectbox("Resource", ids, format_func=shown.__getitem__, key=PICK)
    detail(ctx, str(picked), rows[str(picked)], currency)
