"""The report's period and its key figures per billing currency, computed once.

Every number the report prints in its KPI table and executive summary comes from
:class:`KeyFigures`, itself read through the façade's public API, so the PDF, the app
and a notebook show the same amounts. Cost is amortized (EffectiveCost), the FinOps
default and what the app's overview shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import polars as pl

from cloudoptima.errors import CloudOptimaError

if TYPE_CHECKING:
    from cloudoptima.analysis.forecast import ForecastResult
    from cloudoptima.report.source import ReportSource

METRIC = "EffectiveCost"
TOTAL_SERIES = "(total)"


@dataclass(frozen=True)
class Period:
    """Inclusive days a report covers."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise CloudOptimaError(
                f"the report period ends ({self.end}) before it starts ({self.start})"
            )

    @property
    def whole_months(self) -> int:
        """How many calendar months the period spans exactly (0 when it is not whole months)."""
        if self.start.day != 1 or (self.end + timedelta(days=1)).day != 1:
            return 0
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    def previous(self) -> Period:
        """The period just before: as many whole months, else as many days."""
        months = self.whole_months
        if months:
            end = self.start - timedelta(days=1)
            start = end.replace(day=1)
            for _ in range(months - 1):
                start = (start - timedelta(days=1)).replace(day=1)
            return Period(start, end)
        length = (self.end - self.start).days + 1
        return Period(self.start - timedelta(days=length), self.start - timedelta(days=1))

    @property
    def label(self) -> str:
        """'October 2026', 'August 2026 to October 2026', or '3 Oct 2026 to 24 Nov 2026'."""
        months = self.whole_months
        if months == 1:
            return f"{self.start:%B %Y}"
        if months:
            return f"{self.start:%B %Y} to {self.end:%B %Y}"
        return f"{_day(self.start)} to {_day(self.end)}"


def _day(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


def default_period(first: date, last: date) -> Period:
    """The last full month of data, else all of it."""
    end = last.replace(day=1) - timedelta(days=1)
    if end >= first:
        return Period(max(end.replace(day=1), first), end)
    return Period(first, last)


@dataclass(frozen=True)
class MonthEnd:
    """The month-end projection of the month holding the last cost day, with its 80 % band."""

    month: date
    actual_to_date: float
    projected: float
    lower_80: float
    upper_80: float


@dataclass(frozen=True)
class KeyFigures:
    """The headline figures of one billing currency over the report period."""

    currency: str
    period: Period
    previous: Period
    spend: float
    previous_spend: float
    month_end: MonthEnd | None
    forecast_note: str  # why there is no projection, when there is none
    open_savings: float  # per month
    open_findings: int
    realized_savings: float  # per month
    resolved_findings: int
    data_end: date | None

    @property
    def change(self) -> float:
        return self.spend - self.previous_spend

    @property
    def change_pct(self) -> float | None:
        """Change in percent of the previous period, None when it cost nothing."""
        if not self.previous_spend:
            return None
        return 100 * self.change / abs(self.previous_spend)


def period_spend(source: ReportSource, period: Period, currency: str) -> float:
    """Amortized cost of ``period`` in ``currency``."""
    frame = source.costs(start=period.start, end=period.end, metric=METRIC, currency=currency)
    return float(frame[METRIC].sum() or 0) if frame.height else 0.0


def key_figures(
    source: ReportSource, period: Period, currency: str, forecast: ForecastResult | None, note: str
) -> KeyFigures:
    """Spend and its change, the month-end projection, open and realized savings."""
    previous = period.previous()
    findings = source.findings(status="open", currency=currency)
    realized = source.realized_savings(currency=currency)
    realized_total = (
        float(realized["realized_monthly_savings"].sum() or 0) if realized.height else 0.0
    )
    totals = source.totals(currency=currency)
    return KeyFigures(
        currency=currency,
        period=period,
        previous=previous,
        spend=period_spend(source, period, currency),
        previous_spend=period_spend(source, previous, currency),
        month_end=month_end(forecast, currency),
        forecast_note=note,
        open_savings=float(findings["monthly_savings"].sum() or 0),
        open_findings=findings.height,
        realized_savings=realized_total,
        resolved_findings=realized.height,
        data_end=totals["last_day"][0] if totals.height else None,
    )


def month_end(forecast: ForecastResult | None, currency: str) -> MonthEnd | None:
    """The total's month-end projection in ``currency`` (None without a forecast)."""
    if forecast is None:
        return None
    rows = forecast.month_end.filter(
        pl.col("series") == TOTAL_SERIES, pl.col("BillingCurrency") == currency
    )
    if rows.is_empty():
        return None
    row = rows.row(0, named=True)
    return MonthEnd(
        row["month"], row["actual_to_date"], row["projected"], row["lower_80"], row["upper_80"]
    )


def report_stamp(source: ReportSource) -> datetime:
    """When the workspace last changed: its newest import or finding status (UTC).

    The report carries this time, not the wall clock's, so an unchanged workspace
    gives the same file byte for byte. An empty workspace has no such time: now.
    """
    moments: list[Any] = []
    imports = source.imports()
    if imports.height:
        moments.append(imports["finished_at"].max())
    findings = source.findings()
    if findings.height:
        moments.append(findings["status_changed_at"].max())
    known = [m for m in moments if isinstance(m, datetime)]
    if not known:
        return datetime.now(UTC).replace(microsecond=0)
    return max(known).replace(tzinfo=UTC, microsecond=0)
