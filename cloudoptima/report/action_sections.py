"""What to act on: the top recommendations, the anomalies, rate optimisation."""

from __future__ import annotations

from typing import Any

import polars as pl

from cloudoptima.report import section
from cloudoptima.report.context import ReportContext
from cloudoptima.report.document import Row, Spanning
from cloudoptima.report.formats import amount, day, money, share

TOP_FINDINGS = 10
TOP_ANOMALIES = 10


@section("recommendations", "Top recommendations", order=50)
def recommendations(ctx: ReportContext) -> None:
    """The open recommendations with the largest savings, each with its ``az`` command."""
    c = ctx.money_currency
    findings = ctx.source.findings(status="open", currency=c)
    ctx.doc.heading("Top recommendations")
    if findings.is_empty():
        ctx.doc.paragraph(f"There are no open recommendations for resources billed in {c}.")
        return
    total = float(findings["monthly_savings"].sum() or 0)
    ctx.doc.paragraph(
        f"{findings.height} open recommendations would save {money(total, c)} a month "
        f"({money(12 * total, c)} a year). The {min(TOP_FINDINGS, findings.height)} largest:"
    )
    rows: list[Row] = []
    for rank, f in enumerate(findings.head(TOP_FINDINGS).iter_rows(named=True), start=1):
        where = f["resource_group"] or ctx.data.subscription_label(f["subscription_id"])
        rows.append(
            [
                str(rank),
                str(f["title"]),
                f"{f['resource_name']} ({where})",
                str(f["confidence"] or "–"),
                amount(f["monthly_savings"]),
            ]
        )
        if f["remediation"]:
            rows.append(Spanning(str(f["remediation"])))
    ctx.doc.data_table(
        ("#", "Recommendation", "Resource", "Confidence", f"Savings / month ({c})"),
        rows,
        widths=(5, 38, 31, 15, 17),
        align="RLLLR",
    )
    ctx.doc.note(
        "Savings come from each resource's billed cost over the last 30 days of data, never "
        "list prices. Review each az command before running it: it changes the resource."
    )


@section("anomalies", "Anomalies", order=60)
def anomalies(ctx: ReportContext) -> None:
    """The largest cost spikes in the period and the resources behind them."""
    c = ctx.money_currency
    found = ctx.data.anomalies().filter(
        pl.col("BillingCurrency") == c, pl.col("status") != "dismissed"
    )
    ctx.doc.heading("Anomalies")
    if found.is_empty():
        ctx.doc.paragraph(f"No cost anomaly in {c} was found in {ctx.period.label}.")
        return
    largest = found.sort(["delta", "date"], descending=[True, False]).head(TOP_ANOMALIES)
    ctx.doc.paragraph(
        f"{found.height} cost anomalies (one per event: a service and its subscription "
        f"spiking together count once) in {ctx.period.label}; the {largest.height} largest:"
    )
    ctx.doc.data_table(
        ("Day", "Where", f"Expected ({c})", f"Actual ({c})", f"Increase ({c})", "Top contributors"),
        [_anomaly_row(ctx, a) for a in largest.iter_rows(named=True)],
        widths=(15, 30, 14, 14, 14, 37),
        align="LLRRRL",
    )
    ctx.doc.note(
        "Expected: the median of the 7 days before, adjusted for the weekday. A day is flagged "
        "at a robust z-score of 3.5 or more. Contributors: the resources whose own cost rose "
        "most that day. Anomalies dismissed in the app are left out."
    )


def _anomaly_row(ctx: ReportContext, a: dict[str, Any]) -> list[str]:
    contributors = "; ".join(
        f"{_name(x['resource_id'])} (+{amount(x['delta'])})" for x in (a["contributors"] or [])
    )
    return [
        day(a["date"]),
        a["title"],
        amount(a["expected"]),
        amount(a["actual"]),
        amount(a["delta"]),
        contributors or "–",
    ]


def _name(resource_id: str | None) -> str:
    return (resource_id or "").rstrip("/").rsplit("/", 1)[-1] or "(no resource)"


@section("rates", "Rate optimisation", order=70)
def rates(ctx: ReportContext) -> None:
    """Reservation and savings plan utilisation, coverage and the effective savings rate."""
    c = ctx.money_currency
    found = ctx.data.rates()
    utilization = found.utilization.filter(pl.col("BillingCurrency") == c)
    coverage = found.coverage.filter(pl.col("BillingCurrency") == c)
    savings = found.savings.filter(pl.col("BillingCurrency") == c)
    ctx.doc.heading("Rate optimisation")
    if utilization.is_empty():
        ctx.doc.paragraph(
            f"No reservation or savings plan was billed in {c} in {ctx.period.label}, so there "
            "is no utilisation or coverage to report."
        )
        return
    if savings.height:
        _savings_table(ctx, savings.row(0, named=True))
    _utilization_table(ctx, utilization)
    if coverage.height:
        _coverage_table(ctx, coverage)


def _savings_table(ctx: ReportContext, s: dict[str, Any]) -> None:
    c = ctx.money_currency
    rate = s["effective_savings_rate"]
    ctx.doc.data_table(
        ("Figure", f"Amount ({c})"),
        [
            ["Cost at list prices", amount(s["list_cost"])],
            ["Negotiated savings (list to contracted)", amount(s["negotiated_savings"])],
            ["Unused commitment (paid, not used)", amount(s["unused_commitment_cost"])],
            [
                "Commitment savings (contracted to effective, less unused)",
                amount(s["commitment_savings"]),
            ],
            ["Total savings", amount(s["total_savings"])],
            ["Effective savings rate (ESR)", "–" if rate is None else share(rate)],
        ],
        widths=(70, 30),
        align="LR",
    )
    for note in s["notes"] or []:
        ctx.doc.note(str(note))


def _utilization_table(ctx: ReportContext, utilization: pl.DataFrame) -> None:
    c = ctx.money_currency
    per = (
        utilization.group_by("CommitmentDiscountId", maintain_order=True)
        .agg(
            pl.col("CommitmentDiscountName").last(),
            pl.col("CommitmentDiscountType").last(),
            pl.col("used_cost").cast(pl.Float64).sum(),
            pl.col("unused_cost").cast(pl.Float64).sum(),
        )
        .sort("unused_cost", descending=True)
    )
    ctx.doc.subheading("Utilisation")
    ctx.doc.data_table(
        ("Commitment", "Type", f"Used ({c})", f"Unused ({c})", "Utilisation"),
        [
            [
                str(r["CommitmentDiscountName"] or _name(r["CommitmentDiscountId"])),
                str(r["CommitmentDiscountType"] or "–"),
                amount(r["used_cost"]),
                amount(r["unused_cost"]),
                share(_ratio(r["used_cost"], r["used_cost"] + r["unused_cost"])),
            ]
            for r in per.iter_rows(named=True)
        ],
        widths=(40, 18, 16, 16, 14),
        align="LLRRR",
    )


def _coverage_table(ctx: ReportContext, coverage: pl.DataFrame) -> None:
    c = ctx.money_currency
    ctx.doc.subheading("Coverage of virtual machine usage")
    ctx.doc.data_table(
        ("Month", f"Covered by commitments ({c})", f"On demand ({c})", "Coverage"),
        [
            [
                f"{r['period']:%B %Y}",
                amount(r["covered_cost"]),
                amount(r["on_demand_cost"]),
                share(r["coverage"]),
            ]
            for r in coverage.iter_rows(named=True)
        ],
        widths=(30, 30, 26, 14),
        align="LRRR",
    )


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None
