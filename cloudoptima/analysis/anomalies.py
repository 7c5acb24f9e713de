"""Cost anomalies: days when a service, subscription or other group cost far more than usual.

Method
------
Each group's daily cost is zero-filled over the calendar of its billing currency
(a day without rows cost nothing) and compared with a baseline made from earlier
days only, so a spike never raises its own baseline:

* **level**: the median of the previous 7 days. The window holds one of each
  weekday, so weekends do not bias it, and a spike of up to 3 days is a minority
  of it, so the days right after a spike keep a clean baseline.
* **weekday factor**: the median, over the previous 4 same weekdays, of
  cost / level (the weekly pattern: a Saturday usually costs 60 % of a week's level).
* **expected** = level x weekday factor.
* **scale**: 1.4826 x the median absolute error of the previous 28 days (a robust
  standard deviation), floored at 5 % of expected and at 0.25 currency units so
  that a flat series does not turn a few cents into a huge score.
* **score** = (actual - expected) / scale, a robust z-score.

A day is flagged when ``score >= sensitivity`` and the rise is material: at least
``min_delta`` (default: the larger of 1 currency unit and 1 % of the group's
median day over the previous 28 days). Days with less than 28 days of history are
not scored. With ``direction="both"`` drops are judged the same way on |score|
and |delta|. Contributors are the group's resources scored against their own
baseline by the same method, largest change in the flag's direction first.

This is the robust-statistics counterpart of FinOps toolkit's
``series_decompose_anomalies`` query (weekly seasonality, outlier score) and of
azure-cost-cli's "significant change with a minimum cost" rule.

By default only Usage charges count: purchases (reservation instalments,
Marketplace fees) are billed on their own schedule, so every instalment would
look like a spike. Pass ``charge_categories=None`` to include every charge.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, Literal

import polars as pl

from cloudoptima.analysis.dimensions import (
    check_metric,
    costs_with_fallback,
    date_filter,
    dimension_sql,
    last_cost_day,
    parse_dimensions,
)
from cloudoptima.errors import CloudOptimaError
from cloudoptima.storage.reader import Reader
from cloudoptima.storage.sql import quote_ident, quote_literal

Direction = Literal["up", "both"]

LEVEL_DAYS = 7  # one of each weekday
WEEKDAY_WEEKS = 4
SCALE_DAYS = 28
MIN_HISTORY_DAYS = 28
# Rows read before `start`: the scale window looks back at errors whose baselines
# themselves look back a level window and the weekday weeks.
HISTORY_DAYS = SCALE_DAYS + LEVEL_DAYS + 7 * WEEKDAY_WEEKS
MAD_TO_SIGMA = 1.4826  # MAD x 1.4826 estimates a normal standard deviation
SCALE_FLOOR_SHARE = 0.05
SCALE_FLOOR = 0.25
MIN_DELTA_FLOOR = 1.0
MIN_DELTA_SHARE = 0.01
DEFAULT_CHARGE_CATEGORIES = ("Usage",)

CONTRIBUTOR = pl.Struct(
    {"resource_id": pl.String, "expected": pl.Float64, "actual": pl.Float64, "delta": pl.Float64}
)
SCHEMA = pl.Schema(
    {
        "date": pl.Date(),
        "dimension": pl.String(),
        "value": pl.String(),
        "BillingCurrency": pl.String(),
        "expected": pl.Float64(),
        "actual": pl.Float64(),
        "delta": pl.Float64(),
        "delta_pct": pl.Float64(),
        "score": pl.Float64(),
        "contributors": pl.List(CONTRIBUTOR),
    }
)


def detect_anomalies(
    reader: Reader,
    *,
    by: str | Sequence[str] = ("ServiceName", "SubAccountId"),
    metric: str = "BilledCost",
    start: date | None = None,
    end: date | None = None,
    sensitivity: float = 3.5,
    min_delta: float | None = None,
    contributors: int = 3,
    direction: Direction = "up",
    charge_categories: Sequence[str] | None = DEFAULT_CHARGE_CATEGORIES,
) -> pl.DataFrame:
    """Find days when a group's cost broke away from its weekday-adjusted baseline.

    Parameters
    ----------
    reader
        The workspace to read.
    by
        Dimensions analysed one at a time (FOCUS columns or ``tag:KEY``).
    metric
        ``BilledCost`` or ``EffectiveCost``.
    start, end
        Inclusive days to report on (default: all days, up to the last cost day).
    sensitivity
        Minimum robust z-score.
    min_delta
        Minimum rise in the billing currency (default: see the module docstring).
    contributors
        How many resources to list per anomaly, largest change first.
    direction
        ``"up"`` reports spikes only; ``"both"`` also reports drops.
    charge_categories
        ChargeCategory values analysed; None for all.

    Returns
    -------
    polars.DataFrame
        date, dimension, value, BillingCurrency, expected, actual, delta,
        delta_pct (percent of expected), score and contributors (a list of
        ``{resource_id, expected, actual, delta}``, each resource against its own
        baseline); newest first, then by score.
    """
    dims = parse_dimensions(by)
    if not dims:
        raise CloudOptimaError("detect_anomalies needs at least one dimension in `by`")
    if direction not in ("up", "both"):
        raise CloudOptimaError(f"direction must be 'up' or 'both', not '{direction}'")
    query = _Query(dims, check_metric(metric), charge_categories)
    end = end or last_cost_day(reader)
    if end is None:
        return pl.DataFrame(schema=SCHEMA)
    flags = _flag_days(reader, query, start, end, sensitivity, min_delta, direction)
    if flags.is_empty():
        return pl.DataFrame(schema=SCHEMA)
    flags = flags.with_row_index("flag_id")
    flags = flags.with_columns(_contributors(reader, query, flags, contributors))
    order = ["date", pl.col("score").abs(), "dimension", "value"]
    flags = flags.sort(order, descending=[True, True, False, False], nulls_last=True)
    return flags.select(list(SCHEMA)).cast(SCHEMA)


class _Query:
    """The rows an analysis reads and the SQL to turn them into daily series."""

    def __init__(self, dims: list[str], metric: str, categories: Sequence[str] | None) -> None:
        self.exprs = {d: dimension_sql(d) for d in dims}  # raises on an unknown dimension
        self.metric = quote_ident(metric)
        self.categories = list(categories) if categories is not None else None

    def rows_cte(self, first: date | None, last: date) -> tuple[str, list[Any]]:
        """``rows AS (...)``: the cost rows between two days, with the metric set."""
        where, params = date_filter(first, last)
        clauses = [where or "WHERE TRUE", f"{self.metric} IS NOT NULL"]
        if self.categories is not None:
            marks = ", ".join("?" for _ in self.categories)
            clauses.append(f"ChargeCategory IN ({marks})")
            params.extend(self.categories)
        # a metric missing for a subscription-day falls back to the other, never to zero
        relation, relation_params = costs_with_fallback(first, last)
        return f"rows AS (SELECT * FROM {relation} AS costs {' AND '.join(clauses)})", [
            *relation_params,
            *params,
        ]

    def daily_sql(self, extra: str = "") -> str:
        """One daily total per dimension value (and per ``extra`` column), all dimensions."""
        parts = [
            f"""SELECT {quote_literal(d)} AS dimension, CAST({self.exprs[d]} AS VARCHAR) AS value,
                       BillingCurrency, {extra} ChargePeriodStart::DATE AS day,
                       sum({self.metric})::DOUBLE AS actual
                FROM rows GROUP BY ALL"""
            for d in self.exprs
        ]
        return " UNION ALL ".join(parts)


def _baseline_ctes(keys: str) -> str:
    """CTEs from ``series(keys..., day, actual)`` (zero-filled) to ``scored``."""
    window = f"PARTITION BY {keys} ORDER BY day"
    weekday = f"PARTITION BY {keys}, dayofweek(day) ORDER BY day"
    return f"""
    leveled AS (
        SELECT *, median(actual) OVER (
                      {window} ROWS BETWEEN {LEVEL_DAYS} PRECEDING AND 1 PRECEDING) AS level,
                  median(actual) OVER (
                      {window} ROWS BETWEEN {SCALE_DAYS} PRECEDING AND 1 PRECEDING) AS typical,
                  row_number() OVER ({window}) - 1 AS history
        FROM series),
    factored AS (
        SELECT *, coalesce(level, 0) * coalesce(median(actual / nullif(level, 0)) OVER (
                      {weekday} ROWS BETWEEN {WEEKDAY_WEEKS} PRECEDING AND 1 PRECEDING), 1)
                  AS expected
        FROM leveled),
    scored AS (
        SELECT *, actual - expected AS delta,
               greatest({MAD_TO_SIGMA} * coalesce(median(abs(actual - expected)) OVER (
                            {window} ROWS BETWEEN {SCALE_DAYS} PRECEDING AND 1 PRECEDING), 0),
                        {SCALE_FLOOR_SHARE} * expected, {SCALE_FLOOR}) AS scale
        FROM factored)"""


def _flag_days(
    reader: Reader,
    query: _Query,
    start: date | None,
    end: date,
    sensitivity: float,
    min_delta: float | None,
    direction: Direction,
) -> pl.DataFrame:
    """The flagged group-days, without contributors."""
    first = start - timedelta(days=HISTORY_DAYS) if start else None
    rows, params = query.rows_cte(first, end)
    floor = f"greatest({MIN_DELTA_FLOOR}, {MIN_DELTA_SHARE} * coalesce(typical, 0))"
    size = "delta" if direction == "up" else "abs(delta)"
    score = "delta / scale" if direction == "up" else "abs(delta / scale)"
    where = (
        f"history >= {MIN_HISTORY_DAYS} AND day >= ? AND {score} >= ? "
        f"AND {size} >= {'?' if min_delta is not None else floor}"
    )
    params += [start or date.min, sensitivity]
    if min_delta is not None:
        params.append(min_delta)
    return reader.sql(_flag_sql(rows, query.daily_sql(), where), params)


def _flag_sql(rows: str, daily: str, where: str) -> str:
    """Zero-filled daily series per group, scored, filtered by ``where``."""
    return f"""
    WITH {rows},
    daily AS ({daily}),
    calendar AS (
        SELECT BillingCurrency,
               unnest(generate_series(min(day), max(day), INTERVAL 1 DAY))::DATE AS day
        FROM daily GROUP BY BillingCurrency),
    series AS (
        SELECT g.dimension, g.value, g.BillingCurrency, c.day, coalesce(d.actual, 0) AS actual
        FROM (SELECT DISTINCT dimension, value, BillingCurrency FROM daily) AS g
        JOIN calendar AS c USING (BillingCurrency)
        LEFT JOIN daily AS d ON d.dimension = g.dimension AND d.value IS NOT DISTINCT FROM g.value
             AND d.BillingCurrency = g.BillingCurrency AND d.day = c.day),
    {_baseline_ctes("dimension, value, BillingCurrency")}
    SELECT day AS date, dimension, value, BillingCurrency, expected, actual, delta,
           100 * delta / nullif(expected, 0) AS delta_pct, delta / scale AS score
    FROM scored WHERE {where}"""


def _contributors(reader: Reader, query: _Query, flags: pl.DataFrame, top: int) -> pl.Series:
    """Per flag, the resources whose own cost moved most in the flag's direction."""
    if top <= 0:
        return pl.Series("contributors", [[]] * flags.height, dtype=pl.List(CONTRIBUTOR))
    days = flags.get_column("date")
    first, last = days.min(), days.max()
    assert isinstance(first, date)
    assert isinstance(last, date)
    rows, params = query.rows_cte(first - timedelta(days=HISTORY_DAYS), last)
    for flag in flags.iter_rows(named=True):
        sign = 1.0 if flag["delta"] >= 0 else -1.0
        params += [flag["flag_id"], flag["dimension"], flag["value"], flag["BillingCurrency"]]
        params += [flag["date"], sign]
    marks = ", ".join(["(?::BIGINT, ?, ?::VARCHAR, ?, ?::DATE, ?::DOUBLE)"] * flags.height)
    sql = _contributors_sql(rows, marks, query.daily_sql("ResourceId,"), top)
    return reader.sql(sql, params).get_column("contributors")


