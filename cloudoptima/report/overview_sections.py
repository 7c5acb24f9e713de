"""Sections of the headline: executive summary, key figures, the daily trend with its forecast."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from cloudoptima.report import section
from cloudoptima.report.context import ReportContext
from cloudoptima.report.figures import METRIC, TOTAL_SERIES, KeyFigures
from cloudoptima.report.formats import amount, day, money, percent
from cloudoptima.report.plots import trend_chart
from cloudoptima.report.summary import executive_summary

# An old period's chart shows the period alone: a forecast months later says nothing of it.
FORECAST_REACH_DAYS = 120
MONTHS_SHOWN = 6


@section("summary", "Executive summary", order=10)
def summary(ctx: ReportContext) -> None:
    """The paragraph a reader in a hurry reads: the LLM's when checked, else the figures'."""
    written = executive_summary(ctx.key, ctx.options.summariser)
    ctx.summaries[ctx.money_currency] = written
    ctx.doc.heading("Executive summary")
    ctx.doc.paragraph(written.text, size=10.5)
    if written.source == "llm":
        ctx.doc.note(
            "Written by a language model; every figure in it was checked against the computed figures."
        )


@section("kpis", "Key figures", order=20)
def kpis(ctx: ReportContext) -> None:
    """Spend and its change, the month-end forecast with its band, open and realized savings."""
    f, c = ctx.key, ctx.money_currency
    ctx.doc.heading("Key figures")
    ctx.doc.data_table(
        ("Figure", f"Amount ({c})", "Detail"),
        kpi_rows(f),
        widths=(34, 20, 46),
        align="LRL",
    )
    ctx.doc.note(
        f"Amortized cost (EffectiveCost): commitment purchases spread over the days they cover. "
        f"Cost data ends {day(f.data_end)}. Savings are per month, from each resource's real "
        "cost over the last 30 days of data."
    )


def kpi_rows(f: KeyFigures) -> list[list[str]]:
    """The key figures as table rows (figure, amount, detail)."""
    c = f.currency
    rows = [
        [
            f"Spend, {f.period.label}",
            amount(f.spend),
            f"{day(f.period.start)} to {day(f.period.end)}",
        ],
        [f"Spend, {f.previous.label}", amount(f.previous_spend), "the period before, as long"],
        [
            "Change",
            _signed(f.change),
            percent(f.change_pct, signed=True) + " against the period before",
        ],
    ]
    if f.month_end is not None:
        m = f.month_end
        rows += [
            [
                f"Forecast, {m.month:%B %Y} month end",
                amount(m.projected),
                f"80% range {money(m.lower_80, c)} to {money(m.upper_80, c)}",
            ],
            [f"Spent to date, {m.month:%B %Y}", amount(m.actual_to_date), f"to {day(f.data_end)}"],
        ]
    else:
        rows.append(["Forecast, month end", "–", f.forecast_note or "no forecast"])
    rows += [
        [
            "Open potential savings",
            amount(f.open_savings),
            f"per month, {f.open_findings} open recommendations",
        ],
        [
            "Realized savings",
            amount(f.realized_savings),
            f"per month, measured on {f.resolved_findings} resolved recommendations"
            if f.resolved_findings
            else "no recommendation resolved yet",
        ],
    ]
    return rows


@section("trend", "Daily cost trend and forecast", order=30)
def trend(ctx: ReportContext) -> None:
    """Daily cost over the period (and on to the data's end), the forecast, monthly totals."""
    c, period = ctx.money_currency, ctx.period
    data_end = ctx.key.data_end or period.end
    recent = (data_end - period.end).days <= FORECAST_REACH_DAYS
    last = max(period.end, data_end) if recent else period.end
    daily = ctx.source.costs(start=period.start, end=last, metric=METRIC, grain="day", currency=c)
    history = _zero_filled(daily, period.start, min(last, data_end))
    forecast = ctx.data.forecast() if recent else None
    points = None
    if forecast is not None:
        points = forecast.points.filter(
            pl.col("series") == TOTAL_SERIES, pl.col("BillingCurrency") == c
        )
    ctx.doc.heading("Daily cost trend and forecast")
    ctx.doc.svg(trend_chart(history, points, (period.start, period.end), c), height=72)
    ctx.doc.note(_trend_note(points is not None and points.height > 0, ctx.data.forecast_note))
    monthly_totals(ctx, data_end)


def _zero_filled(daily: pl.DataFrame, first: date, last: date) -> pl.DataFrame:
    """One row per day (a day without cost rows cost nothing)."""
    days = pl.DataFrame({"ds": pl.date_range(first, last, eager=True)})
    costs = daily.select(pl.col("period").alias("ds"), pl.col(METRIC).cast(pl.Float64).alias("y"))
    return days.join(costs, on="ds", how="left").with_columns(pl.col("y").fill_null(0.0))


def _trend_note(has_forecast: bool, why_not: str) -> str:
    text = "Shaded: the report period. "
    if has_forecast:
        return text + (
            "Dashed: the Prophet forecast from the day after the last cost day, with its 80% "
            "and 95% bands widened to the errors its backtest measured (see the appendix)."
        )
    return text + (why_not or "No forecast is drawn for a period this far before the data's end.")


def monthly_totals(ctx: ReportContext, data_end: date) -> None:
    """The last months of the period, each with its change on the month before."""
    c, period = ctx.money_currency, ctx.period
    first = period.end.replace(day=1)
    for _ in range(MONTHS_SHOWN):
        first = (first - timedelta(days=1)).replace(day=1)
    months = ctx.source.costs(start=first, end=period.end, metric=METRIC, grain="month", currency=c)
    rows, before = [], None
    for month, cost in zip(months["period"], months[METRIC].cast(pl.Float64), strict=True):
        change = "–" if before is None else _signed(cost - before)
        label = f"{month:%B %Y}"
        if month == data_end.replace(day=1) and _month_open(data_end):
            label += f" (to {day(data_end)})"
        rows.append([label, amount(cost), change])
        before = cost
    if rows:
        ctx.doc.subheading("Monthly totals")
        ctx.doc.data_table(
            ("Month", f"Cost ({c})", f"Change on the month before ({c})"),
            rows[1:] if len(rows) > MONTHS_SHOWN else rows,
            widths=(40, 30, 30),
            align="LRR",
        )


def _signed(value: float) -> str:
    return f"{'+' if value >= 0 else '-'}{amount(abs(value))}"


def _month_open(data_end: date) -> bool:
    return (data_end + timedelta(days=1)).day != 1


__all__ = ["kpi_rows", "kpis", "summary", "trend"]
