"""Cost explorer: a date range grouped and filtered by dimensions or tags, per period."""

from __future__ import annotations

from datetime import date
from typing import Any

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
st.title("Cost explorer")

FILTERS = {"ServiceName": "Service", "SubAccountName": "Subscription",
           "x_ResourceGroupName": "Resource group", "RegionName": "Region", "ResourceType": "Resource type"}  # fmt: skip
GROUPS = {**FILTERS, "ResourceId": "Resource", "ChargeCategory": "Charge category"}
METRICS = {False: "EffectiveCost", True: "BilledCost"}


def label(dimension: str | None) -> str:
    return GROUPS.get(dimension or "", (dimension or "(none)").replace("tag:", "Tag: "))


def choose_currency(totals: pl.DataFrame) -> str:
    return pick_currency(currencies_by_size(totals), "costs_currency")


def default_start(first: date, last: date) -> date:
    """The first day of the month two months before the last cost day: three months of data."""
    year, month = divmod(last.year * 12 + last.month - 3, 12)
    return max(first, date(year, month + 1, 1))


def tag_keys() -> list[str]:
    inventory = query(ctx.ws, "sql", query="SELECT DISTINCT unnest(json_keys(tags)) AS key FROM resources ORDER BY key")  # fmt: skip
    return list(dict.fromkeys([*query(ctx.ws, "settings")["required_tags"], *inventory["key"]]))


def values(dimension: str, currency: str, **scope: Any) -> list[str]:
    frame: pl.DataFrame = query(ctx.ws, "costs", by=dimension, **scope)
    return frame.filter(pl.col("BillingCurrency") == currency)[dimension].drop_nulls().to_list()


def sidebar_filters(keys: list[str], currency: str, **scope: Any) -> dict[str, list[str]]:
    chosen: dict[str, list[str]] = {}
    st.sidebar.subheader("Filters")
    for dimension, name in FILTERS.items():
        options = values(dimension, currency, **scope)
        chosen[dimension] = st.sidebar.multiselect(name, options, key=f"costs_filter_{dimension}")
    key = st.sidebar.selectbox("Tag", keys, index=None, placeholder="Any tag", key="costs_tag_key")
    if key:
        options = values(f"tag:{key}", currency, **scope)
        chosen[f"tag:{key}"] = st.sidebar.multiselect(f"{key} is", options, key="costs_tag_values")
    return {dimension: wanted for dimension, wanted in chosen.items() if wanted}


def controls(first: date, last: date, keys: list[str]) -> tuple[Any, str, list[str], str]:
    with st.container(horizontal=True):
        span = st.date_input("Dates", (default_start(first, last), last), min_value=first,
                             max_value=last, key="costs_range")  # fmt: skip
        grain = st.segmented_control("Grain", ["day", "week", "month"], default="month", key="costs_grain")  # fmt: skip
        billed = st.toggle("Billed cost", key="costs_billed",
                           help="Off: effective (amortized) cost. On: cost as invoiced.")  # fmt: skip
    groups = [*GROUPS, *(f"tag:{key}" for key in keys)]
    with st.container(horizontal=True):
        first_by = st.selectbox("Group by", groups, format_func=label, key="costs_by")
        second_by = st.selectbox("Then by", [None, *groups], format_func=label, key="costs_by2")
    dims = list(dict.fromkeys(d for d in (first_by, second_by) if d))
    return span, grain or "month", dims, METRICS[billed]


def movers(by: str, metric: str, currency: str) -> None:
    st.subheader(f"Top movers by {label(by)}")
    rising = query(ctx.ws, "top_movers", by=by, metric=metric)
    rising = rising.filter(pl.col("BillingCurrency") == currency, pl.col("ranking") == "absolute")
    if rising.is_empty():
        st.caption("Nothing cost more this month to date than over the same days last month.")
        return
    window = rising.row(0, named=True)
    st.caption(f"{window['current_start']} to {window['current_end']} against {window['previous_start']} to "
               f"{window['previous_end']}, in {currency}; the filters above do not apply.")  # fmt: skip
    names = pl.col("top_resources").list.eval(pl.element().str.split("/").list.last())
    table = rising.select(by, pl.col("previous", "current", "delta").cast(pl.Float64), "delta_pct",
                          names.list.join(", ").alias("top resources"))  # fmt: skip
    config = {c: st.column_config.NumberColumn(f"{c} ({currency})", format="%.2f") for c in ("previous", "current", "delta")}  # fmt: skip
    config["delta_pct"] = st.column_config.NumberColumn("delta %", format="%.1f%%")
    st.dataframe(table, hide_index=True, width="stretch", column_config=config)


def render() -> None:
    totals = query(ctx.ws, "totals")
    if totals.is_empty():
        empty_state("No cost data yet. An admin can upload cost exports on the Data page.")
        return
    currency = choose_currency(totals)
    row = totals.filter(pl.col("BillingCurrency") == currency).row(0, named=True)
    keys = tag_keys()
    span, grain, dims, metric = controls(row["first_day"], row["last_day"], keys)
    if len(span) != 2:
        empty_state("Pick the last day of the range too.")
        return
    scope = {"start": span[0], "end": span[1], "metric": metric}
    chosen = sidebar_filters(keys, currency, **scope)
    frame = query(ctx.ws, "costs", by=dims, grain=grain, filters=chosen, **scope)
    frame = frame.filter(pl.col("BillingCurrency") == currency).drop("BillingCurrency")
    if frame.is_empty():
        empty_state("No costs match these dates and filters. Widen the dates or clear a filter in the sidebar.")  # fmt: skip
        return
    st.metric("Total", money(frame[metric].sum(), currency), border=True,
              help=f"{metric} from {span[0]} to {span[1]}")  # fmt: skip
    st.plotly_chart(charts.period_stack(frame, "period", dims, metric, currency), width="stretch")
    shown = frame.with_columns(pl.col(metric).cast(pl.Float64))
    st.dataframe(shown, hide_index=True, width="stretch", column_config={
        "period": st.column_config.DateColumn("period", format="YYYY-MM-DD"),
        metric: st.column_config.NumberColumn(f"{metric} ({currency})", format="%.2f")})  # fmt: skip
    st.download_button("Download CSV", frame.write_csv(), file_name=f"costs_{span[0]}_{span[1]}.csv",
                       mime="text/csv", key="costs_csv")  # fmt: skip
    movers(dims[0], metric, currency)


guarded(render)
