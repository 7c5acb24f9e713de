"""Forecast results as the CLI prints them: a JSON document and a terminal summary."""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from cloudoptima.analysis.forecast import ForecastResult
from cloudoptima.cli.output import jsonable, render

POINT_COLUMNS = ("ds", "yhat", "lower", "upper", "lower_80", "upper_80", "lower_95", "upper_95")


def forecast_json(result: ForecastResult) -> str:
    """One document: data end, notes, then per series its daily points, month end, horizons
    (month, next_month, quarter, year, each with its 80 % band), budget and backtest.

    ``lower``/``upper`` are the 80 % interval (Prophet's default band); the 95 %
    interval is in ``lower_95``/``upper_95``.
    """
    points = result.points.with_columns(
        pl.col("lower_80").alias("lower"), pl.col("upper_80").alias("upper")
    )
    series = []
    for (name, currency), group in points.group_by(
        ["series", "BillingCurrency"], maintain_order=True
    ):
        series.append(
            {
                "series": name,
                "BillingCurrency": currency,
                "points": group.select(POINT_COLUMNS).to_dicts(),
                "month_end": _one(result.month_end, name, currency),
                "horizons": _rows(result.horizons, name, currency),
                "budget": _one(result.budget, name, currency)
                if result.budget is not None
                else None,
                "backtest": _rows(result.backtest, name, currency),
            }
        )
    document = {
        "metric": result.metric,
        "data_end": result.data_end,
        "forecast_start": result.points["ds"].min(),
        "stale_days": result.stale_days,
        "horizon": result.horizon,
        "excluded_days": result.excluded_days.to_dicts() if result.excluded_days.height else [],
        "notes": list(result.notes),
        "series": series,
    }
    return json.dumps(jsonable(document), indent=2)


def _rows(frame: pl.DataFrame, name: str, currency: str) -> list[dict[str, Any]]:
    mine = frame.filter((pl.col("series") == name) & (pl.col("BillingCurrency") == currency))
    return mine.drop("series", "BillingCurrency").to_dicts()


def _one(frame: pl.DataFrame, name: str, currency: str) -> dict[str, Any] | None:
    rows = _rows(frame, name, currency)
    return rows[0] if rows else None


def forecast_table(result: ForecastResult) -> str:
    """Projections (month, next month, quarter, year), budget and backtest per series."""
    stale = f" ({result.stale_days} days ago)" if result.stale_days > 1 else ""
    start = str(result.points.get_column("ds").min())
    parts = [f"{result.metric} forecast from {start}; cost data ends {result.data_end}{stale}"]
    parts += list(result.notes)
    horizons = result.horizons.select(
        "series",
        "BillingCurrency",
        pl.col("label").alias("period"),
        "actual_to_date",
        "forecast_rest",
        "projected",
        "lower_80",
        "upper_80",
        "days_remaining",
    )
    money = ("actual_to_date", "forecast_rest", "projected", "lower_80", "upper_80")
    parts.append(render(horizons, "table", money=money))
    if result.budget is not None:
        parts.append(
            render(
                result.budget,
                "table",
                money=("budget", "actual_to_date", "projected", "daily_rate_needed"),
            )
        )
    accuracy = result.backtest.pivot(on="model", index=["series", "BillingCurrency"], values="mape")
    parts.append("Backtest MAPE % (lower is better):\n" + render(accuracy, "table"))
    return "\n\n".join(parts)
