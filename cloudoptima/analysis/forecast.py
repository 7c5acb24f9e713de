"""Daily cost forecasts with Prophet: intervals, month-end projection, budget burn, backtests.

A series is the daily cost of the whole workspace or of one value of a dimension, in one
billing currency. Forecasts start the day after the workspace's last cost day, not today.
Prophet is the optional extra ``cloudoptima[forecast]``, imported only when a fit runs.
The model, its parallel fits and backtest scoring live in
:mod:`cloudoptima.analysis.backtest`; this module loads series from the workspace, caches
results by its data version (in memory, and under ``<workspace>/cache/forecast`` for other
processes) and derives the month-end projection and budget burn.

Examples
--------
>>> from cloudoptima.analysis.forecast import forecast
>>> result = forecast(reader, by="SubAccountName", budget=20_000)  # doctest: +SKIP
>>> result.month_end.select("series", "projected", "lower_80", "upper_80")  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from cloudoptima.analysis import backtest as bt
from cloudoptima.analysis.dimensions import (
    check_metric,
    costs_with_fallback,
    dimension_sql,
    last_cost_day,
    parse_dimensions,
)
from cloudoptima.errors import CloudOptimaError
from cloudoptima.storage.reader import Reader

TOTAL, OTHER, NONE = "(total)", "(other)", "(none)"
KEYS = ["series", "BillingCurrency"]
SUBSCRIPTION_DIMENSIONS = ("SubAccountName", "SubAccountId")  # every subscription, no top N
TOP_WINDOW_DAYS = 90  # top N values rank by their cost over this many recent days
# The backtest a forecast carries: eight 30-day folds, so one flat quarter (which
# flatters repeating last week) does not decide which model looks better.
BACKTEST_HORIZON, BACKTEST_FOLDS = 30, 8
CACHE_FORMAT = 1
CACHE_ENTRIES = 32

Payload = tuple[dict[str, pl.DataFrame], dict[str, Any]]  # frames and JSON-able facts
# (workspace root, data version, arguments as JSON) -> result, least recently used first
_MEMORY: OrderedDict[tuple[str, int, str], Payload] = OrderedDict()
_MEMORY_LOCK = threading.Lock()  # Streamlit runs each session in its own thread


@dataclass(frozen=True)
class ForecastResult:
    """A forecast of one or more daily cost series.

    Attributes
    ----------
    points : series, BillingCurrency, ds, yhat, lower_80, upper_80, lower_95, upper_95.
    history : series, BillingCurrency, ds, y: the actual daily cost, zero-filled.
    month_end : projection of the month holding ``data_end`` per series: actual_to_date,
        forecast_rest, projected, lower_80, upper_80, days_remaining.
    budget : budget burn per series when a budget was given (see :func:`budget_burn`).
    backtest : Prophet and seasonal-naive errors per series (see :func:`backtest`).
    data_end : the last day with cost data; ``points`` start the day after.
    stale_days : days from ``data_end`` to today.
    horizon : days forecast (at least the rest of the current month).
    metric : the cost column forecast.
    """

    points: pl.DataFrame
    history: pl.DataFrame
    month_end: pl.DataFrame
    budget: pl.DataFrame | None
    backtest: pl.DataFrame
    data_end: date
    stale_days: int
    horizon: int
    metric: str


def forecast(
    reader: Reader,
    *,
    cache_dir: Path | None = None,
    by: str | None = None,
    horizon: int | None = None,
    metric: str = "EffectiveCost",
    top: int = 5,
    budget: float | None = None,
    currency: str | None = None,
) -> ForecastResult:
    """Forecast daily cost from the day after the last cost day, with 80 % and 95 % intervals.

    Parameters
    ----------
    reader : the workspace's cost data.
    cache_dir : where results are kept for other processes (None: this process only).
    by : None for the total, or one dimension (``ServiceName``, ``tag:env``...): its ``top``
        values by cost over the last 90 days plus ``(other)``; ``SubAccountName`` and
        ``SubAccountId`` give every subscription.
    horizon : days to forecast; default through the end of the month after ``data_end``,
        never less than the rest of the current month.
    metric : ``EffectiveCost`` or ``BilledCost``.
    budget : monthly budget in each series' currency; fills ``ForecastResult.budget``.
    currency : only series billed in this currency.
    """
    dims = _dimension(by)
    if top < 1:
        raise CloudOptimaError("top must be at least 1")
    key = ["forecast", dims, horizon, check_metric(metric), top, currency]
    frames, meta = _cached(
        reader,
        cache_dir,
        key,
        lambda: _compute_forecast(reader, dims, horizon, metric, top, currency),
    )
    data_end = date.fromisoformat(meta["data_end"])
    burn = (
        None
        if budget is None
        else budget_burn(frames["history"], frames["points"], data_end, budget)
    )
    return ForecastResult(
        points=frames["points"],
        history=frames["history"],
        month_end=frames["month_end"],
        budget=burn,
        backtest=frames["backtest"],
        data_end=data_end,
        stale_days=(date.today() - data_end).days,
        horizon=meta["horizon"],
        metric=metric,
    )


def backtest(
    reader: Reader,
    *,
    cache_dir: Path | None = None,
    by: str | None = None,
    metric: str = "EffectiveCost",
    horizon: int = 30,
    folds: int = 8,
    top: int = 5,
) -> pl.DataFrame:
    """Rolling-origin backtest of Prophet against the seasonal-naive baseline.

    Each fold cuts the history at an origin (origins ``horizon`` days apart, the last
    window ending on the last cost day), fits on the days before it and forecasts
    ``horizon`` days. Returns series, BillingCurrency, model (``prophet`` or
    ``seasonal_naive``), mape and smape in percent averaged over the folds, folds and
    horizon; a series too short for any fold has null errors and ``folds`` 0.
    """
    dims = _dimension(by)
    if horizon < 1 or folds < 1:
        raise CloudOptimaError("backtest horizon and folds must be at least 1")
    key = ["backtest", dims, check_metric(metric), horizon, folds, top]

    def compute() -> Payload:
        history, series = _load_series(reader, dims, metric, top, None)
        tasks, origins = bt.backtest_tasks(series, _data_end(history), horizon, folds)
        outputs = bt.run_fits(tasks, parallel=len(series) > 1)
        return {"backtest": bt.backtest_frame(series, origins, outputs, horizon)}, {}

    return _cached(reader, cache_dir, key, compute)[0]["backtest"]


def budget_burn(
    history: pl.DataFrame, points: pl.DataFrame, data_end: date, budget: float
) -> pl.DataFrame:
    """Burn of a monthly ``budget`` in the month holding ``data_end``, per series.

    Returns series, BillingCurrency, budget, actual_to_date, projected (actual plus
    forecast to the month end), overrun_date (first day the running total exceeds the
    budget, to the cent; null if never), days_remaining and daily_rate_needed (the
    spend per remaining day that keeps the month within budget; null on the last day).
    """
    month_start, month_last = data_end.replace(day=1), _month_last(data_end)
    days_left = (month_last - data_end).days
    actual = history.filter(pl.col("ds") >= month_start).select(*KEYS, "ds", "y")
    future = points.filter(pl.col("ds") <= month_last).select(
        *KEYS, "ds", pl.col("yhat").alias("y")
    )
    month = pl.concat([actual, future]).sort(*KEYS, "ds")
    month = month.with_columns(running=pl.col("y").cum_sum().over(KEYS))
    summary = month.group_by(KEYS, maintain_order=True).agg(
        actual_to_date=pl.col("y").filter(pl.col("ds") <= data_end).sum(),
        projected=pl.col("y").sum(),
        overrun_date=pl.col("ds").filter(pl.col("running").round(2) > budget).first(),
    )
    needed = (
        pl.max_horizontal((budget - pl.col("actual_to_date")) / days_left, pl.lit(0.0))
        if days_left
        else pl.lit(None, dtype=pl.Float64)
    )
    return summary.select(
        *KEYS,
        pl.lit(float(budget)).alias("budget"),
        "actual_to_date",
        "projected",
        "overrun_date",
        pl.lit(days_left).alias("days_remaining"),
        needed.alias("daily_rate_needed"),
    )


def clear_cache(cache_dir: Path) -> None:
    """Forget the forecasts and backtests cached under ``cache_dir``, in memory and on disk."""
    with _MEMORY_LOCK:
        for key in [k for k in _MEMORY if k[0] == str(cache_dir)]:
            del _MEMORY[key]
    shutil.rmtree(cache_dir, ignore_errors=True)


# -- series ----------------------------------------------------------------------------


def _dimension(by: str | None) -> str | None:
    dims = parse_dimensions(by)
    if len(dims) > 1:
        raise CloudOptimaError(f"forecast by one dimension at a time, not {', '.join(dims)}")
    if dims:
        dimension_sql(dims[0])  # raises a clear error for an unknown dimension
    return dims[0] if dims else None


def _load_series(
    reader: Reader, dimension: str | None, metric: str, top: int, currency: str | None
) -> tuple[pl.DataFrame, list[bt.Series]]:
    """The zero-filled daily history and the series made from it, ending on data_end."""
    end = last_cost_day(reader)
    if end is None:
        raise CloudOptimaError("there is no cost data to forecast; import a cost export first")
    limit = None if dimension in SUBSCRIPTION_DIMENSIONS else top
    params: list[Any] = [
        _midnight(end - timedelta(days=bt.MAX_HISTORY_DAYS - 1)),
        _midnight(end - timedelta(days=TOP_WINDOW_DAYS - 1)),
        limit,
    ]
    if currency is not None:
        params.append(currency)
    daily = reader.sql(_series_sql(dimension, check_metric(metric), currency is not None), params)
    if daily.is_empty():
        raise CloudOptimaError(f"there is no cost data in {currency} to forecast")
    history = _zero_fill(daily, end)
    series = [
        bt.Series(
            str(part[0, "series"]), str(part[0, "BillingCurrency"]), tuple(part["y"].to_list())
        )
        for part in history.partition_by(KEYS, maintain_order=True)
    ]
    return history, series


def _series_sql(dimension: str | None, metric: str, one_currency: bool) -> str:
    group = (
        f"'{TOTAL}'"
        if dimension is None
        else f"coalesce(({dimension_sql(dimension)})::VARCHAR, '{NONE}')"
    )
    only = "AND BillingCurrency = $4" if one_currency else ""
    return f"""
        WITH daily AS (
            SELECT {group} AS g, coalesce(BillingCurrency, '{NONE}') AS cur,
                   ChargePeriodStart::DATE AS ds, sum({metric})::DOUBLE AS y
            FROM {costs_with_fallback(None, None)[0]} AS costs
            WHERE ChargePeriodStart >= $1 {only} GROUP BY ALL
        ), ranked AS (
            SELECT g, cur, row_number() OVER (PARTITION BY cur
                ORDER BY coalesce(sum(y) FILTER (WHERE ds >= $2::DATE), 0) DESC, g) AS rank
            FROM daily GROUP BY g, cur
        )
        SELECT CASE WHEN $3::BIGINT IS NULL OR rank <= $3 THEN g ELSE '{OTHER}' END AS series,
               cur AS BillingCurrency, ds, sum(y) AS y
        FROM daily JOIN ranked USING (g, cur) GROUP BY ALL ORDER BY BillingCurrency, series, ds"""


def _zero_fill(daily: pl.DataFrame, end: date) -> pl.DataFrame:
    """A row for every day from each series' first day to ``end``: no cost rows, no cost."""
    spans = daily.group_by(KEYS, maintain_order=True).agg(first=pl.col("ds").min())
    grid = spans.select(*KEYS, ds=pl.date_ranges("first", pl.lit(end), interval="1d")).explode("ds")
    filled = grid.join(daily, on=[*KEYS, "ds"], how="left").with_columns(pl.col("y").fill_null(0.0))
    return filled.sort(*KEYS, "ds")


