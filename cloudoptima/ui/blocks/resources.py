"""Resources sections: the searchable inventory with recent cost, and one resource in detail."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import polars as pl
import streamlit as st

from cloudoptima import charts
from cloudoptima.ui import data
from cloudoptima.ui.format import money, money_column
from cloudoptima.ui.session import PageContext
from cloudoptima.ui.widgets import empty_state, pick_currency

FACTS = (
    "type",
    "location",
    "resource_group",
    "subscription_id",
    "kind",
    "sku_name",
    "sku_tier",
    "vm_size",
    "power_state",
    "disk_size_gb",
    "time_created",
    "last_seen",
)
LISTED = (
    "name",
    "type",
    "resource_group",
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
    return per_resource, f"EffectiveCost from {start} to {last} in {currency}"


def inventory(ctx: PageContext, resources: pl.DataFrame, cost: pl.DataFrame) -> pl.DataFrame:
    """Resources with their recent cost and count of open findings."""
    counts = (
        data.findings(ctx.ws, status="open")
        .group_by(resource_id=pl.col("resource_id").str.to_lowercase())
        .agg(open_findings=pl.len())
    )
    joined = resources.join(cost, on="resource_id", how="left").join(
        counts, on="resource_id", how="left"
    )
    return joined.with_columns(pl.col("open_findings").fill_null(0))


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
    st.plotly_chart(chart, width="stretch")


def detail(ctx: PageContext, resource_id: str, row: dict[str, Any], currency: str | None) -> None:
    """Everything known of one resource: facts, tags, properties, findings, metrics."""
    resource = data.resource(ctx.ws, resource_id)
    if resource is None:
        st.caption("This resource is no longer in the inventory.")
        return
    st.subheader(str(resource["name"]))
    cost = money(row["cost_30d"], currency) if currency else "no cost data"
    st.caption(f"{resource_id} · last 30 days: {cost}")
    facts, tags = st.columns(2)
    shown = {key: str(resource[key]) for key in FACTS if resource.get(key) is not None}
    facts.dataframe(
        pl.DataFrame({"property": list(shown), "value": list(shown.values())}),
        hide_index=True,
        width="stretch",
    )
    tags.caption("Tags")
    tags.json(resource["tags"] or "{}")
    with st.expander("All properties"):
        st.json(resource["properties"] or "{}", expanded=1)
    findings = data.findings(ctx.ws).filter(pl.col("resource_id").str.to_lowercase() == resource_id)
    st.caption(f"Findings ({findings.height})")
    if findings.height:
        st.dataframe(
            findings.select("title", "status", "monthly_savings", "BillingCurrency", "rule"),
            hide_index=True,
            width="stretch",
        )
    metrics(ctx, resource_id)


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
    table = inventory(ctx, data.resources(ctx.ws, search=term.strip() or None), cost)
    st.caption(f"{table.height} of {everything.height} resources · cost: {basis}")
    st.dataframe(
        table.select(LISTED),
        hide_index=True,
        width="stretch",
        column_config={
            "cost_30d": money_column("Cost, 30 days", currency or "-"),
            "open_findings": st.column_config.NumberColumn("Open findings"),
        },
    )
    if table.is_empty():
        empty_state(
            "No resource matches the search; try part of a name, a resource group or a type."
        )
        return
    rows = {r["resource_id"]: r for r in table.iter_rows(named=True)}
    picked = st.selectbox(
        "Resource",
        list(rows),
        key="resources_pick",
        format_func=lambda rid: f"{rows[rid]['name']} · {rows[rid]['type']}",
    )
    detail(ctx, str(picked), rows[str(picked)], currency)
