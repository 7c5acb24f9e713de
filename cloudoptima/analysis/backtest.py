"""The forecasting model and its evaluation: Prophet fits, intervals and rolling-origin backtests.

Everything here works on plain daily values, never on a workspace, so that fits can run
in spawned worker processes; :mod:`cloudoptima.analysis.forecast` loads the series,
caches results and builds the frames users see. Prophet (``pip install
'cloudoptima[forecast]'``) is imported only when a fit runs.

Examples
--------
>>> fold_origins(120, horizon=30, folds=3)
[30, 60, 90]
>>> seasonal_naive([1, 2, 3, 4, 5, 6, 7, 8], 9).tolist()
[2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 2.0, 3.0]
>>> round(mape([100, 200], [110, 180]), 2), round(smape([100, 200], [110, 180]), 2)
(10.0, 10.03)
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import warnings
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import date, timedelta
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from cloudoptima.errors import CloudOptimaError

FloatArray = npt.NDArray[np.float64]
Values = Sequence[float] | FloatArray

INSTALL_HINT = "pip install 'cloudoptima[forecast]'"
WEEK, YEAR_DAYS, MAX_HISTORY_DAYS = 7, 365, 3 * 365 + 1
# Without a year of history a fit sees only the last 180 days: older levels tell little
# about next month once spend has stepped up or down (8-fold demo backtest of the total:
# MAPE 2.0 % on the last 180 days, 2.4 % on all of them).
RECENT_DAYS = 180
YEARLY_ORDER = 3  # a year or two of history supports a smooth annual cycle, not 10 terms
UNCERTAINTY_SAMPLES = 1000
QUANTILES = {"lower_95": 0.025, "lower_80": 0.10, "upper_80": 0.90, "upper_95": 0.975}

# Chosen by rolling-origin backtests on the demo estate (8 folds of 30 days, see the tests).
PROPHET_SETTINGS: dict[str, Any] = {
    # Weekend dips grow with the level of spend: seasonality multiplies the trend
    # (additive was worse on the total, every subscription and most services).
    "seasonality_mode": "multiplicative",
    # Spend moves in steps (deployments, shutdowns); a looser trend than Prophet's 0.05 and
    # changepoints up to the last 5 % of history let the trend follow the current level.
    "changepoint_prior_scale": 0.3,
    "changepoint_range": 0.95,
    "n_changepoints": 50,
    # Seasonalities are added per series length (see _seasonalities); no intraday data.
    "daily_seasonality": False,
    "weekly_seasonality": False,
    "yearly_seasonality": False,
}

# A fold needs four weeks of history: Prophet's weekly pattern and the baseline's last week.
MIN_TRAIN_DAYS = 4 * WEEK
SCHEMA: dict[str, Any] = {
    "series": pl.String,
    "BillingCurrency": pl.String,
    "model": pl.String,
    "mape": pl.Float64,
    "smape": pl.Float64,
    "folds": pl.Int64,
    "horizon": pl.Int64,
}

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Series:
    """One daily cost series: zero-filled values ending on the workspace's last cost day."""

    name: str
    currency: str
    values: tuple[float, ...]

    def start(self, data_end: date) -> date:
        """The day of ``values[0]``."""
        return data_end - timedelta(days=len(self.values) - 1)


@dataclass(frozen=True)
class FitTask:
    """One Prophet fit as plain data, so it pickles into a spawned worker."""

    start: date  # the day of values[0]
    values: tuple[float, ...]
    horizon: int
    intervals: bool  # draw predictive samples (forecasts); backtests need the point only
    # [start, end) forecast-day ranges whose sums get an 80 % interval (month end, quarter...)
    windows: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class FitOutput:
    """A fit's forecast: point, bounds named as in QUANTILES, 80 % intervals of window sums."""

    yhat: list[float]
    bounds: dict[str, list[float]]  # empty without intervals
    window_sums: tuple[tuple[float, float], ...]  # per FitTask.windows: the sum's 80 % interval


# -- fitting ---------------------------------------------------------------------------------


