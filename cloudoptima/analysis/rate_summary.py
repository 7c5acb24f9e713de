"""Rate optimization month by month: one row per month and currency with every KPI.

The FinOps toolkit's rate-optimization report shows, per month, how much of the
commitments was used, how much eligible usage they covered, and what was saved. The
figures come from :mod:`cloudoptima.analysis.rates` (the same definitions, summed per
month), so the monthly rows and the whole-range summary never disagree.

Examples
--------
>>> rates_by_month(reader).select("period", "utilization", "coverage")  # doctest: +SKIP
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from cloudoptima.analysis.rates import (
    commitment_coverage,
    commitment_utilization,
    savings_summary,
)
from cloudoptima.storage.reader import Reader

MONEY = (
    "used_cost",
    "unused_cost",
    "covered_cost",
    "on_demand_cost",
    "list_cost",
    "effective_cost",
    "negotiated_savings",
    "commitment_savings",
    "total_savings",
)
COLUMNS = (
    "period",
    "BillingCurrency",
    "used_cost",
    "unused_cost",
    "utilization",
    "covered_cost",
    "on_demand_cost",
    "coverage",
    "list_cost",
    "effective_cost",
    "negotiated_savings",
    "commitment_savings",
    "total_savings",
    "effective_savings_rate",
)


def rates_by_month(
    reader: Reader, *, start: date | None = None, end: date | None = None
) -> pl.DataFrame:
    """Utilization, coverage, unused commitment, savings and ESR per month and currency.

    Parameters
    ----------
    reader
        The workspace to read.
    start, end
        Inclusive days of ChargePeriodStart.

    Returns
    -------
    polars.DataFrame
        ``period`` (first day of the month), ``BillingCurrency``; ``used_cost`` and
        ``unused_cost`` of all commitments with ``utilization`` = used / (used +
        unused), null without commitments; ``covered_cost``, ``on_demand_cost`` and
        ``coverage`` of eligible virtual-machine usage; ``list_cost``,
        ``effective_cost``, ``negotiated_savings``, ``commitment_savings``,
        ``total_savings`` and ``effective_savings_rate`` as in
        :func:`~cloudoptima.analysis.rates.savings_summary`. Money columns are
        ``Decimal(38, 10)``; sorted by period, then currency.
    """
    keys = ["period", "BillingCurrency"]
    used = (
        commitment_utilization(reader, start=start, end=end)
        .group_by(keys)
        .agg(pl.col("used_cost").sum(), pl.col("unused_cost").sum())
        .with_columns(utilization=_ratio("used_cost", "unused_cost"))
    )
    covered = commitment_coverage(reader, start=start, end=end)
    months = [_month_savings(reader, m, start, end) for m in _months(reader, start, end)]
    savings = pl.concat(months, how="vertical_relaxed") if months else _empty_savings()
    frame = savings.join(covered, on=keys, how="full", coalesce=True).join(
        used, on=keys, how="full", coalesce=True
    )
    zero = pl.lit(0).cast(pl.Decimal(38, 10))
    return frame.with_columns(pl.col(c).fill_null(zero) for c in MONEY).select(COLUMNS).sort(keys)


def _months(reader: Reader, start: date | None, end: date | None) -> list[date]:
    """The first days of the months holding cost rows within ``start``..``end``."""
    frame = reader.sql(
        """SELECT DISTINCT date_trunc('month', ChargePeriodStart)::DATE AS month FROM costs
           WHERE (?::DATE IS NULL OR ChargePeriodStart >= ?::DATE)
             AND (?::DATE IS NULL OR ChargePeriodStart < ?::DATE + 1)
           ORDER BY month""",
        [start, start, end, end],
    )
    return [m for m in frame["month"].to_list() if isinstance(m, date)]


def _month_savings(
    reader: Reader, month: date, start: date | None, end: date | None
) -> pl.DataFrame:
    """The savings summary of one month (clipped to ``start``..``end``)."""
    next_month = (month + timedelta(days=32)).replace(day=1)
    first = max(month, start) if start else month
    last = min(next_month - timedelta(days=1), end) if end else next_month - timedelta(days=1)
    summary = savings_summary(reader, start=first, end=last).drop("notes")
    return summary.with_columns(period=pl.lit(month))


def _empty_savings() -> pl.DataFrame:
    money = pl.Decimal(38, 10)
    return pl.DataFrame(
        schema={
            "BillingCurrency": pl.String,
            **{c: money for c in MONEY if c not in ("used_cost", "unused_cost")},
            "effective_savings_rate": pl.Float64,
            "period": pl.Date,
        }
    ).drop("covered_cost", "on_demand_cost")


def _ratio(part: str, rest: str) -> pl.Expr:
    whole = pl.col(part) + pl.col(rest)
    return pl.when(whole != 0).then(pl.col(part).cast(pl.Float64) / whole.cast(pl.Float64))
