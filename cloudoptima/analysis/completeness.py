"""Incomplete trailing days: Cost Management data for the latest days is still arriving.

The last one to three days of an export usually hold only part of their cost (usage
records arrive late). Counted as they are, a last day at 40 % of normal pulls a
month-end projection down by double digits and looks like a drop. A trailing day is
incomplete when its total is below ``THRESHOLD`` of what the same weekday cost in the
previous four weeks (median); scanning stops at the first complete day, so only a
run at the very end is ever excluded.

Examples
--------
>>> week = [100.0, 100, 100, 100, 100, 60, 60]
>>> incomplete_trailing_days(week * 5 + [100.0, 38.0])
1
>>> incomplete_trailing_days(week * 5 + [100.0, 100.0])
0
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import date, timedelta

import polars as pl

from cloudoptima.analysis.dimensions import check_metric, costs_with_fallback
from cloudoptima.storage.reader import Reader

MAX_DAYS = 3
THRESHOLD = 0.7
WEEKS = 4


def incomplete_trailing_days(values: Sequence[float], *, max_days: int = MAX_DAYS) -> int:
    """How many of the last days of a daily series look incomplete (0 to ``max_days``)."""
    count = 0
    for back in range(max_days):
        index = len(values) - 1 - back
        history = [values[index - 7 * k] for k in range(1, WEEKS + 1) if index - 7 * k >= 0]
        if len(history) < WEEKS:
            break
        expected = statistics.median(history)
        if expected <= 0 or values[index] >= THRESHOLD * expected:
            break
        count += 1
    return count


def incomplete_days(reader: Reader, *, metric: str = "EffectiveCost") -> pl.DataFrame:
    """Per billing currency: the trailing days judged incomplete, with their share of normal.

    Returns BillingCurrency, day, cost, expected and share (cost / expected), one row
    per incomplete day; empty when the data ends on a complete day.
    """
    relation, params = costs_with_fallback(None, None)
    daily = reader.sql(
        f"""SELECT BillingCurrency, ChargePeriodStart::DATE AS day, sum({check_metric(metric)})::DOUBLE AS cost
            FROM {relation} AS costs WHERE ChargePeriodStart >= (
                SELECT max(ChargePeriodStart) - INTERVAL 40 DAY FROM costs)
            GROUP BY ALL ORDER BY BillingCurrency, day""",
        params,
    )
    rows = []
    for (currency,), part in daily.partition_by("BillingCurrency", as_dict=True).items():
        days, costs = _zero_filled(part)
        for offset in range(incomplete_trailing_days(costs)):
            index = len(costs) - 1 - offset
            expected = statistics.median(costs[index - 7 * k] for k in range(1, WEEKS + 1))
            rows.append(
                {
                    "BillingCurrency": currency,
                    "day": days[index],
                    "cost": costs[index],
                    "expected": expected,
                    "share": costs[index] / expected,
                }
            )
    schema = {
        "BillingCurrency": pl.String,
        "day": pl.Date,
        "cost": pl.Float64,
        "expected": pl.Float64,
        "share": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema).sort("BillingCurrency", "day")


def _zero_filled(part: pl.DataFrame) -> tuple[list[date], list[float]]:
    """Every day from the first to the last of ``part`` (a day without rows cost nothing)."""
    by_day = dict(zip(part["day"].to_list(), part["cost"].to_list(), strict=True))
    first, last = min(by_day), max(by_day)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return days, [float(by_day.get(d) or 0.0) for d in days]


def describe(frame: pl.DataFrame, currency: str) -> str | None:
    """The sentence users see when trailing days of ``currency`` were left out, else None."""
    part = frame.filter(pl.col("BillingCurrency") == currency)
    if part.is_empty():
        return None
    days = ", ".join(
        f"{d.day} {d:%b} ({s:.0%} of a usual day)"
        for d, s in part.select("day", "share").iter_rows()
    )
    return (
        f"The last {part.height} day(s) look incomplete, as Cost Management data arrives late: "
        f"{days}. They are left out of forecasts and anomaly detection."
    )
