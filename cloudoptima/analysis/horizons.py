"""Forecast horizons: the current month, next month, the quarter and the year, each with a band.

A horizon is a calendar period; its projection is the actual cost of its days up to the
data's end plus the forecast of its remaining days, whose 80 % interval comes from the
sum of Prophet's predictive samples over those days (widened to the backtest's errors).
At a month's last day the current month is complete, so "next month" is what to look at.

Examples
--------
>>> [w.label for w in horizon_windows(date(2026, 11, 24))]
['November 2026', 'December 2026', 'Q4 2026', '2026']
>>> spans(horizon_windows(date(2026, 11, 24)), date(2026, 11, 24))
((0, 6), (6, 37), (0, 37), (0, 37))
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

HORIZONS = ("month", "next_month", "quarter", "year")


@dataclass(frozen=True)
class Window:
    """One calendar period a projection is made for (inclusive days)."""

    name: str  # one of HORIZONS
    label: str  # how people name it: "December 2026", "Q4 2026", "2026"
    start: date
    end: date


def month_last(day: date) -> date:
    """The last day of ``day``'s month."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def horizon_windows(data_end: date) -> list[Window]:
    """The periods projected from ``data_end``: its month, the next, its quarter, its year."""
    month_start = data_end.replace(day=1)
    next_start = month_last(data_end) + timedelta(days=1)
    quarter = (data_end.month - 1) // 3
    quarter_start = date(data_end.year, 3 * quarter + 1, 1)
    quarter_end = month_last(date(data_end.year, 3 * quarter + 3, 1))
    return [
        Window("month", f"{month_start:%B %Y}", month_start, month_last(data_end)),
        Window("next_month", f"{next_start:%B %Y}", next_start, month_last(next_start)),
        Window("quarter", f"Q{quarter + 1} {data_end.year}", quarter_start, quarter_end),
        Window("year", str(data_end.year), date(data_end.year, 1, 1), date(data_end.year, 12, 31)),
    ]


def spans(windows: list[Window], data_end: date) -> tuple[tuple[int, int], ...]:
    """Each window's forecast days as a [start, end) range of forecast-day indexes.

    Forecast day 0 is the day after ``data_end``; the days of a window up to
    ``data_end`` are actual cost, not forecast.
    """
    result = []
    for window in windows:
        first = max(window.start, data_end + timedelta(days=1))
        start = (first - data_end).days - 1
        end = max((window.end - data_end).days, start)
        result.append((start, end))
    return tuple(result)


def fit_days(windows: list[Window], data_end: date) -> int:
    """How many days a fit must forecast to cover every window."""
    return max(end for _, end in spans(windows, data_end))


def horizon_rows(
    name: str,
    currency: str,
    history: tuple[float, ...],
    yhat: list[float],
    sums: tuple[tuple[float, float], ...],
    data_end: date,
) -> list[dict[str, object]]:
    """One series' projections, a row per window (the columns of :data:`SCHEMA`)."""
    windows = horizon_windows(data_end)
    rows = []
    for window, (a, b), (low, high) in zip(windows, spans(windows, data_end), sums, strict=True):
        done = max((min(window.end, data_end) - window.start).days + 1, 0)
        actual = float(sum(history[max(len(history) - done, 0) :])) if done else 0.0
        rest = float(sum(yhat[a:b]))
        rows.append(
            {
                "series": name,
                "BillingCurrency": currency,
                "horizon": window.name,
                "label": window.label,
                "start": window.start,
                "end": window.end,
                "actual_to_date": actual,
                "forecast_rest": rest,
                "projected": actual + rest,
                "lower_80": actual + low,
                "upper_80": actual + high,
                "days_remaining": b - a,
            }
        )
    return rows


SCHEMA = {
    "series": pl.String,
    "BillingCurrency": pl.String,
    "horizon": pl.String,
    "label": pl.String,
    "start": pl.Date,
    "end": pl.Date,
    "actual_to_date": pl.Float64,
    "forecast_rest": pl.Float64,
    "projected": pl.Float64,
    "lower_80": pl.Float64,
    "upper_80": pl.Float64,
    "days_remaining": pl.Int64,
}