def _data_end(history: pl.DataFrame) -> date:
    end = history["ds"].max()
    assert isinstance(end, date)
    return end


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time())


def _month_last(day: date) -> date:
    next_month = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return next_month - timedelta(days=1)


def _default_horizon(data_end: date) -> int:
    """Days from data_end through the end of the following month."""
    return (_month_last(_month_last(data_end) + timedelta(days=1)) - data_end).days


# -- forecasting -------------------------------------------------------------------------


def _compute_forecast(
    reader: Reader,
    dimension: str | None,
    horizon: int | None,
    metric: str,
    top: int,
    currency: str | None,
) -> Payload:
    history, series = _load_series(reader, dimension, metric, top, currency)
    data_end = _data_end(history)
    month_days = (_month_last(data_end) - data_end).days
    days = max(horizon or _default_horizon(data_end), month_days)
    if days < 1:
        raise CloudOptimaError("the forecast horizon must be at least 1 day")
    tasks = [bt.FitTask(s.start(data_end), s.values, days, True, month_days) for s in series]
    bt_tasks, origins = bt.backtest_tasks(series, data_end, BACKTEST_HORIZON, BACKTEST_FOLDS)
    outputs = bt.run_fits([*tasks, *bt_tasks], parallel=len(series) > 1)
    fitted = _calibrate(series, outputs[: len(tasks)], origins, outputs[len(tasks) :], month_days)
    frames = {
        "points": _points_frame(series, fitted, data_end),
        "history": history,
        "month_end": _month_end_frame(series, fitted, data_end, month_days),
        "backtest": bt.backtest_frame(series, origins, outputs[len(tasks) :], BACKTEST_HORIZON),
    }
    return frames, {"data_end": data_end.isoformat(), "horizon": days}


