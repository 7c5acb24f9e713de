"""Recommendations sections: filters, savings by rule, the list, one finding, its lifecycle."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import polars as pl
import streamlit as st

from cloudoptima import charts
from cloudoptima.analysis.findings import STATUSES
from cloudoptima.analysis.rules import load_builtin_rules
from cloudoptima.errors import CloudOptimaError
from cloudoptima.ui import data
from cloudoptima.ui.format import SEVERAL_SUBSCRIPTIONS, money, plain, subscription_name
from cloudoptima.ui.session import PageContext
from cloudoptima.ui.widgets import csv_download, empty_state, guarded, pick_currency, table

TABLE = (
    "title",
    "resource_name",
    "monthly_savings",
    "status",
    "subscription",
    "resource_group",
    "impact",
    "effort",
    "rule",
    "finding_id",
)
ACTIONS = {"Dismiss": "dismissed", "Snooze": "snoozed", "Resolve": "resolved", "Reopen": "open"}
# What the savings of the findings a status filter keeps are: only open ones are potential.
SAVINGS_LABEL = {
    "open": "Potential savings",
    "dismissed": "Savings set aside (dismissed)",
    "snoozed": "Savings on hold (snoozed)",
    "resolved": "Savings expected from resolved",
    "All": "Savings, every status",
}


def rule_titles() -> dict[str, str]:
    """Rule id -> 'Title (id)', how a rule is named on screen."""
    return {rid: f"{rule.title} ({rid})" for rid, rule in load_builtin_rules().items()}


def with_names(ctx: PageContext, findings: pl.DataFrame) -> pl.DataFrame:
    """Findings with a ``subscription`` column holding the subscription's name."""
    names = data.subscription_names(ctx.ws)
    return findings.with_columns(
        pl.col("subscription_id")
        .map_elements(lambda s: subscription_name(s, names), return_dtype=pl.String)
        .fill_null(SEVERAL_SUBSCRIPTIONS)  # a grouped finding (reservations) spans several
        .alias("subscription")
    )


def _pick(label: str, frame: pl.DataFrame, column: str, names: dict[str, str]) -> str:
    options = ["All", *sorted(frame.get_column(column).drop_nulls().unique().to_list())]
    picked = st.sidebar.selectbox(
        label, options, format_func=lambda v: names.get(v, v), key=f"recommendations_{column}"
    )
    return str(picked)


def filtered(findings: pl.DataFrame) -> tuple[pl.DataFrame, str]:
    """The findings the sidebar filters keep, and the status picked."""
    status = str(
        st.sidebar.selectbox("Status", ["All", *STATUSES], index=1, key="recommendations_status")
    )
    picks = {"status": status}
    for column, label, names in (
        ("rule", "Rule", rule_titles()),
        ("subscription", "Subscription", {}),
        ("resource_group", "Resource group", {}),
    ):
        picks[column] = _pick(label, findings, column, names)
    minimum = st.sidebar.number_input(
        "Minimum monthly saving",
        min_value=0.0,
        step=10.0,
        key="recommendations_min_saving",
    )
    for column, value in picks.items():
        findings = findings if value == "All" else findings.filter(pl.col(column) == value)
    return findings.filter(pl.col("monthly_savings") >= minimum), status


def overview(shown: pl.DataFrame, currency: str, status: str) -> None:
    """The savings total, the chart by rule, the table and its CSV."""
    with st.container(horizontal=True):
        st.metric("Recommendations shown", f"{shown.height:,}", border=True)
        st.metric(
            f"{SAVINGS_LABEL[status]} ({currency})",
            f"{money(shown['monthly_savings'].sum(), currency)} /mo",
            border=True,
        )
    st.subheader("Monthly savings by rule")
    by_rule = shown.group_by("title").agg(pl.col("monthly_savings").sum(), pl.len().alias("n"))
    by_rule = by_rule.with_columns(
        findings=pl.format("{} recommendation(s)", pl.col("n").cast(pl.String))
    )
    figure = charts.ranked_bars(by_rule, "title", "monthly_savings", currency, hover="findings")
    st.plotly_chart(figure, width="stretch", key="recommendations_by_rule")
    table(
        shown.select(TABLE),
        currency=currency,
        money=["monthly_savings"],
        labels={"rule": "Rule id", "finding_id": "Finding id"},
        key="recommendations_table",
    )
    csv_download(shown.drop("subscription"), "recommendations.csv", "recommendations_csv")


def detail(ctx: PageContext, shown: pl.DataFrame, currency: str) -> None:
    """One finding: its facts as text, evidence, remediation, cost history and status."""
    st.subheader("Details")
    rows = {r["finding_id"]: r for r in shown.iter_rows(named=True)}

    def label(key: str) -> str:
        r = rows[key]
        return f"{r['resource_name']} · {r['title']} ({money(r['monthly_savings'], currency)} /mo)"

    picked = st.selectbox(
        "Recommendation", list(rows), format_func=label, key="recommendations_finding"
    )
    row = rows[str(picked)]
    reason = f" ({row['status_reason']})" if row["status_reason"] else ""
    st.text(
        f"{row['title']}\n"
        f"Resource: {row['resource_name']} in {row['resource_group']}, {row['subscription']}\n"
        f"Saving: {money(row['monthly_savings'], currency)} a month "
        f"({money(row['annual_savings'], currency)} a year) · status {row['status']}{reason}"
    )
    st.text(row["description"])
    left, right = st.columns(2)
    left.caption("Evidence")
    left.json(json.loads(row["evidence"] or "{}"))
    right.caption("Remediation")
    if row["remediation"]:
        right.code(row["remediation"], language="bash", wrap_lines=True)
    else:
        right.text("No command for this one: follow the description above.")
    right.caption("Resource id")
    right.code(row["resource_id"], language=None, wrap_lines=True)
    history(ctx, row)
    if ctx.can("change_findings"):
        status_controls(ctx, row)


