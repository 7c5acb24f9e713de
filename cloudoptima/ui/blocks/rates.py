"""Rate optimization sections, after the FinOps toolkit's report: savings and the effective
savings rate, commitment utilization and coverage, per month and per commitment."""

from __future__ import annotations

import polars as pl
import streamlit as st

from cloudoptima import charts
from cloudoptima.analysis.rate_summary import MONEY
from cloudoptima.ui import data
from cloudoptima.ui.format import money, span_text
from cloudoptima.ui.session import PageContext
from cloudoptima.ui.widgets import csv_download, empty_state, pick_currency, table

MONTH = st.column_config.DateColumn("Month", format="MMM YYYY")


def ratio(value: float | None) -> str:
    """A share as a percentage, or a dash when there is nothing to divide."""
    return "–" if value is None else f"{value:.1%}"


def kpis(ctx: PageContext, months: pl.DataFrame, currency: str) -> None:
    """The whole range's savings, ESR, utilization, coverage and unused commitment."""
    summary = data.rate_optimization(ctx.ws).savings.filter(pl.col("BillingCurrency") == currency)
    row = summary.row(0, named=True) if summary.height else {}
    sums = months.select(pl.col(MONEY).sum().cast(pl.Float64)).row(0, named=True)
    used, unused = float(sums["used_cost"]), float(sums["unused_cost"])
    covered, on_demand = float(sums["covered_cost"]), float(sums["on_demand_cost"])
    with st.container(horizontal=True):
        st.metric(
            "Total savings",
            money(row.get("total_savings"), currency),
            border=True,
            help="List cost minus effective cost: negotiated discounts plus commitments.",
        )
        st.metric(
            "Effective savings rate",
            ratio(row.get("effective_savings_rate")),
            border=True,
            help="Total savings as a share of the list cost of the same usage.",
        )
        st.metric(
            "Commitment utilization",
            ratio(used / (used + unused) if used + unused else None),
            border=True,
            help="Share of reservation and savings plan cost that was used.",
        )
        st.metric(
            "Unused commitment",
            money(unused, currency),
            border=True,
            help="Cost of reservation and savings plan hours nothing used.",
        )
        st.metric(
            "Coverage of VM usage",
            ratio(covered / (covered + on_demand) if covered + on_demand else None),
            border=True,
            help="Share of virtual machine usage billed at a commitment rate.",
        )
    for note in row.get("notes") or []:
        st.text(note)


def per_month(months: pl.DataFrame, currency: str) -> None:
    """The charts and the monthly table with its CSV."""
    st.subheader("Savings and effective savings rate per month")
    st.plotly_chart(charts.rate_savings(months, currency), width="stretch", key="rates_savings")
    st.subheader("Commitment utilization and coverage per month")
    st.plotly_chart(charts.rate_shares(months), width="stretch", key="rates_shares")
    st.subheader("Month by month")
    table(
        months.drop("BillingCurrency").sort("period", descending=True),
        currency=currency,
        money=MONEY,
        percent=["utilization", "coverage", "effective_savings_rate"],
        config={"period": MONTH},
        key="rates_months",
    )
    csv_download(months, "rate_optimization.csv", "rates_csv")


def commitments(ctx: PageContext, currency: str) -> None:
    """Each reservation and savings plan over the whole range."""
    st.subheader("Commitments")
    used = data.rate_optimization(ctx.ws).utilization.filter(pl.col("BillingCurrency") == currency)
    if used.is_empty():
        empty_state(
            "No reservation or savings plan appears in the cost data. Utilization and coverage "
            "need an amortized or FOCUS export that carries commitment discount columns."
        )
        return
    frame = (
        used.group_by("CommitmentDiscountId")
        .agg(
            pl.col("CommitmentDiscountName").last(),
            pl.col("CommitmentDiscountType").last(),
            pl.col("used_cost").sum(),
            pl.col("unused_cost").sum(),
            pl.col("period").min().alias("first_month"),
            pl.col("period").max().alias("last_month"),
        )
        .with_columns(
            utilization=pl.col("used_cost").cast(pl.Float64)
            / (pl.col("used_cost") + pl.col("unused_cost")).cast(pl.Float64)
        )
        .sort("unused_cost", descending=True)
    )
    table(
        frame.select(
            "CommitmentDiscountName",
            "CommitmentDiscountType",
            "utilization",
            "used_cost",
            "unused_cost",
            "first_month",
            "last_month",
            "CommitmentDiscountId",
        ),
        currency=currency,
        money=["used_cost", "unused_cost"],
        percent=["utilization"],
        labels={"CommitmentDiscountId": "Commitment id"},
        config={
            "first_month": st.column_config.DateColumn("From", format="MMM YYYY"),
            "last_month": st.column_config.DateColumn("To", format="MMM YYYY"),
        },
        key="rates_commitments",
    )


def render(ctx: PageContext) -> None:
    """The whole rate-optimization page for the page's workspace."""
    currencies = data.currencies(ctx.ws)
    if not currencies:
        empty_state("No cost data yet. An admin can upload cost exports on the Data page.")
        return
    currency = pick_currency(currencies, "rates_currency")
    months = data.rates_by_month(ctx.ws).filter(pl.col("BillingCurrency") == currency)
    if months.is_empty():
        empty_state("No cost rows in this currency carry the columns rate optimization needs.")
        return
    span = data.date_range(ctx.ws)
    assert span is not None  # there are currencies, so there is cost data
    st.caption(
        f"Whole range of cost data, {span_text(*span)}, in {currency}. "
        "Commitment cost is amortized: effective cost spreads each purchase over its term."
    )
    kpis(ctx, months, currency)
    per_month(months, currency)
    commitments(ctx, currency)