def _contributors_sql(rows: str, flags: str, daily: str, top: int) -> str:
    """Each candidate resource's own zero-filled series up to the flag day, scored."""
    return f"""
    WITH {rows},
    flags(flag_id, dimension, value, BillingCurrency, flag_day, sign) AS (VALUES {flags}),
    daily AS ({daily}),
    matched AS (
        SELECT f.flag_id, f.flag_day, d.ResourceId, d.day, d.actual
        FROM daily AS d JOIN flags AS f ON d.dimension = f.dimension
             AND d.value IS NOT DISTINCT FROM f.value AND d.BillingCurrency = f.BillingCurrency
             AND d.day BETWEEN f.flag_day - {HISTORY_DAYS} AND f.flag_day),
    candidates AS (  -- resources with cost in the flag's last week: they can explain it
        SELECT DISTINCT flag_id, flag_day, ResourceId FROM matched
        WHERE day >= flag_day - {LEVEL_DAYS}),
    grid AS (
        SELECT *, unnest(generate_series(
                      flag_day - {HISTORY_DAYS}, flag_day, INTERVAL 1 DAY))::DATE AS day
        FROM candidates),
    series AS (
        SELECT g.flag_id, g.flag_day, g.ResourceId, g.day, coalesce(m.actual, 0) AS actual
        FROM grid AS g LEFT JOIN matched AS m ON m.flag_id = g.flag_id
             AND m.ResourceId IS NOT DISTINCT FROM g.ResourceId AND m.day = g.day),
    {_baseline_ctes("flag_id, ResourceId")},
    ranked AS (
        SELECT s.flag_id, s.ResourceId, s.expected, s.actual, s.delta,
               row_number() OVER (PARTITION BY s.flag_id
                                  ORDER BY s.delta * f.sign DESC, s.ResourceId) AS rank
        FROM scored AS s JOIN flags AS f USING (flag_id)
        WHERE s.day = s.flag_day AND s.delta * f.sign > 0)
    SELECT f.flag_id, coalesce(list(
               {{'resource_id': r.ResourceId, 'expected': r.expected, 'actual': r.actual,
                 'delta': r.delta}} ORDER BY r.rank) FILTER (WHERE r.rank <= {int(top)}), [])
           AS contributors
    FROM flags AS f LEFT JOIN ranked AS r USING (flag_id)
    GROUP BY f.flag_id ORDER BY f.flag_id"""
