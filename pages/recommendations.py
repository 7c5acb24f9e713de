"""Recommendations: savings by rule, a filterable list, one finding in detail, its lifecycle."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import polars as pl
import streamlit as st

from cloudoptima import charts
from cloudoptima.analysis.findings import STATUSES
from pages._ui import empty_state, guarded, money, page_context, query

ctx = page_context()
st.title(f"Recommendations · {ctx.org_name}")
TABLE = ("title", "resource_name", "monthly_savings", "BillingCurrency", "status", "rule", "impact",
         "effort", "resource_group", "subscription_id", "finding_id")  # fmt: skip
ACTIONS = {"Dismiss": "dismissed", "Snooze": "snoozed", "Resolve": "resolved", "Reopen": "open"}
MONEY = st.column_config.NumberColumn(format="%.2f")


def per_currency(frame: pl.DataFrame, column: str) -> list[tuple[str, float]]:
    sums = frame.group_by("BillingCurrency").agg(pl.col(column).sum()).drop_nulls("BillingCurrency")
    return [(c, float(v or 0)) for c, v in sums.sort("BillingCurrency").iter_rows()]


def pick(label: str, frame: pl.DataFrame, column: str, names: dict[str, str]) -> str:
    options = ["All", *sorted(frame.get_column(column).drop_nulls().unique().to_list())]
    return str(st.sidebar.selectbox(label, options, format_func=lambda v: names.get(v, v), key=f"recommendations_{column}"))  # fmt: skip


def filtered(findings: pl.DataFrame) -> pl.DataFrame:
    subscriptions = query(ctx.ws, "costs", by=("SubAccountId", "SubAccountName"))
    names = {i.rsplit("/", 1)[-1].lower(): n for i, n in subscriptions.select("SubAccountId", "SubAccountName").iter_rows()}  # fmt: skip
    picks = {"status": st.sidebar.selectbox("Status", ["All", *STATUSES], index=1, key="recommendations_status")}  # fmt: skip
    picks |= {c: pick(label, findings, c, names) for c, label in (("rule", "Rule"), ("subscription_id", "Subscription"), ("resource_group", "Resource group"))}  # fmt: skip
    minimum = st.sidebar.number_input("Minimum monthly saving (in its currency)", min_value=0.0, step=10.0, key="recommendations_min_saving")  # fmt: skip
    for column, value in picks.items():
        findings = findings if value == "All" else findings.filter(pl.col(column) == value)
    return findings.filter(pl.col("monthly_savings") >= minimum)


def overview(shown: pl.DataFrame) -> None:
    with st.container(horizontal=True):
        st.metric("Recommendations shown", f"{shown.height:,}", border=True)
        for currency, total in per_currency(shown, "monthly_savings"):
            st.metric(f"Potential savings ({currency})", f"{money(total, currency)} /mo", border=True)  # fmt: skip
    st.subheader("Monthly savings by rule")
    by_rule = shown.group_by("BillingCurrency", "rule").agg(pl.col("monthly_savings").sum())
    for (currency,), part in by_rule.drop_nulls("BillingCurrency").group_by("BillingCurrency"):
        figure = charts.ranked_bars(part, "rule", "monthly_savings", str(currency))
        st.plotly_chart(figure, width="stretch", key=f"recommendations_by_rule_{currency}")
    st.dataframe(shown.select(TABLE), hide_index=True, column_config={"monthly_savings": MONEY})
    st.download_button("Download CSV", shown.write_csv(), file_name="recommendations.csv", mime="text/csv",
                       icon=":material/download:", key="recommendations_csv")  # fmt: skip


def detail(shown: pl.DataFrame) -> None:
    st.subheader("Details")
    rows = {r["finding_id"]: r for r in shown.iter_rows(named=True)}
    label = {k: f"{r['resource_name']} · {r['title']} ({money(r['monthly_savings'], r['BillingCurrency'])} /mo)"
             for k, r in rows.items()}  # fmt: skip
    row = rows[st.selectbox("Recommendation", list(rows), format_func=label.get, key="recommendations_finding")]  # fmt: skip
    reason = f" ({row['status_reason']})" if row["status_reason"] else ""
    st.markdown(f"**{row['title']}** · `{row['resource_name']}` · {row['resource_group']} · status **{row['status']}**{reason}")  # fmt: skip
    st.write(row["description"])
    left, right = st.columns(2)
    left.markdown("**Evidence**")
    left.json(json.loads(row["evidence"] or "{}"))
    right.markdown("**Remediation**")
    right.code(row["remediation"], language="bash") if row["remediation"] else right.caption("No command for this one: follow the description above.")  # fmt: skip
    history(row)
    if ctx.can("change_findings"):
        status_controls(row)


def history(row: dict[str, Any]) -> None:
    metric = "EffectiveCost" if row["cost_basis"] == "effective" else "BilledCost"
    daily = query(ctx.ws, "costs", by="ResourceId", grain="day", metric=metric, filters={"ResourceId": row["resource_id"]})  # fmt: skip
    daily = daily.filter(pl.col("BillingCurrency") == row["BillingCurrency"])
    if daily.is_empty():
        st.caption("No cost rows for this resource in the imported cost data.")
        return
    st.markdown(f"**Daily cost of this resource** ({metric}, {row['BillingCurrency']})")
    figure = charts.stacked_bars(daily.with_columns(pl.col(metric).cast(pl.Float64)), "period", metric, None, row["BillingCurrency"])  # fmt: skip
    st.plotly_chart(figure, width="stretch", key="recommendations_history")


def status_controls(row: dict[str, Any]) -> None:
    st.subheader("Change status")
    action = str(st.radio("Action", list(ACTIONS), horizontal=True, key="recommendations_action"))
    reason = st.text_input("Reason", key="recommendations_reason", help="Required to dismiss.")
    until = st.date_input("Snooze until", date.today() + timedelta(days=30), key="recommendations_until") if action == "Snooze" else None  # fmt: skip
    on = st.date_input("Resolved on", date.today(), key="recommendations_on") if action == "Resolve" else None  # fmt: skip
    if st.button("Apply", type="primary", key="recommendations_apply"):
        guarded(lambda: apply(row, ACTIONS[action], reason.strip() or None, until, on))


def apply(row: dict[str, Any], status: str, reason: str | None, until: Any, on: Any) -> None:
    ctx.ws.set_finding_status(row["finding_id"], status, reason=reason, until=until, on=on)
    st.session_state["recommendations_flash"] = f"{row['resource_name']}: now {status}."
    st.rerun()


def realized() -> None:
    st.subheader("Realized savings", help="Average daily cost in the 30 days before resolution against the days since, times 30; empty until cost data after the resolution day is imported.")  # fmt: skip
    frame = query(ctx.ws, "realized_savings")
    if frame.is_empty():
        empty_state("No resolved recommendations yet. Resolve one after acting on it; its realized savings are measured from the cost data imported after that day.")  # fmt: skip
        return
    with st.container(horizontal=True):
        for currency, total in per_currency(frame, "realized_monthly_savings"):
            st.metric(f"Realized ({currency})", f"{money(total, currency)} /mo", border=True)
    columns = ("rule", "resource_name", "resolved_on", "days_after", "monthly_savings", "realized_monthly_savings", "BillingCurrency")  # fmt: skip
    st.dataframe(frame.select(columns), hide_index=True, column_config={"monthly_savings": MONEY, "realized_monthly_savings": MONEY})  # fmt: skip


def render() -> None:
    if flash := st.session_state.pop("recommendations_flash", None):
        st.success(flash)
    findings = query(ctx.ws, "findings")
    if findings.is_empty():
        empty_state("No recommendations yet. An admin imports inventory, metrics and cost exports on the Data page; the rules run on them automatically.")  # fmt: skip
        return
    shown = filtered(findings)
    if shown.is_empty():
        empty_state("No recommendation matches these filters. Widen them in the sidebar: status All, a lower minimum saving.")  # fmt: skip
    else:
        overview(shown)
        detail(shown)
    realized()


guarded(render)