def _calibrate(
    series: list[bt.Series],
    fitted: list[bt.FitOutput],
    origins: list[list[int]],
    folds: list[bt.FitOutput],
    month_days: int,
) -> list[bt.FitOutput]:
    """Widen each series' bands to at least the errors its backtest measured."""
    calibrated, position = [], 0
    for s, out, cuts in zip(series, fitted, origins, strict=True):
        fold_yhat = [f.yhat for f in folds[position : position + len(cuts)]]
        position += len(cuts)
        q = bt.error_quantiles(s.values, cuts, fold_yhat, BACKTEST_HORIZON)
        calibrated.append(_widen(out, q, month_days))
    return calibrated


def _widen(out: bt.FitOutput, q: dict[str, float], month_days: int) -> bt.FitOutput:
    yhat = out.yhat
    bounds = dict(out.bounds)
    for level in ("80", "95"):
        if f"lower_{level}" in bounds:
            bounds[f"lower_{level}"] = [
                min(lo, y * (1 - q[level]))
                for lo, y in zip(bounds[f"lower_{level}"], yhat, strict=True)
            ]
            bounds[f"upper_{level}"] = [
                max(hi, y * (1 + q[level]))
                for hi, y in zip(bounds[f"upper_{level}"], yhat, strict=True)
            ]
    # the month's rest: its error is at most the daily error (days rarely all miss one way)
    rest = sum(yhat[:month_days])
    low, high = out.month_rest
    month_rest = (min(low, rest * (1 - q["80"])), max(high, rest * (1 + q["80"])))
    return bt.FitOutput(yhat, bounds, month_rest)


