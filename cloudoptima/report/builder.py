"""Draw a whole report: the cover, then each currency's sections, then the appendix.

Determinism: the document's creation date and the time printed on it are the
workspace's last change (:func:`~cloudoptima.report.figures.report_stamp`), fonts are
fixed files, charts are deterministic SVG and the PDF's file id hashes its content, so
the same workspace, period and options give the same bytes.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from cloudoptima.charts import BRAND
from cloudoptima.errors import CloudOptimaError
from cloudoptima.report import SECTIONS, Section, check_sections, load_builtin_sections
from cloudoptima.report.context import ReportContext, ReportData, ReportOptions
from cloudoptima.report.figures import (
    METRIC,
    KeyFigures,
    Period,
    default_period,
    key_figures,
    report_stamp,
)
from cloudoptima.report.formats import day, moment
from cloudoptima.report.source import ReportSource
from cloudoptima.report.summary import Summary

if TYPE_CHECKING:
    from cloudoptima.report.document import ReportDocument

Progress = Callable[[int, int, str], None]  # done, total, what is being drawn
INSTALL_HINT = "pip install 'cloudoptima[report]'"


@dataclass(frozen=True)
class Report:
    """A written report: where, how many pages, and the figures it prints per currency."""

    path: Path
    pages: int
    period: Period | None
    sections: list[str]
    currencies: list[str]
    figures: dict[str, KeyFigures] = field(default_factory=dict)
    summaries: dict[str, Summary] = field(default_factory=dict)
    generated_at: datetime | None = None


def require_report_extra() -> None:
    """Fail with the install command when fpdf2 or matplotlib is missing."""
    for module in ("fpdf", "matplotlib"):
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise CloudOptimaError(
                f"the PDF report needs {module}, which is not installed: {INSTALL_HINT}"
            ) from exc


def build_report(
    source: ReportSource,
    path: str | Path,
    options: ReportOptions,
    *,
    progress: Progress | None = None,
) -> Report:
    """Write the report to ``path`` (atomically: a reader never sees half a file)."""
    require_report_extra()
    from cloudoptima.report.document import ReportDocument

    load_builtin_sections()
    chosen = check_sections(options.sections)
    period, currencies = _scope(source, options)
    stamp = options.generated_at or report_stamp(source)
    doc = ReportDocument(
        paper=options.paper, running_title=_running_title(options, period), stamp=stamp
    )
    _metadata(doc, options, period)
    data = ReportData(source, period or Period(stamp.date(), stamp.date()))
    ctx = ReportContext(source, doc, options, data.period, data, currencies)
    steps = [SECTIONS[s] for s in chosen]
    tell = progress or (lambda done, total, what: None)
    total = (
        len(currencies) * sum(s.scope == "currency" for s in steps)
        + sum(s.scope == "report" for s in steps if currencies)
        + 1
    )
    cover(ctx, period, steps)
    done = 1
    tell(done, total, "Cover")
    for currency in currencies if period else []:
        done = _currency_set(ctx, currency, steps, done, total, tell)
    # an empty report is its cover, which says so: no method to explain for no figures
    for step in (s for s in steps if s.scope == "report" and currencies):
        doc.add_page()
        step.render(ctx)
        done += 1
        tell(done, total, step.title)
    target = Path(path)
    _write(doc, target)
    return Report(
        target, doc.pages_count, period, chosen, currencies, ctx.drawn, ctx.summaries, stamp
    )


def _currency_set(
    ctx: ReportContext, currency: str, steps: list[Section], done: int, total: int, tell: Progress
) -> int:
    """One currency's sections, starting on a new page."""
    ctx.currency = currency
    ctx.figures = key_figures(
        ctx.source, ctx.period, currency, ctx.data.forecast(), ctx.data.forecast_note
    )
    ctx.drawn[currency] = ctx.figures
    ctx.doc.running_currency = f"Amounts in {currency}"
    ctx.doc.add_page()
    if len(ctx.currencies) > 1:
        ctx.doc.note(f"Figures billed in {currency}; other currencies have their own pages.")
    for step in (s for s in steps if s.scope == "currency"):
        step.render(ctx)
        done += 1
        tell(done, total, f"{step.title} ({currency})")
    ctx.currency, ctx.figures = None, None
    return done


