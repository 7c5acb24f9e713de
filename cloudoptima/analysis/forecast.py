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
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from cloudoptima.analysis import backtest as bt
from cloudoptima.analysis import completeness
from cloudoptima.analysis import horizons as hz
from cloudoptima.analysis.dimensions import (
    check_metric,
    costs_with_fallback,
    dimension_sql,
    fallback_note,
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
CACHE_FORMAT = 2  # 2: horizons, excluded days and notes
CACHE_ENTRIES = 32

Payload = tuple[dict[str, pl.DataFrame], dict[str, Any]]  # frames and JSON-able facts
# (workspace root, data version, arguments as JSON) -> result, least recently used first
_MEMORY: OrderedDict[tuple[str, int, str], Payload] = OrderedDict()
_MEMORY_LOCK = threading.Lock()  # Streamlit runs each session in its own thread
# A reader without a cache folder is known by a token of its own, not by id(): ids are
# reused once an object is freed, and a new reader would then be served a dead one's results.
_READER_TOKENS: weakref.WeakKeyDictionary[Reader, str] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class ForecastResult:
    """A forecast of one or more daily cost series.

    Attributes
    ----------
    points : series, BillingCurrency, ds, yhat, lower_80, upper_80, lower_95, upper_95.
    history : series, BillingCurrency, ds, y: the actual daily cost, zero-filled.
    month_end : projection of the month holding ``data_end`` per series: actual_to_date,
        forecast_rest, projected, lower_80, upper_80, days_remaining.
    horizons : projections of the current month, next month, the quarter and the year
        per series (see :mod:`cloudoptima.analysis.horizons`), each with its 80 % band.
    budget : budget burn per series that has a budget (see :func:`budget_burn`).
    backtest : Prophet and seasonal-naive errors per series (see :func:`backtest`).
    data_end : the last complete day of cost data; ``points`` start the day after.
    stale_days : days from ``data_end`` to today.
    horizon : days forecast (at least the rest of the current month).
    metric : the cost column forecast.
    excluded_days : trailing days left out as incomplete (BillingCurrency, day, cost,
        expected, share): the forecast covers them instead.
    notes : sentences a reader of the figures must see (incomplete days left out, a
        metric standing in for a missing one).
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
    horizons: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=hz.SCHEMA))
    excluded_days: pl.DataFrame = field(default_factory=pl.DataFrame)
    notes: tuple[str, ...] = ()


Budgets = float | Mapping[tuple[str, str], float] | None


def forecast(
    reader: Reader,
    *,
    cache_dir: Path | None = None,
    by: str | None = None,
    horizon: int | None = None,
    metric: str = "EffectiveCost",
    top: int = 5,
    budget: Budgets = None,
    currency: str | None = None,
) -> ForecastResult:
    """Forecast daily cost from the day after the last complete cost day, with 80 % and 95 %
    intervals, and projections of the month, next month, the quarter and the year.

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
    budget : a monthly budget for every series (in its currency), or budgets for some
        series by (series, currency); fills ``ForecastResult.budget`` for those series.
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
    if burn is not None and burn.is_empty():
        burn = None
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
        horizons=frames["horizons"],
        excluded_days=frames["excluded"],
        notes=tuple(meta["notes"]),
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
        history, series, _ = _load_series(reader, dims, metric, top, None)
        tasks, origins = bt.backtest_tasks(series, _data_end(history), horizon, folds)
        outputs = bt.run_fits(tasks, parallel=len(series) > 1)
        return {"backtest": bt.backtest_frame(series, origins, outputs, horizon)}, {}

    return _cached(reader, cache_dir, key, compute)[0]["backtest"]


def budget_burn(
    history: pl.DataFrame,
    points: pl.DataFrame,
    data_end: date,
    budget: float | Mapping[tuple[str, str], float],
) -> pl.DataFrame:
    """Burn of monthly budgets in the month holding ``data_end``, per series with a budget.

    ``budget`` is one amount for every series (each in its own currency) or amounts by
    (series, currency): a budget applies to the series it was set for, never to another.
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
    month = pl.concat([actual, future]).join(_budget_frame(history, budget), on=KEYS)
    month = month.sort(*KEYS, "ds").with_columns(running=pl.col("y").cum_sum().over(KEYS))
    summary = month.group_by(KEYS, maintain_order=True).agg(
        pl.col("budget").first(),
        actual_to_date=pl.col("y").filter(pl.col("ds") <= data_end).sum(),
        projected=pl.col("y").sum(),
        overrun_date=pl.col("ds").filter(pl.col("running").round(2) > pl.col("budget")).first(),
    )
    needed = (
        pl.max_horizontal((pl.col("budget") - pl.col("actual_to_date")) / days_left, pl.lit(0.0))
        if days_left
        else pl.lit(None, dtype=pl.Float64)
    )
    return summary.select(
        *KEYS,
        "budget",
        "actual_to_date",
        "projected",
        "overrun_date",
        pl.lit(days_left).alias("days_remaining"),
        needed.alias("daily_rate_needed"),
    )


def _budget_frame(
    history: pl.DataFrame, budget: float | Mapping[tuple[str, str], float]
) -> pl.DataFrame:
    """series, BillingCurrency, budget: the series ``budget`` applies to."""
    if isinstance(budget, int | float):
        keys = history.select(KEYS).unique(maintain_order=True)
        return keys.with_columns(pl.lit(float(budget)).alias("budget"))
    rows = [(name, cur, float(amount)) for (name, cur), amount in budget.items()]
    return pl.DataFrame(
        rows,
        schema={"series": pl.String, "BillingCurrency": pl.String, "budget": pl.Float64},
        orient="row",
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
) -> tuple[pl.DataFrame, list[bt.Series], pl.DataFrame]:
    """The zero-filled daily history, its series, and the incomplete trailing days left out.

    The history ends on the last complete day (see :mod:`cloudoptima.analysis.completeness`):
    Cost Management data of the latest days is still arriving, and a partial day would
    pull the fit and the month-end projection down.
    """
    last = last_cost_day(reader)
    if last is None:
        raise CloudOptimaError("there is no cost data to forecast; import a cost export first")
    excluded = completeness.incomplete_days(reader, metric=metric)
    if currency is not None:
        excluded = excluded.filter(pl.col("BillingCurrency") == currency)
    # one end for every series: exports deliver all currencies and services together
    end = min([last, *(d - timedelta(days=1) for d in excluded["day"].to_list())])
    excluded = excluded.filter(pl.col("day") > end)
    limit = None if dimension in SUBSCRIPTION_DIMENSIONS else top
    params: list[Any] = [
        _midnight(end - timedelta(days=bt.MAX_HISTORY_DAYS - 1)),
        _midnight(end - timedelta(days=TOP_WINDOW_DAYS - 1)),
        limit,
    ]
    if currency is not None:
        params.append(currency)
    daily = reader.sql(_series_sql(dimension, check_metric(metric), currency is not None), params)
    daily = daily.filter(pl.col("ds") <= end)
    if daily.is_empty():
        raise CloudOptimaError(f"there is no cost data in {currency} to forecast")
    history = _zero_fill(daily, end)
    series = [
        bt.Series(
            str(part[0, "series"]), str(part[0, "BillingCurrency"]), tuple(part["y"].to_list())
        )
        for part in history.partition_by(KEYS, maintain_order=True)
    ]
    return history, series, excluded


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
    history, series, excluded = _load_series(reader, dimension, metric, top, currency)
    data_end = _data_end(history)
    month_days = (_month_last(data_end) - data_end).days
    days = max(horizon or _default_horizon(data_end), month_days)
    if days < 1:
        raise CloudOptimaError("the forecast horizon must be at least 1 day")
    windows = hz.horizon_windows(data_end)
    length, spans = max(days, hz.fit_days(windows, data_end)), hz.spans(windows, data_end)
    tasks = [bt.FitTask(s.start(data_end), s.values, length, True, spans) for s in series]
    bt_tasks, origins = bt.backtest_tasks(series, data_end, BACKTEST_HORIZON, BACKTEST_FOLDS)
    outputs = bt.run_fits([*tasks, *bt_tasks], parallel=len(series) > 1)
    fitted = _calibrate(series, outputs[: len(tasks)], origins, outputs[len(tasks) :], spans)
    horizons = pl.DataFrame(
        [
            row
            for s, out in zip(series, fitted, strict=True)
            for row in hz.horizon_rows(
                s.name, s.currency, s.values, out.yhat, out.window_sums, data_end
            )
        ],
        schema=hz.SCHEMA,
    )
    frames = {
        "points": _points_frame(series, fitted, data_end, days),
        "history": history,
        "month_end": _month_end_frame(horizons),
        "horizons": horizons,
        "backtest": bt.backtest_frame(series, origins, outputs[len(tasks) :], BACKTEST_HORIZON),
        "excluded": excluded,
    }
    notes = _notes(reader, excluded, metric, data_end, {s.currency for s in series})
    return frames, {"data_end": data_end.isoformat(), "horizon": days, "notes": notes}


def _notes(
    reader: Reader, excluded: pl.DataFrame, metric: str, data_end: date, currencies: set[str]
) -> list[str]:
    """What a reader of the forecast must know: days left out, a metric standing in."""
    notes = [n for c in sorted(currencies) if (n := completeness.describe(excluded, c))]
    start = data_end - timedelta(days=bt.RECENT_DAYS)
    other = "BilledCost" if metric == "EffectiveCost" else "EffectiveCost"
    gaps = reader.sql(
        f"""SELECT count(DISTINCT (coalesce(SubAccountId, ''), ChargePeriodStart::DATE)) AS n
            FROM {costs_with_fallback(start, data_end)[0]} AS costs
            WHERE _{metric}_fallback AND ChargePeriodStart >= ?""",
        [*costs_with_fallback(start, data_end)[1], _midnight(start)],
    ).item()
    if gaps:
        notes.append(fallback_note(int(gaps), metric, other))
    return notes


def _calibrate(
    series: list[bt.Series],
    fitted: list[bt.FitOutput],
    origins: list[list[int]],
    folds: list[bt.FitOutput],
    spans: tuple[tuple[int, int], ...],
) -> list[bt.FitOutput]:
    """Widen each series' bands to at least the errors its backtest measured."""
    calibrated, position = [], 0
    for s, out, cuts in zip(series, fitted, origins, strict=True):
        fold_yhat = [f.yhat for f in folds[position : position + len(cuts)]]
        position += len(cuts)
        q = bt.error_quantiles(s.values, cuts, fold_yhat, BACKTEST_HORIZON)
        calibrated.append(_widen(out, q, spans))
    return calibrated


def _widen(
    out: bt.FitOutput, q: dict[str, float], spans: tuple[tuple[int, int], ...]
) -> bt.FitOutput:
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
    # a window's sum: its error is at most the daily error (days rarely all miss one way)
    sums = []
    for (a, b), (low, high) in zip(spans, out.window_sums, strict=True):
        rest = sum(yhat[a:b])
        sums.append((min(low, rest * (1 - q["80"])), max(high, rest * (1 + q["80"]))))
    return bt.FitOutput(yhat, bounds, tuple(sums))


def _points_frame(
    series: list[bt.Series], fitted: list[bt.FitOutput], data_end: date, days: int
) -> pl.DataFrame:
    """The first ``days`` forecast days of each series (fits may run further, for horizons)."""
    parts = []
    for s, out in zip(series, fitted, strict=True):
        ds = pl.date_range(
            data_end + timedelta(days=1), data_end + timedelta(days=days), eager=True
        )
        parts.append(
            pl.DataFrame(
                {
                    "series": s.name,
                    "BillingCurrency": s.currency,
                    "ds": ds,
                    "yhat": out.yhat[:days],
                    **{name: values[:days] for name, values in out.bounds.items()},
                }
            )
        )
    return pl.concat(parts)


def _month_end_frame(horizons: pl.DataFrame) -> pl.DataFrame:
    """Actual month-to-date plus the forecast of the month's remaining days, per series."""
    return horizons.filter(pl.col("horizon") == "month").select(
        "series",
        "BillingCurrency",
        pl.col("start").alias("month"),
        "actual_to_date",
        "forecast_rest",
        "projected",
        "lower_80",
        "upper_80",
        "days_remaining",
    )


# -- caching -----------------------------------------------------------------------------


def _cached(
    reader: Reader, cache_dir: Path | None, key: list[Any], compute: Callable[[], Payload]
) -> Payload:
    """``compute()`` once per data version and arguments: memory first, then disk."""
    version = reader.data_version
    with _MEMORY_LOCK:
        owner = str(cache_dir) if cache_dir else _reader_token(reader)
        memory_key = (owner, version, json.dumps(key))
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


def _reader_token(reader: Reader) -> str:
    """A name for ``reader`` that no later reader can inherit (call under the lock)."""
    try:
        return _READER_TOKENS.setdefault(reader, f"reader:{uuid.uuid4().hex}")
    except TypeError:  # not weakly referenceable: never share results across calls
        return f"reader:{uuid.uuid4().hex}"


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
