"""Cost explorer sections: controls, filters, the breakdown and its top movers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl
import streamlit as st

from cloudoptima import charts
from cloudoptima.ui import data
from cloudoptima.ui.format import money, plain, resource_labels, span_text
from cloudoptima.ui.session import PageContext
from cloudoptima.ui.widgets import csv_download, empty_state, pick_currency, table

FILTERS = {
    "ServiceName": "Service",
    "SubAccountName": "Subscription",
    "x_ResourceGroupName": "Resource group",
    "RegionName": "Region",
    "ResourceType": "Resource type",
}
GROUPS = {**FILTERS, "ResourceId": "Resource", "ChargeCategory": "Charge category"}
METRICS = {"EffectiveCost": "Effective cost (amortized)", "BilledCost": "Billed cost (invoiced)"}
PERIOD_FORMAT = {"month": "MMM YYYY", "week": "[Week of] D MMM YYYY", "day": "D MMM YYYY"}


@dataclass(frozen=True)
class View:
    """What the controls ask for."""

    start: date
    end: date
    grain: str
    metric: str
    dims: list[str]
    inherit_tags: bool


def label(dimension: str | None) -> str:
    """A dimension in words: 'Service', 'Tag: env'."""
    return GROUPS.get(dimension or "", (dimension or "(none)").replace("tag:", "Tag: "))


def default_start(first: date, last: date) -> date:
    """The first day of the month two months before the last cost day: three months of data."""
    year, month = divmod(last.year * 12 + last.month - 3, 12)
    return max(first, date(year, month + 1, 1))


def controls(ctx: PageContext, first: date, last: date) -> View | None:
    """Dates, grain, metric, tag inheritance and the two group-bys."""
    with st.container(horizontal=True):
        span = st.date_input(
            "Dates",
            (default_start(first, last), last),
            min_value=first,
            max_value=last,
            key="costs_range",
        )
        grain = st.segmented_control(
            "Grain", ["day", "week", "month"], default="month", key="costs_grain"
        )
        billed = st.toggle(
            "Billed cost",
            key="costs_billed",
            help="Off: effective (amortized) cost. On: cost as invoiced.",
        )
        inherit = st.toggle(
            "Inherit tags",
            key="costs_inherit",
            help="A cost row without a tag takes it from its resource group, then its subscription.",
        )
    groups = [*GROUPS, *(f"tag:{key}" for key in data.tag_keys(ctx.ws))]
    with st.container(horizontal=True):
        first_by = st.selectbox("Group by", groups, format_func=label, key="costs_by")
        second_by = st.selectbox("Then by", [None, *groups], format_func=label, key="costs_by2")
    if not isinstance(span, tuple) or len(span) != 2:
        return None
    dims = [d for d in dict.fromkeys((first_by, second_by)) if d]
    metric = "BilledCost" if billed else "EffectiveCost"
    return View(span[0], span[1], str(grain or "month"), metric, dims, bool(inherit))


def sidebar_filters(ctx: PageContext, currency: str, view: View) -> dict[str, list[str]]:
    """Multiselects per dimension and one tag; only the ones with a choice filter."""
    chosen: dict[str, list[str]] = {}
    st.sidebar.subheader("Filters")
    for dimension, name in FILTERS.items():
        options = data.costs(ctx.ws, dimension, currency=currency, start=view.start, end=view.end)
        chosen[dimension] = st.sidebar.multiselect(
            name, options[dimension].drop_nulls().to_list(), key=f"costs_filter_{dimension}"
        )
    key = st.sidebar.selectbox(
        "Tag", data.tag_keys(ctx.ws), index=None, placeholder="Any tag", key="costs_tag_key"
    )
    if key:
        dim = f"tag:{key}"
        options = data.costs(
            ctx.ws,
            dim,
            currency=currency,
            start=view.start,
            end=view.end,
            inherit_tags=view.inherit_tags,
        )
        chosen[dim] = st.sidebar.multiselect(
            plain(f"{key} is"), options[dim].to_list(), key="costs_tag_values"
        )
    return {dimension: wanted for dimension, wanted in chosen.items() if wanted}


def named(frame: pl.DataFrame) -> pl.DataFrame:
    """Resource ids get a ``resource`` name column beside them (the id stays, for detail)."""
    if "ResourceId" not in frame.columns:
        return frame
    names = resource_labels(frame["ResourceId"].unique().to_list())
    resource = pl.col("ResourceId").replace_strict(names, return_dtype=pl.String)
    columns = ["resource" if c == "ResourceId" else c for c in frame.columns]
    return frame.with_columns(resource=resource).select(*columns, "ResourceId")


def breakdown(frame: pl.DataFrame, view: View, currency: str, last: date) -> None:
    """The total, the stacked chart, the table and its CSV."""
    total = frame[view.metric].sum()
    st.metric(
        f"Total, {span_text(view.start, view.end)}",
        money(total, currency),
        border=True,
        help=f"{METRICS[view.metric]} of the rows the filters keep",
    )
    shown = named(frame)
    dims = ["resource" if d == "ResourceId" else d for d in view.dims]
    figure = charts.period_stack(
        shown,
        "period",
        dims,
        view.metric,
        currency,
        grain=view.grain,
        first=view.start,
        last=min(view.end, last),
    )
    st.plotly_chart(figure, width="stretch", key="costs_chart")
    partial(shown, view, last)
    table(
        shown,
        currency=currency,
        money=[view.metric],
        labels={"ResourceId": "Resource id", **{d: label(d) for d in view.dims}},
        config={"period": st.column_config.DateColumn("Period", format=PERIOD_FORMAT[view.grain])},
    )
    csv_download(frame, f"costs_{view.start}_{view.end}.csv", "costs_csv", currency)


def partial(frame: pl.DataFrame, view: View, last: date) -> None:
    """Say which periods the chart holds only in part (their bars are hatched)."""
    if view.grain == "day":
        return
    end = min(view.end, last)
    periods = frame["period"].unique().sort().to_list()
    cut = [p for p in periods if charts.is_partial(p, view.grain, view.start, end)]
    if cut:
        names = ", ".join(charts.period_label(p, view.grain).split("<br>")[0] for p in cut)
        st.caption(
            f"Hatched bars hold part of their {view.grain} only ({names}): the range "
            f"runs from {span_text(view.start, end)}."
        )


def movers(ctx: PageContext, by: str, metric: str, currency: str) -> None:
    """The largest increases month to date against the same days last month."""
    st.subheader(plain(f"Top movers by {label(by)}, month to date"))
    rising = data.top_movers(ctx.ws, by, metric=metric, currency=currency).filter(
        pl.col("ranking") == "absolute"
    )
    if rising.is_empty():
        st.caption("Nothing cost more this month to date than over the same days last month.")
        return
    w = rising.row(0, named=True)
    st.caption(
        f"{span_text(w['current_start'], w['current_end'])} against "
        f"{span_text(w['previous_start'], w['previous_end'])}, {METRICS[metric].lower()} in "
        f"{currency}; the sidebar filters do not apply."
    )
    names = (
        pl.col("top_resources").list.eval(pl.element().str.split("/").list.last()).list.join(", ")
    )
    frame = named(rising.select(by, "previous", "current", "delta", "delta_pct"))
    frame = frame.with_columns(rising.select(names.alias("top_resources")))
    table(
        frame,
        currency=currency,
        money=["previous", "current", "delta"],
        labels={
            by: label(by),
            "ResourceId": "Resource id",
            "previous": "Same days last month",
            "current": "Month to date",
            "top_resources": "Resources that rose most",
        },
        config={"delta_pct": st.column_config.NumberColumn("Change %", format="%.1f%%")},
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
    view = controls(ctx, first, last)
    if view is None:
        empty_state("Pick the last day of the range too.")
        return
    filters = sidebar_filters(ctx, currency, view)
    frame = data.costs(
        ctx.ws,
        view.dims,
        currency=currency,
        start=view.start,
        end=view.end,
        metric=view.metric,
        grain=view.grain,
        filters=filters,
        inherit_tags=view.inherit_tags,
    ).drop("BillingCurrency")
    if frame.is_empty():
        empty_state(
            "No costs match these dates and filters. Widen the dates or clear a filter in the sidebar."
        )
        return
    if view.metric == "EffectiveCost" and (
        note := data.fallback_note(ctx.ws, currency=currency, start=view.start, end=view.end)
    ):
        st.info(note, icon=":material/info:")
    breakdown(frame, view, currency, last)
    movers(ctx, view.dims[0], view.metric, currency)