def _scope(source: ReportSource, options: ReportOptions) -> tuple[Period | None, list[str]]:
    """The period and the currencies with cost in it (none: an empty report)."""
    totals = source.totals()
    if options.currency is not None:
        known = totals["BillingCurrency"].to_list()
        if options.currency not in known:
            listed = ", ".join(known) or "none yet"
            raise CloudOptimaError(
                f"the workspace holds no cost billed in {options.currency}; its currencies: {listed}"
            )
    if totals.is_empty() and options.start is None and options.end is None:
        return None, []
    if options.start is None or options.end is None:
        fallback = default_period(totals["first_day"].min(), totals["last_day"].max())  # type: ignore[arg-type]
        period = Period(options.start or fallback.start, options.end or fallback.end)
    else:
        period = Period(options.start, options.end)
    in_period = source.costs(start=period.start, end=period.end, metric=METRIC)
    by_rows = totals.sort("rows", descending=True)["BillingCurrency"].to_list()
    present = set(in_period["BillingCurrency"].to_list())
    currencies = [c for c in by_rows if c in present and options.currency in (None, c)]
    return period, currencies


def _running_title(options: ReportOptions, period: Period | None) -> str:
    parts = [options.organisation, "Cloud cost report", period.label if period else ""]
    return " · ".join(p for p in parts if p)


def _metadata(doc: ReportDocument, options: ReportOptions, period: Period | None) -> None:
    doc.set_title(_running_title(options, period))
    doc.set_subject("Cloud cost, forecast, savings and anomalies")
    if options.organisation:
        doc.set_author(options.organisation)


def cover(ctx: ReportContext, period: Period | None, steps: list[Section]) -> None:
    """Organisation, period, generation time, data freshness and what follows."""
    doc = ctx.doc
    doc.add_page()
    doc.set_y(48)
    doc.set_font("DejaVu", "B", 26)
    doc.set_text_color(BRAND)
    doc.multi_cell(0, 12, "Cloud cost report", new_x="LMARGIN", new_y="NEXT")
    doc.set_text_color("#201F1E")
    doc.set_font("DejaVu", "", 15)
    if ctx.options.organisation:
        doc.multi_cell(0, 9, ctx.options.organisation, new_x="LMARGIN", new_y="NEXT")
    if period is not None:
        doc.multi_cell(
            0,
            9,
            f"{period.label} ({day(period.start)} to {day(period.end)})",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    doc.ln(10)
    _cover_facts(ctx, period)
    if period is None or not ctx.currencies:
        _empty_notice(ctx, period)
        return
    doc.ln(4)
    doc.subheading("Contents")
    currency_steps = [s.title for s in steps if s.scope == "currency"]
    for currency in ctx.currencies:
        prefix = f"{currency}: " if len(ctx.currencies) > 1 else ""
        doc.paragraph(prefix + ", ".join(currency_steps), size=9.5)
    for s in (s for s in steps if s.scope == "report"):
        doc.paragraph(s.title, size=9.5)


def _cover_facts(ctx: ReportContext, period: Period | None) -> None:
    doc = ctx.doc
    fresh = ctx.source.freshness()
    through = {r["kind"]: r["data_through"] for r in fresh.iter_rows(named=True)}
    facts = [("Generated", moment(doc.stamp))]
    facts.append(("Cost data through", day(through.get("cost"))))
    facts.append(("Inventory as of", day(through.get("inventory"))))
    if ctx.currencies:
        facts.append(("Billing currencies", ", ".join(ctx.currencies)))
    doc.set_font("DejaVu", "", 10)
    for label, value in facts:
        doc.set_text_color("#605E5C")
        doc.cell(45, 6.5, label)
        doc.set_text_color("#201F1E")
        doc.cell(0, 6.5, value, new_x="LMARGIN", new_y="NEXT")


def _empty_notice(ctx: ReportContext, period: Period | None) -> None:
    doc = ctx.doc
    doc.ln(8)
    if period is None:
        text = (
            "This workspace holds no cost data yet, so there is nothing to report. Import cost "
            "exports (cloudoptima ingest, or the Data page of the app) and generate the report again."
        )
    else:
        days = ctx.source.costs(grain="day")
        spans = "; ".join(
            f"{r['BillingCurrency']} from {day(r['first'])} to {day(r['last'])}"
            for r in days.group_by("BillingCurrency")
            .agg(first=pl.col("period").min(), last=pl.col("period").max())
            .sort("BillingCurrency")
            .iter_rows(named=True)
        )
        text = f"There is no cost data in {period.label}, so there is nothing to report for it."
        if spans:
            text += f" The workspace holds cost data {spans}."
    doc.paragraph(text, size=11)


def _write(doc: ReportDocument, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        doc.output(str(temporary))
        temporary.replace(target)
    finally:
        temporary.unlink(missing_ok=True)


__all__ = ["Progress", "Report", "build_report", "require_report_extra"]