def run_fits(tasks: list[FitTask], *, parallel: bool) -> list[FitOutput]:
    """Fit every task: in a process pool on all cores when ``parallel`` and cores allow."""
    import_prophet()  # fail here, with the install hint, rather than in every worker
    workers = min(len(tasks), os.cpu_count() or 1)
    if not parallel or workers < 2:
        return [fit(task) for task in tasks]
    # spawn, not fork: forking would copy the parent's DuckDB threads mid-state.
    context = multiprocessing.get_context("spawn")
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            return list(pool.map(fit, tasks))
    except BrokenProcessPool:
        # A worker died: out of memory, or a script without `if __name__ == "__main__":`
        # that spawn re-runs. Fitting here is slower but still correct.
        _log.warning("forecast worker processes failed; fitting %d series serially", len(tasks))
        return [fit(task) for task in tasks]


def fit(task: FitTask) -> FitOutput:
    """Fit Prophet once to one series and forecast ``task.horizon`` days."""
    with warnings.catch_warnings():
        # Prophet's pandas deprecation warnings are for its maintainers, not our users.
        warnings.filterwarnings("ignore", module="prophet")
        return _fit_quietly(task)


def _fit_quietly(task: FitTask) -> FitOutput:
    model, history = _build_model(task)
    model.fit(history)
    future = model.make_future_dataframe(periods=task.horizon, freq="D", include_history=False)
    floor = 0.0 if min(task.values) >= 0 else -np.inf  # costs without credits stay >= 0
    model.uncertainty_samples = 0  # point forecast only; the intervals come from one draw below
    yhat = np.maximum(model.predict(future)["yhat"].to_numpy(dtype=np.float64), floor)
    if not task.intervals:
        return FitOutput(yhat.tolist(), {}, ())
    model.uncertainty_samples = UNCERTAINTY_SAMPLES
    with _seeded(0):  # Prophet samples from NumPy's global generator
        samples = np.maximum(model.predictive_samples(future)["yhat"], floor)
    sums = tuple(_window_sum(samples, yhat, a, b) for a, b in task.windows)
    return FitOutput(yhat.tolist(), _bounds(samples, yhat), sums)


def _build_model(task: FitTask) -> tuple[Any, Any]:
    """An unfitted Prophet and its training frame (recent window, spikes blanked)."""
    pd = _import_pandas()
    values = task.values if len(task.values) >= YEAR_DAYS else task.values[-RECENT_DAYS:]
    values = values[-MAX_HISTORY_DAYS:]
    start = task.start + timedelta(days=len(task.values) - len(values))
    model = import_prophet().Prophet(**PROPHET_SETTINGS, uncertainty_samples=0)
    for name, period, order in _seasonalities(len(values)):
        model.add_seasonality(name=name, period=period, fourier_order=order)
    days = pd.date_range(start, periods=len(values), freq="D")
    return model, pd.DataFrame({"ds": days, "y": mask_spikes(values)})


def _seasonalities(days: int) -> list[tuple[str, float, int]]:
    """Weekly from two weeks of history, yearly from one year (Prophet's own rule wants two)."""
    found = [("weekly", 7.0, 3)] if days >= 2 * WEEK else []
    return found + ([("yearly", 365.25, YEARLY_ORDER)] if days >= YEAR_DAYS else [])


def mask_spikes(values: Values) -> FloatArray:
    """Blank (NaN) one-off spikes so they do not bend the trend; Prophet skips NaN days.

    A spike is a day more than 20 % and five robust standard deviations away from the
    median of the same weekday in the three weeks either side. Nothing is blanked when
    over 5 % of days look like spikes (then they are the series' pattern), nor is a run
    of them still going on at the end, which may be a new level rather than a spike.
    """
    y = np.asarray(values, dtype=np.float64)
    if y.size < 6 * WEEK:
        return y
    index = np.arange(y.size)[:, None] + np.array([-21, -14, -7, 7, 14, 21])
    inside = (index >= 0) & (index < y.size)
    median = np.nanmedian(np.where(inside, y[np.clip(index, 0, y.size - 1)], np.nan), axis=1)
    deviation = np.abs(y - median)
    sigma = 1.4826 * np.median(deviation)
    spikes = _unmark_ongoing(deviation > np.maximum(5 * sigma, 0.2 * np.abs(median)))
    return y if spikes.mean() > 0.05 else np.where(spikes, np.nan, y)


