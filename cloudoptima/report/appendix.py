"""The appendix on method: data sources and freshness, rule thresholds, forecast accuracy."""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from cloudoptima.analysis.config import SETTINGS
from cloudoptima.report import section
from cloudoptima.report.context import ReportContext
from cloudoptima.report.formats import day, moment, percent

SOURCE_NAMES = {"cost": "Cost exports", "inventory": "Resource inventory", "metrics": "Metrics"}
MODEL_NAMES = {"prophet": "Prophet", "seasonal_naive": "Repeat last week (seasonal naive)"}


@section("appendix", "Appendix: method and data", order=90, scope="report")
def appendix(ctx: ReportContext) -> None:
    """How the figures were made, so a reader can check them."""
    ctx.doc.running_currency = ""
    ctx.doc.heading("Appendix: method and data")
    data_sources(ctx)
    method(ctx)
    thresholds(ctx)
    backtest(ctx)
    summaries(ctx)


def data_sources(ctx: ReportContext) -> None:
    fresh = ctx.source.freshness()
    ctx.doc.subheading("Data sources and freshness")
    if fresh.is_empty():
        ctx.doc.paragraph("Nothing has been imported into this workspace yet.")
        return
    ctx.doc.data_table(
        ("Source", "Last imported", "Data through", "Imports"),
        [
            [
                SOURCE_NAMES.get(r["kind"], str(r["kind"])),
                moment(r["last_import"]),
                day(r["data_through"]),
                f"{r['imports']:,}",
            ]
            for r in fresh.iter_rows(named=True)
        ],
        widths=(30, 30, 24, 16),
        align="LLLR",
    )


def method(ctx: ReportContext) -> None:
    ctx.doc.subheading("How the figures are computed")
    ctx.doc.paragraph(
        "Cost is amortized (FOCUS EffectiveCost): reservation and savings plan purchases are "
        "spread over the days they cover. Each billing currency is reported on its own; amounts "
        "in different currencies are never added. The period before has as many whole months "
        "as the report period, or as many days when the period is not whole months. "
        "Recommendations, anomalies and forecasts are computed from the same workspace data "
        "as the app and the command line show.",
        size=9,
    )


def thresholds(ctx: ReportContext) -> None:
    values = ctx.data.settings()
    ctx.doc.subheading("Rule thresholds and settings")
    ctx.doc.data_table(
        ("Setting", "Value", "Meaning"),
        [[s.key, _value(values.get(s.key)), s.description] for s in SETTINGS],
        widths=(42, 14, 44),
        align="LLL",
    )


def _value(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "–"
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True) if value else "–"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def backtest(ctx: ReportContext) -> None:
    ctx.doc.subheading("Forecast accuracy")
    result = ctx.data.forecast()
    if result is None:
        ctx.doc.paragraph(ctx.data.forecast_note or "No forecast was made.", size=9)
        return
    scores = result.backtest.filter(pl.col("BillingCurrency").is_in(ctx.currencies))
    ctx.doc.data_table(
        ("Currency", "Model", "MAPE", "sMAPE", "Folds"),
        [
            [
                str(r["BillingCurrency"]),
                MODEL_NAMES.get(r["model"], str(r["model"])),
                percent(r["mape"]),
                percent(r["smape"]),
                str(r["folds"]),
            ]
            for r in scores.iter_rows(named=True)
        ],
        widths=(16, 46, 13, 13, 12),
        align="LLRRR",
    )
    ctx.doc.note(
        f"Daily errors of the total's forecast over rolling 30-day windows ending on "
        f"{day(result.data_end)}, against repeating last week's cost. The bands in the trend "
        "chart are widened to at least these errors. Too short a history leaves no folds."
    )


def summaries(ctx: ReportContext) -> None:
    rejected = {c: s.rejected for c, s in ctx.summaries.items() if s.rejected}
    for currency, reason in rejected.items():
        ctx.doc.note(
            f"The {currency} executive summary is the computed paragraph: a language model's "
            f"text was not used because {reason}."
        )
