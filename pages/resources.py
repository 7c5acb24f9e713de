"""Resources: the inventory with its last 30 days of cost, tags and open findings; one in detail."""

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
st.title("Resources")

INVENTORY = """SELECT resource_id, name, type, resource_group, location, sku_name, power_state, tags
               FROM resources ORDER BY name, resource_id"""
DETAIL = "SELECT * EXCLUDE (_import_id) FROM resources WHERE resource_id = ?"
METRICS = """SELECT metric, unit, timestamp, average, maximum FROM metrics
             WHERE resource_id = ? ORDER BY metric, timestamp"""
FACTS = ("type", "location", "resource_group", "subscription_id", "kind", "sku_name", "sku_tier",
         "vm_size", "power_state", "disk_size_gb", "time_created", "last_seen")  # fmt: skip


def choose_currency(totals: pl.DataFrame) -> str | None:
    options = currencies_by_size(totals)
    return pick_currency(options, "resources_currency") if options else None


def recent_cost(totals: pl.DataFrame, currency: str | None) -> tuple[pl.DataFrame, str]:
    """EffectiveCost per (lower-cased) resource id over the last 30 days of cost data."""
    if currency is None:
        return pl.DataFrame(
            schema={"resource_id": pl.String, "cost_30d": pl.Float64}
        ), "no cost data"
    last = totals.filter(pl.col("BillingCurrency") == currency)["last_day"][0]
    start = last - timedelta(days=29)
    costs = query(ctx.ws, "costs", by="ResourceId", start=start, end=last, metric="EffectiveCost")
    costs = costs.filter(pl.col("BillingCurrency") == currency, pl.col("ResourceId").is_not_null())
    per_resource = costs.group_by(resource_id=pl.col("ResourceId").str.to_lowercase()).agg(
        cost_30d=pl.col("EffectiveCost").sum().cast(pl.Float64)
    )
    return per_resource, f"EffectiveCost from {start} to {last} in {currency}"


def inventory(resources: pl.DataFrame, cost: pl.DataFrame) -> pl.DataFrame:
    findings = query(ctx.ws, "findings", status="open")
    counts = findings.group_by(resource_id=pl.col("resource_id").str.to_lowercase()).agg(
        open_findings=pl.len()
    )
    joined = resources.join(cost, on="resource_id", how="left").join(counts, on="resource_id", how="left")  # fmt: skip
    return joined.with_columns(pl.col("open_findings").fill_null(0))


def search(frame: pl.DataFrame) -> pl.DataFrame:
    term = st.text_input("Search", key="resources_search", placeholder="Name, id or type contains…")
    if not term.strip():
        return frame
    wanted = term.strip().lower()
    return frame.filter(pl.any_horizontal(
        pl.col(c).fill_null("").str.to_lowercase().str.contains(wanted, literal=True)
        for c in ("name", "resource_id", "type")))  # fmt: skip


def metrics(resource_id: str) -> None:
    frame = query(ctx.ws, "sql", query=METRICS, params=[resource_id])
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


def detail(resource_id: str, row: dict[str, object], currency: str | None) -> None:
    resource = query(ctx.ws, "sql", query=DETAIL, params=[resource_id]).row(0, named=True)
    st.subheader(str(resource["name"]))
    cost = row["cost_30d"]
    st.caption(f"{resource_id} · last 30 days: {money(cost, currency) if currency else 'no cost data'}")  # fmt: skip
    facts, tags = st.columns(2)
    shown = {key: str(resource[key]) for key in FACTS if resource.get(key) is not None}
    facts.dataframe(pl.DataFrame({"property": list(shown), "value": list(shown.values())}),
                    hide_index=True, width="stretch")  # fmt: skip
    tags.markdown("**Tags**")
    tags.json(resource["tags"] or "{}")
    with st.expander("All properties"):
        st.json(resource["properties"] or "{}", expanded=1)
    findings = query(ctx.ws, "findings").filter(pl.col("resource_id").str.to_lowercase() == resource_id)  # fmt: skip
    st.markdown(f"**Findings** ({findings.height})")
    if findings.height:
        st.dataframe(findings.select("title", "status", "monthly_savings", "BillingCurrency", "rule"),
                     hide_index=True, width="stretch")  # fmt: skip
    metrics(resource_id)


def render() -> None:
    resources = query(ctx.ws, "sql", query=INVENTORY)
    if resources.is_empty():
        empty_state("No inventory yet. An admin can upload an Azure Resource Graph export on the Data page.")  # fmt: skip
        return
    totals = query(ctx.ws, "totals")
    currency = choose_currency(totals)
    cost, basis = recent_cost(totals, currency)
    table = search(inventory(resources, cost))
    st.caption(f"{table.height} of {resources.height} resources · cost: {basis}")
    shown = table.select("name", "type", "resource_group", "location", "cost_30d", "open_findings",
                         "sku_name", "power_state", "tags")  # fmt: skip
    st.dataframe(shown, hide_index=True, width="stretch", column_config={
        "cost_30d": st.column_config.NumberColumn(f"Cost, 30 days ({currency or '-'})", format="%.2f"),
        "open_findings": st.column_config.NumberColumn("Open findings")})  # fmt: skip
    if table.is_empty():
        empty_state("No resource matches the search; try part of a name, a resource group or a type.")  # fmt: skip
        return
    rows = {r["resource_id"]: r for r in table.iter_rows(named=True)}
    picked = st.selectbox("Resource", list(rows), key="resources_pick",
                          format_func=lambda rid: f"{rows[rid]['name']} · {rows[rid]['type']}")  # fmt: skip
    detail(picked, rows[picked], currency)


guarded(render)
