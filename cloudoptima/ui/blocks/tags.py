"""Tags and showback sections: how much spend carries the required tags, and cost per team,
project or subscription with what could not be allocated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl
import streamlit as st

from cloudoptima import charts
from cloudoptima.ui import data
from cloudoptima.ui.format import money, span_text
from cloudoptima.ui.session import PageContext
from cloudoptima.ui.widgets import csv_download, empty_state, pick_currency, table

SUBSCRIPTION = "SubAccountName"


def share_column(label: str) -> object:
    """A share of a total (0..1) as a bar with its percentage."""
    return st.column_config.ProgressColumn(label, format="percent", min_value=0.0, max_value=1.0)


@dataclass(frozen=True)
class Scope:
    """The currency, days and tag rule the page's figures use."""

    currency: str
    start: date
    end: date
    inherit: bool


def last_full_month(first: date, last: date) -> tuple[date, date]:
    """The last complete month of data, else everything (finance allocates by month)."""
    end = last if (last + timedelta(days=1)).day == 1 else last.replace(day=1) - timedelta(days=1)
    return (max(end.replace(day=1), first), end) if end >= first else (first, last)


def controls(ctx: PageContext) -> Scope | None:
    """Currency, dates and the inheritance toggle."""
    currency = pick_currency(data.currencies(ctx.ws), "tags_currency")
    row = data.totals(ctx.ws).filter(pl.col("BillingCurrency") == currency).row(0, named=True)
    first, last = row["first_day"], row["last_day"]
    with st.container(horizontal=True):
        span = st.date_input(
            "Dates", last_full_month(first, last), min_value=first, max_value=last, key="tags_range"
        )
        inherit = st.toggle(
            "Inherit tags",
            key="tags_inherit",
            help="A cost row without a tag takes it from its resource group, then its "
            "subscription (as Azure's tag inheritance does).",
        )
    if not isinstance(span, tuple) or len(span) != 2:
        return None
    return Scope(currency, span[0], span[1], bool(inherit))


def coverage(ctx: PageContext, scope: Scope) -> None:
    """Spend without each required tag, and without at least one of them."""
    required = [str(t) for t in data.settings(ctx.ws)["required_tags"]]
    st.subheader("Tag coverage")
    if not required:
        empty_state("No required tags are set. An admin names them on the Settings page.")
        return
    st.caption(
        f"Required tags (set on Settings): {', '.join(required)}. Cost from "
        f"{span_text(scope.start, scope.end)}, {scope.currency}."
    )
    frame = data.tag_coverage(
        ctx.ws,
        currency=scope.currency,
        start=scope.start,
        end=scope.end,
        inherit_tags=scope.inherit,
    )
    covered = frame.filter(pl.col("tag") == "(all required)")
    if covered.height:
        row = covered.row(0, named=True)
        share = 1 - (row["untagged_share"] or 0)
        with st.container(horizontal=True):
            st.metric("Spend with every required tag", f"{share:.1%}", border=True)
            st.metric(
                "Spend missing at least one",
                money(row["untagged_cost"], scope.currency),
                border=True,
            )
    table(
        frame.drop("BillingCurrency"),
        currency=scope.currency,
        money=["cost", "untagged_cost"],
        labels={"tag": "Required tag", "cost": "Total cost"},
        config={"untagged_share": share_column("Share without the tag")},
        key="tags_coverage",
    )


def allocation(ctx: PageContext, scope: Scope, by: str) -> pl.DataFrame:
    """Cost per value of ``by`` (a tag key or the subscription) with its share."""
    if by != SUBSCRIPTION:
        frame = data.showback(
            ctx.ws,
            by,
            currency=scope.currency,
            start=scope.start,
            end=scope.end,
            inherit_tags=scope.inherit,
        )
        return frame.rename({f"tag:{by}": "value"}).drop("BillingCurrency")
    costs = data.costs(
        ctx.ws,
        SUBSCRIPTION,
        currency=scope.currency,
        start=scope.start,
        end=scope.end,
        metric="EffectiveCost",
    )
    total = costs["EffectiveCost"].sum()
    return costs.select(
        pl.col(SUBSCRIPTION).fill_null("(unallocated)").alias("value"),
        pl.col("EffectiveCost").alias("cost"),
        (pl.col("EffectiveCost").cast(pl.Float64) / float(total or 1)).alias("share"),
    )


def showback(ctx: PageContext, scope: Scope) -> None:
    """Showback by a tag or by subscription: the table, a chart and the CSV for finance."""
    st.subheader("Showback")
    keys = data.tag_keys(ctx.ws)
    by = str(
        st.selectbox(
            "Allocate cost by",
            [*keys, SUBSCRIPTION],
            format_func=lambda k: "Subscription" if k == SUBSCRIPTION else f"Tag {k}",
            key="tags_showback_by",
        )
    )
    frame = allocation(ctx, scope, by)
    if frame.is_empty():
        empty_state("No cost in these days.")
        return
    name = "Subscription" if by == SUBSCRIPTION else f"Tag {by}"
    st.caption(
        f"Effective cost from {span_text(scope.start, scope.end)}, {scope.currency}; "
        "the rows add up to the total. (unallocated) is cost without a value."
    )
    left, right = st.columns([3, 2])
    with left:
        table(
            frame,
            currency=scope.currency,
            money=["cost"],
            labels={"value": name},
            config={"share": share_column("Share")},
            key="tags_showback",
        )
        csv_download(
            frame.rename({"value": by}),
            f"showback_{by}_{scope.start}_{scope.end}.csv",
            "tags_csv",
            scope.currency,
        )
    with right:
        figure = charts.ranked_bars(frame.head(15), "value", "cost", scope.currency)
        st.plotly_chart(figure, width="stretch", key="tags_showback_chart")


def render(ctx: PageContext) -> None:
    """The whole tags and showback page for the page's workspace."""
    if not data.currencies(ctx.ws):
        empty_state("No cost data yet. An admin can upload cost exports on the Data page.")
        return
    scope = controls(ctx)
    if scope is None:
        empty_state("Pick the last day of the range too.")
        return
    coverage(ctx, scope)
    showback(ctx, scope)
