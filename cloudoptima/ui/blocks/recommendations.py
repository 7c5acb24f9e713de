"""Recommendations sections: filters, savings by rule, the list, one finding, its lifecycle."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import polars as pl
import streamlit as st

from cloudoptima import charts
from cloudoptima.analysis.findings import STATUSES
from cloudoptima.spreadsheet import to_csv
from cloudoptima.ui import data
from cloudoptima.ui.format import money
from cloudoptima.ui.session import PageContext
from cloudoptima.ui.widgets import empty_state, guarded

TABLE = (
    "title",
    "resource_name",
    "monthly_savings",
    "BillingCurrency",
    "status",
    "rule",
    "impact",
    "effort",
    "resource_group",
    "subscription_id",
    "finding_id",
)
ACTIONS = {"Dismiss": "dismissed", "Snooze": "snoozed", "Resolve": "resolved", "Reopen": "open"}
MONEY = st.column_config.NumberColumn(format="%,.2f")


def per_currency(frame: pl.DataFrame, column: str) -> list[tuple[str, float]]:
    """The sum of ``column`` per billing currency, never added across currencies."""
    sums = frame.group_by("BillingCurrency").agg(pl.col(column).sum()).drop_nulls("BillingCurrency")
    return [(str(c), float(v or 0)) for c, v in sums.sort("BillingCurrency").iter_rows()]


def _pick(label: str, frame: pl.DataFrame, column: str, names: dict[str, str]) -> str:
    options = ["All", *sorted(frame.get_column(column).drop_nulls().unique().to_list())]
    picked = st.sidebar.selectbox(
        label, options, format_func=lambda v: names.get(v, v), key=f"recommendations_{column}"
    )
    return str(picked)


def filtered(ctx: PageContext, findings: pl.DataFrame) -> pl.DataFrame:
    """The findings the sidebar filters keep."""
    names = data.subscription_names(ctx.ws)
    sub_names = {
        s: names.get(s.rsplit("/", 1)[-1].lower(), s)
        for s in findings["subscription_id"].drop_nulls()
    }
    status = st.sidebar.selectbox(
        "Status", ["All", *STATUSES], index=1, key="recommendations_status"
    )
    picks = {"status": str(status)}
    for column, label in (
        ("rule", "Rule"),
        ("subscription_id", "Subscription"),
        ("resource_group", "Resource group"),
    ):
        picks[column] = _pick(label, findings, column, sub_names)
    minimum = st.sidebar.number_input(
        "Minimum monthly saving (in its currency)",
        min_value=0.0,
        step=10.0,
        key="recommendations_min_saving",
    )
    for column, value in picks.items():
        findings = findings if value == "All" else findings.filter(pl.col(column) == value)
    return findings.filter(pl.col("monthly_savings") >= minimum)


def overview(shown: pl.DataFrame) -> None:
    """Savings totals per currency, the chart by rule, the table and its CSV."""
    with st.container(horizontal=True):
        st.metric("Recommendations shown", f"{shown.height:,}", border=True)
        for currency, total in per_currency(shown, "monthly_savings"):
            st.metric(
                f"Potential savings ({currency})", f"{money(total, currency)} /mo", border=True
            )
    st.subheader("Monthly savings by rule")
    by_rule = shown.group_by("BillingCurrency", "rule").agg(pl.col("monthly_savings").sum())
    for (currency,), part in by_rule.drop_nulls("BillingCurrency").group_by("BillingCurrency"):
        figure = charts.ranked_bars(part, "rule", "monthly_savings", str(currency))
        st.plotly_chart(figure, width="stretch", key=f"recommendations_by_rule_{currency}")
    st.dataframe(shown.select(TABLE), hide_index=True, column_config={"monthly_savings": MONEY})
    st.download_button(
        "Download CSV",
        to_csv(shown),
        file_name="recommendations.csv",
        mime="text/csv",
        icon=":material/download:",
        key="recommendations_csv",
    )


def detail(ctx: PageContext, shown: pl.DataFrame) -> None:
    """One finding: its facts as text, evidence, remediation, cost history and status."""
    st.subheader("Details")
    rows = {r["finding_id"]: r for r in shown.iter_rows(named=True)}

    def label(key: str) -> str:
        r = rows[key]
        return f"{r['resource_name']} · {r['title']} ({money(r['monthly_savings'], r['BillingCurrency'])} /mo)"

    row = rows[
        str(
            st.selectbox(
                "Recommendation", list(rows), format_func=label, key="recommendations_finding"
            )
        )
    ]
    reason = f" ({row['status_reason']})" if row["status_reason"] else ""
    st.text(
        f"{row['title']} · {row['resource_name']} · {row['resource_group']} · status {row['status']}{reason}"
    )
    st.text(row["description"])
    left, right = st.columns(2)
    left.caption("Evidence")
    left.json(json.loads(row["evidence"] or "{}"))
    right.caption("Remediation")
    if row["remediation"]:
        right.code(row["remediation"], language="bash")
    else:
        right.caption("No command for this one: follow the description above.")
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
    st.caption(f"Daily cost of this resource ({metric}, {row['BillingCurrency']})")
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
    if action == "Snooze":
        until = st.date_input(
            "Snooze until", date.today() + timedelta(days=30), key="recommendations_until"
        )
    if action == "Resolve":
        on = st.date_input("Resolved on", date.today(), key="recommendations_on")
    if st.button("Apply", type="primary", key="recommendations_apply"):
        guarded(lambda: apply(ctx, row, ACTIONS[action], reason.strip() or None, until, on))


def apply(
    ctx: PageContext,
    row: dict[str, Any],
    status: str,
    reason: str | None,
    until: date | None,
    on: date | None,
) -> None:
    """Store the status change and show the page again with a confirmation."""
    ctx.ws.set_finding_status(
        row["finding_id"], status, reason=reason, until=until, on=on, by=ctx.username
    )
    st.session_state["recommendations_flash"] = f"{row['resource_name']}: now {status}."
    st.rerun()


def realized(ctx: PageContext) -> None:
    """Measured savings of resolved findings, per currency."""
    st.subheader(
        "Realized savings",
        help="Average daily cost in the 30 days before resolution against the days since, times 30; "
        "empty until cost data after the resolution day is imported.",
    )
    frame = data.realized_savings(ctx.ws)
    if frame.is_empty():
        empty_state(
            "No resolved recommendations yet. Resolve one after acting on it; its realized savings are "
            "measured from the cost data imported after that day."
        )
        return
    with st.container(horizontal=True):
        for currency, total in per_currency(frame, "realized_monthly_savings"):
            st.metric(f"Realized ({currency})", f"{money(total, currency)} /mo", border=True)
    columns = (
        "rule",
        "resource_name",
        "resolved_on",
        "days_after",
        "monthly_savings",
        "realized_monthly_savings",
        "BillingCurrency",
    )
    config = {"monthly_savings": MONEY, "realized_monthly_savings": MONEY}
    st.dataframe(frame.select(columns), hide_index=True, column_config=config)


def render(ctx: PageContext) -> None:
    """The whole recommendations page for the page's workspace."""
    if flash := st.session_state.pop("recommendations_flash", None):
        st.success(flash)
    findings = data.findings(ctx.ws)
    if findings.is_empty():
        empty_state(
            "No recommendations yet. An admin imports inventory, metrics and cost exports on the Data "
            "page; the rules run on them automatically."
        )
        return
    shown = filtered(ctx, findings)
    if shown.is_empty():
        empty_state(
            "No recommendation matches these filters. Widen them in the sidebar: status All, a lower minimum saving."
        )
    else:
        overview(shown)
        detail(ctx, shown)
    realized(ctx)


__all__ = ["render"]