def history(ctx: PageContext, row: dict[str, Any]) -> None:
    """The resource's daily cost, on the basis its savings were computed from."""
    metric = "EffectiveCost" if row["cost_basis"] == "effective" else "BilledCost"
    daily = data.costs(
        ctx.ws,
        "ResourceId",
        currency=row["BillingCurrency"],
        grain="day",
        metric=metric,
        filters={"ResourceId": row["resource_id"]},
    )
    if daily.is_empty():
        st.caption("No cost rows for this resource in the imported cost data.")
        return
    basis = "effective (amortized)" if metric == "EffectiveCost" else "billed"
    st.caption(f"Daily {basis} cost of this resource, {row['BillingCurrency']}")
    frame = daily.with_columns(pl.col(metric).cast(pl.Float64))
    figure = charts.stacked_bars(frame, "period", metric, None, row["BillingCurrency"])
    st.plotly_chart(figure, width="stretch", key="recommendations_history")


def status_controls(ctx: PageContext, row: dict[str, Any]) -> None:
    """Dismiss, snooze, resolve or reopen the finding."""
    st.subheader("Change status")
    action = str(st.radio("Action", list(ACTIONS), horizontal=True, key="recommendations_action"))
    reason = st.text_input("Reason", key="recommendations_reason", help="Required to dismiss.")
    until: date | None = None
    on: date | None = None
    today = date.today()
    if action == "Snooze":
        until = st.date_input(
            "Snooze until",
            today + timedelta(days=30),
            key="recommendations_until",
            help="A day after today; the recommendation opens again on that day.",
        )
    if action == "Resolve":
        on = st.date_input("Resolved on", today, max_value=today, key="recommendations_on")
    if st.button("Apply", type="primary", key="recommendations_apply"):
        guarded(lambda: apply(ctx, row, ACTIONS[action], reason.strip() or None, until, on))


def check(status: str, reason: str | None, until: date | None) -> None:
    """Refuse what the library would refuse, in the page's words."""
    if status == "dismissed" and not reason:
        raise CloudOptimaError(
            "Dismissing a recommendation needs a reason: say in Reason why it stays."
        )
    if status == "snoozed" and (until is None or until <= date.today()):
        day = "no day" if until is None else f"{until:%-d %B %Y}"
        raise CloudOptimaError(
            f"A snooze must end in the future: pick a day after today ({date.today():%-d %B %Y}), "
            f"not {day}."
        )


def apply(
    ctx: PageContext,
    row: dict[str, Any],
    status: str,
    reason: str | None,
    until: date | None,
    on: date | None,
) -> None:
    """Store the status change and show the page again with a confirmation."""
    check(status, reason, until)
    ctx.ws.set_finding_status(
        row["finding_id"], status, reason=reason, until=until, on=on, by=ctx.username
    )
    st.session_state["recommendations_flash"] = f"{row['resource_name']}: now {status}."
    st.rerun()


def realized(ctx: PageContext, currency: str) -> None:
    """Measured savings of resolved findings in the page's currency."""
    st.subheader(
        "Realized savings",
        help="Average daily cost in the 30 days before resolution against the days since, "
        "times 30; empty until cost data after the resolution day is imported.",
    )
    frame = data.realized_savings(ctx.ws, currency=currency)
    if frame.is_empty():
        empty_state(
            "No resolved recommendations yet. Resolve one after acting on it; its realized savings are "
            "measured from the cost data imported after that day."
        )
        return
    st.metric(
        f"Realized ({currency})",
        f"{money(frame['realized_monthly_savings'].sum(), currency)} /mo",
        border=True,
    )
    titles = {rid: rule.title for rid, rule in load_builtin_rules().items()}
    frame = frame.with_columns(title=pl.col("rule").replace_strict(titles, default=pl.col("rule")))
    columns = (
        "title",
        "resource_name",
        "resolved_on",
        "days_after",
        "monthly_savings",
        "realized_monthly_savings",
        "rule",
    )
    table(
        frame.select(columns),
        currency=currency,
        money=["monthly_savings", "realized_monthly_savings"],
        labels={"monthly_savings": "Expected monthly saving", "rule": "Rule id"},
        key="recommendations_realized",
    )


def render(ctx: PageContext) -> None:
    """The whole recommendations page for the page's workspace."""
    if flash := st.session_state.pop("recommendations_flash", None):
        st.success(plain(flash))
    findings = data.findings(ctx.ws)
    if findings.is_empty():
        empty_state(
            "No recommendations yet. An admin imports inventory, metrics and cost exports on the Data "
            "page; the rules run on them automatically."
        )
        return
    # A resource without any cost row takes the workspace's main billing currency.
    main = next(iter(data.currencies(ctx.ws)), "USD")
    findings = findings.with_columns(pl.col("BillingCurrency").fill_null(main))
    currencies = findings["BillingCurrency"].value_counts(sort=True)
    currency = pick_currency(
        [str(c) for c in currencies["BillingCurrency"]], "recommendations_currency"
    )
    mine = with_names(ctx, findings.filter(pl.col("BillingCurrency") == currency))
    shown, status = filtered(mine)
    if shown.is_empty():
        empty_state(
            "No recommendation matches these filters. Widen them in the sidebar: status All, a lower minimum saving."
        )
    else:
        overview(shown, currency, status)
        detail(ctx, shown, currency)
    realized(ctx, currency)


__all__ = ["render"]