def _points_frame(
    series: list[bt.Series], fitted: list[bt.FitOutput], data_end: date
) -> pl.DataFrame:
    parts = []
    for s, out in zip(series, fitted, strict=True):
        ds = pl.date_range(
            data_end + timedelta(days=1), data_end + timedelta(days=len(out.yhat)), eager=True
        )
        parts.append(
            pl.DataFrame(
                {
                    "series": s.name,
                    "BillingCurrency": s.currency,
                    "ds": ds,
                    "yhat": out.yhat,
                    **out.bounds,
                }
            )
        )
    return pl.concat(parts)


def _month_end_frame(
    series: list[bt.Series], fitted: list[bt.FitOutput], data_end: date, month_days: int
) -> pl.DataFrame:
    """Actual month-to-date plus the forecast of the month's remaining days, per series."""
    done = data_end.day
    rows = []
    for s, out in zip(series, fitted, strict=True):
        actual = sum(s.values[-done:])  # values end on data_end, zero-filled
        rest = sum(out.yhat[:month_days])
        rows.append(
            {
                "series": s.name,
                "BillingCurrency": s.currency,
                "month": data_end.replace(day=1),
                "actual_to_date": actual,
                "forecast_rest": rest,
                "projected": actual + rest,
                "lower_80": actual + out.month_rest[0],
                "upper_80": actual + out.month_rest[1],
                "days_remaining": month_days,
            }
        )
    return pl.DataFrame(rows)


