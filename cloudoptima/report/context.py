"""What a section draws from: the document, the period, one currency's figures, shared reads.

Reads that every currency shares (the forecast, anomalies, rate optimisation) are made
once per report by :class:`ReportData`; each section filters them to its currency.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import polars as pl

from cloudoptima.errors import CloudOptimaError
from cloudoptima.report.figures import KeyFigures, Period
from cloudoptima.report.summary import Summariser, Summary

if TYPE_CHECKING:
    from cloudoptima.analysis.forecast import ForecastResult
    from cloudoptima.analysis.rates import RateOptimization
    from cloudoptima.report.document import ReportDocument
    from cloudoptima.report.source import ReportSource

PAPERS = ("A4", "Letter")


@dataclass(frozen=True)
class ReportOptions:
    """What to report on: the period (None: the last full month of data), sections, currency."""

    start: date | None = None
    end: date | None = None
    sections: tuple[str, ...] | None = None
    currency: str | None = None
    paper: str = "A4"
    organisation: str = ""
    summariser: Summariser | None = None
    generated_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.paper not in PAPERS:
            raise CloudOptimaError(f"unknown paper size '{self.paper}'; use A4 or Letter")


class ReportData:
    """Reads the sections of every currency share, made once and on first use."""

    def __init__(self, source: ReportSource, period: Period) -> None:
        self.source = source
        self.period = period
        self._cache: dict[str, Any] = {}
        self.forecast_note = ""

    def _once(self, key: str, read: Any) -> Any:
        if key not in self._cache:
            self._cache[key] = read()
        return self._cache[key]

    def forecast(self) -> ForecastResult | None:
        """The total's forecast, or None (with ``forecast_note`` saying why)."""
        return self._once("forecast", self._read_forecast)  # type: ignore[no-any-return]

    def _read_forecast(self) -> ForecastResult | None:
        try:
            return self.source.forecast()
        except ImportError:
            self.forecast_note = (
                "No forecast: Prophet is not installed (pip install 'cloudoptima[forecast]')."
            )
        except CloudOptimaError as exc:
            self.forecast_note = f"No forecast: {exc}."
        return None

    def anomalies(self) -> pl.DataFrame:
        period = self.period
        return self._once(  # type: ignore[no-any-return]
            "anomalies", lambda: self.source.anomalies(start=period.start, end=period.end)
        )

    def rates(self) -> RateOptimization:
        period = self.period
        return self._once(  # type: ignore[no-any-return]
            "rates", lambda: self.source.rate_optimization(start=period.start, end=period.end)
        )

    def subscription_names(self) -> dict[str, str]:
        return self._once("names", self.source.subscription_names)  # type: ignore[no-any-return]

    def settings(self) -> dict[str, Any]:
        return self._once("settings", self.source.settings)  # type: ignore[no-any-return]

    def subscription_label(self, value: str | None) -> str:
        """A subscription's name where an id was reported ('/subscriptions/<guid>' or a guid)."""
        if not value:
            return "(none)"
        key = value.lower().removeprefix("/subscriptions/").strip("/")
        return self.subscription_names().get(key, value)


@dataclass
class ReportContext:
    """Everything one section needs; ``currency`` and ``figures`` are None in report scope."""

    source: ReportSource
    doc: ReportDocument
    options: ReportOptions
    period: Period
    data: ReportData
    currencies: list[str]
    currency: str | None = None
    figures: KeyFigures | None = None
    summaries: dict[str, Summary] = field(default_factory=dict)
    drawn: dict[str, KeyFigures] = field(default_factory=dict)  # key figures per currency

    @property
    def money_currency(self) -> str:
        """The currency of a currency-scope section (an error to ask in report scope)."""
        if self.currency is None:
            raise CloudOptimaError("this report section needs a billing currency")
        return self.currency

    @property
    def key(self) -> KeyFigures:
        """The key figures of a currency-scope section."""
        if self.figures is None:
            raise CloudOptimaError("this report section needs a billing currency")
        return self.figures
