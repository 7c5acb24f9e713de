"""What the report reads: the part of the façade's API it needs, as a structural type.

The report sits beside the façade, not below it: ``Workspace.report`` hands itself in
as a :class:`ReportSource`, so the report reads exactly what notebooks and pages read
(stored findings with their statuses, cached forecasts) without importing the
``Workspace`` back (tests/test_architecture.py forbids that circle).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

import polars as pl

if TYPE_CHECKING:
    from cloudoptima.analysis.forecast import ForecastResult
    from cloudoptima.analysis.rates import RateOptimization


class ReportSource(Protocol):
    """The reads a report makes; :class:`cloudoptima.Workspace` provides them all."""

    def totals(self, *, currency: str | None = None) -> pl.DataFrame: ...

    def freshness(self) -> pl.DataFrame: ...

    def imports(self) -> pl.DataFrame: ...

    def last_cost_day(self) -> date | None: ...

    def costs(
        self,
        by: str | Sequence[str] = (),
        *,
        start: date | None = None,
        end: date | None = None,
        metric: str | None = None,
        grain: str | None = None,
        currency: str | None = None,
    ) -> pl.DataFrame: ...

    def tag_coverage(
        self,
        required_tags: Sequence[str] | None = None,
        *,
        start: date | None = None,
        end: date | None = None,
        currency: str | None = None,
    ) -> pl.DataFrame: ...

    def showback(
        self,
        tag_key: str,
        *,
        start: date | None = None,
        end: date | None = None,
        currency: str | None = None,
    ) -> pl.DataFrame: ...

    def anomalies(self, *, start: date | None = None, end: date | None = None) -> pl.DataFrame: ...

    def rate_optimization(
        self, *, start: date | None = None, end: date | None = None
    ) -> RateOptimization: ...

    def forecast(self) -> ForecastResult: ...

    def findings(
        self, *, status: str | None = None, currency: str | None = None
    ) -> pl.DataFrame: ...

    def realized_savings(self, *, currency: str | None = None) -> pl.DataFrame: ...

    def settings(self) -> dict[str, Any]: ...

    def subscription_names(self) -> dict[str, str]: ...