def _unmark_ongoing(spikes: npt.NDArray[np.bool_], gap: int = 3) -> npt.NDArray[np.bool_]:
    """Unmark the last run of spike days (gaps up to ``gap`` days: a weekend) if it
    reaches the last ``gap`` days."""
    marked = np.flatnonzero(spikes)
    if marked.size == 0 or marked[-1] < spikes.size - gap:
        return spikes
    start = marked[-1]
    for earlier in marked[::-1]:
        if start - earlier > gap:
            break
        start = earlier
    result = spikes.copy()
    result[start:] = False
    return result


def _bounds(samples: FloatArray, yhat: FloatArray) -> dict[str, list[float]]:
    """80 % and 95 % bounds from the quantiles of one set of predictive samples."""
    q = {name: np.quantile(samples, p, axis=1) for name, p in QUANTILES.items()}
    # Sample quantiles scatter around the MAP point forecast: clamp so the bands nest.
    q["lower_80"] = np.minimum(q["lower_80"], yhat)
    q["upper_80"] = np.maximum(q["upper_80"], yhat)
    q["lower_95"] = np.minimum(q["lower_95"], q["lower_80"])
    q["upper_95"] = np.maximum(q["upper_95"], q["upper_80"])
    return {name: q[name].tolist() for name in QUANTILES}


def _window_sum(samples: FloatArray, yhat: FloatArray, a: int, b: int) -> tuple[float, float]:
    """80 % interval of the sum of forecast days ``a`` to ``b - 1`` (summed per sample)."""
    if b <= a:
        return 0.0, 0.0
    totals = samples[a:b].sum(axis=0)
    point = float(yhat[a:b].sum())
    low, high = np.quantile(totals, [QUANTILES["lower_80"], QUANTILES["upper_80"]])
    return min(float(low), point), max(float(high), point)


@contextlib.contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Seed NumPy's global generator for reproducible samples, then restore it."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def import_prophet() -> ModuleType:
    """Import Prophet with its chatty loggers quietened, or explain how to install it."""
    # Prophet logs an error when plotly is missing and cmdstanpy logs each fit at INFO;
    # neither helps a CLI user.
    logging.getLogger("prophet.plot").setLevel(logging.CRITICAL)
    try:
        import prophet
        from cmdstanpy.utils import get_logger
    except ImportError as exc:
        raise CloudOptimaError(f"forecasts need Prophet: {INSTALL_HINT}") from exc
    logging.getLogger("prophet").setLevel(logging.WARNING)  # its import set INFO
    get_logger().setLevel(logging.WARNING)  # cmdstanpy sets DEBUG on its first call
    return prophet


def _import_pandas() -> Any:
    try:
        import pandas  # type: ignore[import-untyped]  # pandas ships no type information
    except ImportError as exc:
        raise CloudOptimaError(f"forecasts need pandas: {INSTALL_HINT}") from exc
    return pandas


# -- backtesting -----------------------------------------------------------------------------


def fold_origins(
    days: int, *, horizon: int, folds: int, min_train: int = MIN_TRAIN_DAYS
) -> list[int]:
    """Index of each fold's first test day, oldest first; the last window ends on the last day.

    Origins are ``horizon`` days apart; folds with less than ``min_train`` days of
    history before them are left out.
    """
    origins = [days - k * horizon for k in range(folds, 0, -1)]
    return [origin for origin in origins if origin >= min_train]


def backtest_tasks(
    series: list[Series], data_end: date, horizon: int, folds: int
) -> tuple[list[FitTask], list[list[int]]]:
    """One fit per fold of every series (the history before its origin), and the origins."""
    tasks, origins = [], []
    for s in series:
        cuts = fold_origins(len(s.values), horizon=horizon, folds=folds)
        origins.append(cuts)
        tasks += [FitTask(s.start(data_end), s.values[:cut], horizon, False) for cut in cuts]
    return tasks, origins


