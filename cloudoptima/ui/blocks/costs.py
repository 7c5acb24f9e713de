"""Cost explorer sections: controls, filters, the breakdown and its top movers."""

from __future__ import annotations

from datetime import date

import polars as pl
import streamlit as st

from cloudoptima import charts
from cloudoptima.spreadsheet import to_csv
from cloudoptima.ui import data
from cloudoptima.ui.format import money, money_column
from cloudoptima.ui.session import PageContext
from cloudoptima.ui.widgets import empty_state, pick_currency

FILTERS = {
    "ServiceName": "Service",
    "SubAccountName": "Subscription",
    "x_ResourceGroupName": "Resource group",
    "RegionName": "Region",
    "ResourceType": "Resource type",
}
GROUPS = {**FILTERS, "ResourceId": "Resource", "ChargeCategory": "Charge category"}


def label(dimension: str | None) -> str:
    return GROUPS.get(dimension or "", (dimension or "(none)").replace("tag:", "Tag: "))


def default_start(first: date, last: date) -> date:
    """The first day of the month two months before the last cost day: three months of data."""
    year, month = divmod(last.year * 12 + last.month - 3, 12)
    return max(first, date(year, month + 1, 1))


def sidebar_filters(
    ctx: PageContext, currency: str, start: date, end: date
) -> dict[str, list[str]]:
    chosen: dict[str, list[str]] = {}
    st.sidebar.subheader("Filters")
    for dimension, name in FILTERS.items():
        options = data.costs(ctx.ws, dimension, currency=currency, start=start, end=end)[dimension]
        chosen[dimension] = st.sidebar.multiselect(
            name, options.drop_nulls().to_list(), key=f"costs_filter_{dimension}"
        )
    key = st.sidebar.selectbox(
        "Tag", data.tag_keys(ctx.ws), index=None, placeholder="Any tag", key="costs_tag_key"
    )
    if key:
        options = data.costs(ctx.ws, f"tag:{key}", currency=currency, start=start, end=end)[
            f"tag:{key}"
        ]
        chosen[f"tag:{key}"] = st.sidebar.multiselect(
            f"{key} is", options.to_list(), key="costs_tag_values"
        )
    return {dimension: wanted for dimension, wanted in chosen.items() if wanted}


def movers(ctx: PageContext, by: str, metric: str, currency: str) -> None:
    st.subheader(f"Top movers by {label(by)}")
    rising = data.top_movers(ctx.ws, by, metric=metric, currency=currency).filter(
        pl.col("ranking") == "absolute"
    )
    if rising.is_empty():
        st.caption("Nothing cost more this month to date than over the same days last month.")
        return
    w = rising.row(0, named=True)
    st.caption(
        f"{w['current_start']} to {w['current_end']} against {w['previous_start']} to {w['previous_end']}, "
        f"in {currency}; the filters above do not apply."
    )
    names = (
        pl.col("top_resources").list.eval(pl.element().str.split("/").list.last()).list.join(", ")
    )
    table = rising.select(
        by,
        pl.col("previous", "current", "delta").cast(pl.Float64),
        "delta_pct",
        names.alias("top resources"),
    )
    config = {c: money_column(c, currency) for c in ("previous", "current", "delta")}
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            **config,
            "delta_pct": st.column_config.NumberColumn("delta %", format="%.1f%%"),
        },
    )


def render(ctx: PageContext) -> None:
    """The whole explorer for the page's workspace."""
    currencies = data.currencies(ctx.ws)
    if not currencies:
        empty_state("No cost data yet. An admin can upload cost exports on the Data page.")
        return
    currency = pick_currency(currencies, "costs_currency")
    row = data.totals(ctx.ws).filter(pl.col("BillingCurrency") == currency).row(0, named=True)
    first, last = row["first_day"], row["last_day"]
    with st.container(horizontal=True):
        span = st.date_input(
            "Dates",
            (default_start(first, last), last),
            min_value=first,
            max_value=last,
            key="costs_range",
        )
        grain = (
            st.segmented_control(
                "Grain", ["day", "week", "month"], default="month", key="costs_grain"
            )
            or "month"
        )
        billed = st.toggle(
            "Billed cost",
            key="costs_billed",
            help="Off: effective (amortized) cost. On: cost as invoiced.",
        )
    groups = [*GROUPS, *(f"tag:{key}" for key in data.tag_keys(ctx.ws))]
    with st.container(horizontal=True):
        first_by = st.selectbox("Group by", groups, format_func=label, key="costs_by")
        second_by = st.selectbox("Then by", [None, *groups], format_func=label, key="costs_by2")
    if not isinstance(span, tuple) or len(span) != 2:
        empty_state("Pick the last day of the range too.")
        return
    metric, dims = (
        ("BilledCost" if billed else "EffectiveCost"),
        [d for d in dict.fromkeys((first_by, second_by)) if d],
    )
    filters = sidebar_filters(ctx, currency, span[0], span[1])
    frame = data.costs(
        ctx.ws,
        dims,
        currency=currency,
        start=span[0],
        end=span[1],
        metric=metric,
        grain=grain,
        filters=filters,
    ).drop("BillingCurrency")
    if frame.is_empty():
        empty_state(
            "No costs match these dates and filters. Widen the dates or clear a filter in the sidebar."
        )
        return
    st.metric(
        "Total",
        money(frame[metric].sum(), currency),
        border=True,
        help=f"{metric} from {span[0]} to {span[1]}",
    )
    st.plotly_chart(charts.period_stack(frame, "period", dims, metric, currency), width="stretch")
    st.dataframe(
        frame.with_columns(pl.col(metric).cast(pl.Float64)),
        hide_index=True,
        width="stretch",
        column_config={
            "period": st.column_config.DateColumn("period", format="YYYY-MM-DD"),
            metric: money_column(metric, currency),
        },
    )
    st.download_button(
        "Download CSV",
        to_csv(frame),
        file_name=f"costs_{span[0]}_{span[1]}.csv",
        mime="text/csv",
        key="costs_csv",
    )
    movers(ctx, dims[0], metric, currency)