# -- caching -----------------------------------------------------------------------------


def _cached(
    reader: Reader, cache_dir: Path | None, key: list[Any], compute: Callable[[], Payload]
) -> Payload:
    """``compute()`` once per data version and arguments: memory first, then disk."""
    version = reader.data_version
    memory_key = (str(cache_dir) if cache_dir else f"reader:{id(reader)}", version, json.dumps(key))
    with _MEMORY_LOCK:
        if memory_key in _MEMORY:
            _MEMORY.move_to_end(memory_key)
            return _MEMORY[memory_key]
    folder = cache_dir / _digest(version, key) if cache_dir else None
    payload = _read_payload(folder) if folder else None
    if payload is None:
        payload = compute()
        if folder:
            _write_payload(folder, payload, version)
    with _MEMORY_LOCK:
        _MEMORY[memory_key] = payload
        while len(_MEMORY) > CACHE_ENTRIES:
            _MEMORY.popitem(last=False)
    return payload


def _digest(version: int, key: list[Any]) -> str:
    # Settings are part of the key so that retuning Prophet invalidates old results.
    text = json.dumps(
        [CACHE_FORMAT, version, key, bt.PROPHET_SETTINGS, bt.RECENT_DAYS], sort_keys=True
    )
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _read_payload(folder: Path) -> Payload | None:
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        frames = {name: pl.read_parquet(folder / f"{name}.parquet") for name in meta["frames"]}
    except (OSError, ValueError, KeyError, pl.exceptions.PolarsError):
        return None  # missing or damaged: recompute
    return frames, meta["meta"]


def _write_payload(folder: Path, payload: Payload, version: int) -> None:
    """Publish atomically (write a temporary folder, rename it); a failed write is no error."""
    frames, meta = payload
    temporary = folder.with_name(f".tmp-{folder.name}-{uuid.uuid4().hex}")
    try:
        temporary.mkdir(parents=True)
        for name, frame in frames.items():
            frame.write_parquet(temporary / f"{name}.parquet")
        record = {"frames": list(frames), "meta": meta, "data_version": version}
        (temporary / "meta.json").write_text(json.dumps(record), encoding="utf-8")
        temporary.rename(folder)
        _prune(folder.parent, version)
    except OSError:
        pass  # read-only workspace or another process won the race: the cache is optional
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def _prune(cache: Path, version: int) -> None:
    """Drop results of older data versions, which can never be read again."""
    for folder in cache.iterdir():
        try:
            stale = (
                json.loads((folder / "meta.json").read_text(encoding="utf-8"))["data_version"]
                != version
            )
        except (OSError, ValueError, KeyError):
            continue
        if stale:
            shutil.rmtree(folder, ignore_errors=True)