def backtest_frame(
    series: list[Series], origins: list[list[int]], outputs: list[FitOutput], horizon: int
) -> pl.DataFrame:
    """Score the fold forecasts of :func:`backtest_tasks` in the columns of SCHEMA."""
    rows, position = [], 0
    for s, cuts in zip(series, origins, strict=True):
        forecasts = [out.yhat for out in outputs[position : position + len(cuts)]]
        position += len(cuts)
        for model, (m, sm) in score_series(s.values, cuts, forecasts, horizon).items():
            rows.append(
                {
                    "series": s.name,
                    "BillingCurrency": s.currency,
                    "model": model,
                    "mape": m,
                    "smape": sm,
                    "folds": len(cuts),
                    "horizon": horizon,
                }
            )
    return pl.DataFrame(rows, schema=SCHEMA)


def score_series(
    values: Values, origins: Sequence[int], forecasts: Sequence[Values], horizon: int
) -> dict[str, tuple[float | None, float | None]]:
    """MAPE and sMAPE of Prophet's fold ``forecasts`` and of the baseline, averaged over folds."""
    y = np.asarray(values, dtype=np.float64)
    errors: dict[str, list[tuple[float | None, float | None]]] = {
        "prophet": [],
        "seasonal_naive": [],
    }
    for origin, prophet in zip(origins, forecasts, strict=True):
        actual = y[origin : origin + horizon]
        naive = seasonal_naive(y[:origin], horizon)
        for model, predicted in (("prophet", prophet), ("seasonal_naive", naive)):
            errors[model].append((mape(actual, predicted), smape(actual, predicted)))
    return {
        model: (_mean(e[0] for e in errs), _mean(e[1] for e in errs))
        for model, errs in errors.items()
    }


def error_quantiles(
    values: Values, origins: Sequence[int], forecasts: Sequence[Values], horizon: int
) -> dict[str, float]:
    """Quantiles (0.8, 0.95) of Prophet's out-of-sample error relative to its forecast.

    Prophet's own intervals only reflect the noise it saw in training; the backtest's
    errors say how wrong it really was, so forecast bands are widened to at least them.
    """
    y = np.asarray(values, dtype=np.float64)
    errors = [
        np.abs(y[origin : origin + horizon] - np.asarray(f)) / np.abs(np.asarray(f))
        for origin, f in zip(origins, forecasts, strict=True)
    ]
    flat = np.concatenate(errors) if errors else np.array([])
    flat = flat[np.isfinite(flat)]
    if flat.size == 0:
        return {"80": 0.0, "95": 0.0}
    return {"80": float(np.quantile(flat, 0.8)), "95": float(np.quantile(flat, 0.95))}


def seasonal_naive(train: Values, horizon: int) -> FloatArray:
    """The baseline: day ``t`` repeats ``y[t-7]``, so the last observed week recurs."""
    last_week = np.asarray(train, dtype=np.float64)[-WEEK:]
    return np.resize(last_week, horizon)  # np.resize repeats the week cyclically


def mape(actual: Values, forecast: Values) -> float | None:
    """Mean absolute percentage error in percent; days without cost are skipped."""
    a, f = np.asarray(actual, dtype=np.float64), np.asarray(forecast, dtype=np.float64)
    keep = a != 0
    if not keep.any():
        return None
    return float(np.mean(np.abs(f[keep] - a[keep]) / np.abs(a[keep])) * 100)


def smape(actual: Values, forecast: Values) -> float | None:
    """Symmetric MAPE in percent (0-200); days where both are zero are skipped."""
    a, f = np.asarray(actual, dtype=np.float64), np.asarray(forecast, dtype=np.float64)
    scale = np.abs(a) + np.abs(f)
    keep = scale != 0
    if not keep.any():
        return None
    return float(np.mean(2 * np.abs(f[keep] - a[keep]) / scale[keep]) * 100)


def _mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return float(np.mean(present)) if present else None
