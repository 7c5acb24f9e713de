"""What rules see: the current inventory, metric statistics and recent real cost.

Two normalisations keep the figures honest on real estates:

- **Cost.** A resource's monthly cost is its real cost over the cost window, in one
  billing currency (the one of its latest charge; two currencies are never added),
  on the amortized basis where a reservation or savings plan covers it (its billed
  cost is 0 there), and scaled to 30 days when it has fewer days of cost in the
  window (a resource created ten days ago, or a workspace holding ten days of data).
- **Metric grain.** Metrics arrive per minute (the default of ``az monitor metrics
  list`` and of the ``AzureMetrics`` table), per hour or coarser. Every statistic is
  first rolled up to hours (``maximum`` the max, ``average`` the mean, ``total`` the
  sum of the hour; a coarser point's total is spread evenly over its hours), so a
  threshold stated per hour means per hour whatever the grain.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl

from cloudoptima.storage.reader import Reader

MONTH_DAYS = 30  # "monthly" savings are per 30 days, whatever the cost window
HOURLY_ROLLUP = {"maximum": "max", "average": "avg", "minimum": "min", "total": "sum"}


@dataclass
class RuleContext:
    """Inputs shared by all rules of one analysis run, loaded lazily and once."""

    reader: Reader
    settings: dict[str, Any]
    as_of: date  # the last day with cost data: windows end here, not at the wall clock
    _cache: dict[Any, Any] = field(default_factory=dict)

    def setting(self, key: str) -> Any:
        return self.settings[key]

    @property
    def window_days(self) -> int:
        return int(self.settings["cost_window_days"])

    @property
    def cost_start(self) -> date:
        """First day of the cost window that savings are computed from."""
        return self.as_of - timedelta(days=self.window_days - 1)

    def cached(self, key: Any, build: Any) -> Any:
        """``build()`` once per run under ``key``."""
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def resources(self, arm_type: str | None = None) -> pl.DataFrame:
        """Resources in their subscription's latest snapshot (gone ones are left out)."""
        frame: pl.DataFrame = self.cached(
            "resources",
            lambda: self.reader.sql(
                """SELECT r.* EXCLUDE (tags, properties), r.tags::VARCHAR AS tags,
                          r.properties::VARCHAR AS properties
                   FROM resources r WHERE last_seen = (SELECT max(last_seen) FROM resources s
                                                       WHERE s.subscription_id = r.subscription_id)"""
            ),
        )
        return frame if arm_type is None else frame.filter(pl.col("type") == arm_type)

    def monthly_cost(self) -> pl.DataFrame:
        """Per resource: its cost per 30 days, in one currency, and how it was measured.

        Columns: ``currency``; ``cost_basis`` (``effective`` where a commitment covers
        the resource or only amortized data exists, else ``billed``); ``window_cost``
        (the real cost in the window); ``cost_days`` (days of the window the resource
        existed in the cost data); ``monthly_cost`` (``window_cost`` scaled to 30 days);
        ``last_charged_day``. A resource billed in two currencies counts the one of its
        latest charge, from the first day it was charged in it.
        """
        return self.cached("cost", self._load_monthly_cost)  # type: ignore[no-any-return]

    def _load_monthly_cost(self) -> pl.DataFrame:
        frame = self.reader.sql(
            _MONTHLY_COST_SQL,
            [
                _midnight(self.cost_start),
                _midnight(self.as_of + timedelta(days=1)),
                _midnight(self.cost_start),
                self.cost_start,
                self.cost_start,
                self.cost_start,
                self.as_of,
            ],
        )
        return frame.with_columns(
            (pl.col("window_cost") * MONTH_DAYS / pl.col("cost_days")).alias("monthly_cost")
        )

    def capacity_cost(self) -> pl.DataFrame:
        """Per storage account: the real 30-day cost of data stored in the Hot block-blob tier.

        Only GB-month meters count, and of those only hot block-blob data (files, tables,
        queues and cooler tiers do not move with the account's access tier); rows with
        no meter details (generic FOCUS) count as they are. One currency per account,
        the one :meth:`monthly_cost` chose, on the same basis, scaled the same way.
        """
        return self.cached("capacity", self._load_capacity_cost)  # type: ignore[no-any-return]

    def _load_capacity_cost(self) -> pl.DataFrame:
        frame = self.reader.sql(
            _CAPACITY_COST_SQL,
            [_midnight(self.cost_start), _midnight(self.as_of + timedelta(days=1))],
        )
        chosen = self.monthly_cost().select("resource_id", "currency", "cost_basis", "cost_days")
        effective = pl.col("cost_basis") == "effective"
        return (
            frame.join(chosen, on=["resource_id", "currency"], how="inner")
            .with_columns(
                pl.when(effective)
                .then(pl.col("effective"))
                .otherwise(pl.col("billed"))
                .alias("capacity_window_cost"),
                pl.when(effective)
                .then(pl.col("effective_quantity"))
                .otherwise(pl.col("billed_quantity"))
                .alias("capacity_gb_months"),
            )
            .with_columns(
                (pl.col("capacity_window_cost") * MONTH_DAYS / pl.col("cost_days")).alias(
                    "capacity_monthly_cost"
                )
            )
            .select(
                "resource_id", "capacity_monthly_cost", "capacity_window_cost", "capacity_gb_months"
            )
        )

    def last_charged_days(self) -> pl.DataFrame:
        """Per resource: the last day it had a non-zero cost in all the data."""
        frame: pl.DataFrame = self.cached(
            "last_charged",
            lambda: self.reader.sql(
                """SELECT ResourceId AS resource_id, max(ChargePeriodStart)::DATE AS last_charged_day
                   FROM costs WHERE ResourceId IS NOT NULL AND coalesce(BilledCost, EffectiveCost) > 0
                   GROUP BY ResourceId"""
            ),
        )
        return frame

    def first_cost_day(self) -> date | None:
        """The first day of any cost data: how far back the cost history reaches."""
        first = self.cached(
            "first_cost_day",
            lambda: self.reader.sql("SELECT min(ChargePeriodStart)::DATE AS d FROM costs").item(),
        )
        return first if isinstance(first, date) else None

    def metric_quantile(self, metric: str, statistic: str, q: float) -> pl.DataFrame:
        """Per resource: the q-quantile of a statistic over the window, rolled up to hours.

        Also ``points`` (hours with a value) and ``first_hour``, from the same scan.
        """
        if statistic not in HOURLY_ROLLUP:
            raise ValueError(f"unknown metric statistic {statistic!r}")
        aggregate = {1.0: "max(value)", 0.0: "min(value)"}.get(q, "quantile_cont(value, ?)")
        params = [metric, self.metric_start()] + ([] if q in (0.0, 1.0) else [q])
        frame: pl.DataFrame = self.cached(
            ("quantile", metric, statistic, q),
            lambda: self.reader.sql(
                _hourly_sql(statistic, self._needs_rollup(metric))
                + f""" SELECT resource_id, {aggregate} AS value, count(*) AS points,
                              min(hour) AS first_hour
                       FROM hourly GROUP BY resource_id""",
                params,
            ),
        )
        return frame

    def _needs_rollup(self, metric: str) -> bool:
        """Whether any point of the metric in the window is not a plain hourly one."""
        found = self.cached(
            ("rollup", metric),
            lambda: (
                self.reader.sql(
                    f"""SELECT 1 AS found FROM metrics WHERE metric = ? AND timestamp >= ?
                    AND NOT ({_PLAIN_HOURLY}) LIMIT 1""",
                    [metric, self.metric_start()],
                ).height
            ),
        )
        return bool(found)

    def metric_daily_total(self, metric: str) -> pl.DataFrame:
        """Per resource: the largest and the mean daily sum of a metric's total in the window."""
        frame: pl.DataFrame = self.cached(
            ("daily", metric),
            lambda: self.reader.sql(
                _hourly_sql("total", self._needs_rollup(metric))
                + """, daily AS (SELECT resource_id, hour::DATE AS day, sum(value) AS day_total
                                  FROM hourly GROUP BY ALL)
                     SELECT resource_id, max(day_total) AS day_max, avg(day_total) AS day_mean
                     FROM daily GROUP BY resource_id""",
                [metric, self.metric_start()],
            ),
        )
        return frame

    def metric_coverage(
        self, metric: str, statistic: str = "maximum", q: float = 0.95
    ) -> pl.DataFrame:
        """Per resource: how much of the metric window a metric covers.

        ``metric_hours`` are the hours with a point, ``metric_days`` the calendar days
        from the first point to the end of the window, and ``metric_coverage`` the share
        of hours with a point over that span (data that stops early counts as missing).
        Read from the scan of :meth:`metric_quantile` with the same arguments.
        """
        end = self.metric_end()
        span = ((pl.lit(end) - pl.col("first_hour")).dt.total_hours() + 1).clip(lower_bound=1)
        return self.metric_quantile(metric, statistic, q).select(
            "resource_id",
            pl.col("points").alias("metric_hours"),
            ((pl.lit(end.date()) - pl.col("first_hour").dt.date()).dt.total_days() + 1).alias(
                "metric_days"
            ),
            (pl.col("points") / span).clip(upper_bound=1.0).alias("metric_coverage"),
        )

    def metric_end(self) -> datetime:
        """The hour of the newest metric point (or the end of the last cost day)."""
        end = self.cached(
            "metric_end",
            lambda: self.reader.sql(
                "SELECT date_trunc('hour', max(timestamp)) AS t FROM metrics"
            ).item(),
        )
        if isinstance(end, datetime):
            return end
        return _midnight(self.as_of + timedelta(days=1)) - timedelta(hours=1)

    def metric_start(self) -> datetime:
        """Start of the metric window: it ends at the newest metric point."""
        window = timedelta(days=int(self.settings["metric_window_days"]))
        return self.metric_end() - window + timedelta(hours=1)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time())


# A point's grain in seconds, from the ISO 8601 durations Azure Monitor uses (PT1M, PT1H, P1D).
_GRAIN_SECONDS = """CASE grain WHEN 'PT1H' THEN 3600 WHEN 'PT1M' THEN 60 WHEN 'PT5M' THEN 300
    WHEN 'PT15M' THEN 900 WHEN 'PT30M' THEN 1800 WHEN 'PT6H' THEN 21600 WHEN 'PT12H' THEN 43200
    WHEN 'P1D' THEN 86400 ELSE CASE
    WHEN grain SIMILAR TO 'PT[0-9]+S' THEN CAST(regexp_extract(grain, '[0-9]+') AS BIGINT)
    WHEN grain SIMILAR TO 'PT[0-9]+M' THEN CAST(regexp_extract(grain, '[0-9]+') AS BIGINT) * 60
    WHEN grain SIMILAR TO 'PT[0-9]+H' THEN CAST(regexp_extract(grain, '[0-9]+') AS BIGINT) * 3600
    WHEN grain SIMILAR TO 'P[0-9]+D' THEN CAST(regexp_extract(grain, '[0-9]+') AS BIGINT) * 86400
    END END"""


_PLAIN_HOURLY = "grain = 'PT1H' AND coalesce(dimensions, '{}') = '{}'"


def _hourly_sql(statistic: str, rollup_needed: bool = True) -> str:
    """``WITH hourly(resource_id, hour, value)``: one value per resource and hour.

    Points of an hour or finer (or of unknown grain) are rolled up per hour; a point
    coarser than an hour keeps its maximum, average and minimum, and spreads its total
    over its hours. Hourly points without dimensions are already what we need, so
    they skip the roll-up (the common case, and the cheap one); when every point is
    one, the query is a plain scan.
    """
    if not rollup_needed:
        return f"""WITH hourly AS (
            SELECT resource_id, date_trunc('hour', timestamp) AS hour, {statistic} AS value
            FROM metrics WHERE metric = ? AND {statistic} IS NOT NULL AND timestamp >= ?)"""
    rollup = HOURLY_ROLLUP[statistic]
    spread = f" / ({_GRAIN_SECONDS} / 3600.0)" if statistic == "total" else ""
    return f"""WITH points AS (
            SELECT resource_id, timestamp, grain, {statistic} AS value,
                   {_PLAIN_HOURLY} AS plain_hourly,
                   coalesce({_GRAIN_SECONDS}, 0) > 3600 AS coarse
            FROM metrics WHERE metric = ? AND {statistic} IS NOT NULL AND timestamp >= ?),
        hourly AS (
            SELECT resource_id, date_trunc('hour', timestamp) AS hour, value FROM points WHERE plain_hourly
            UNION ALL
            SELECT resource_id, date_trunc('hour', timestamp), {rollup}(value) FROM points
            WHERE NOT plain_hourly AND NOT coarse GROUP BY ALL
            UNION ALL
            SELECT resource_id, timestamp, value{spread} FROM points WHERE coarse)"""


# One row per resource: the currency of its latest charge in the window (ties: the
# currency with more cost rows, then alphabetical) and only that currency's rows.
_MONTHLY_COST_SQL = """
WITH windowed AS (
    SELECT ResourceId AS resource_id, BillingCurrency AS currency, ChargePeriodStart AS t,
           BilledCost AS billed, EffectiveCost AS effective,
           PricingCategory = 'Committed' OR CommitmentDiscountId IS NOT NULL AS committed
    FROM costs WHERE ResourceId IS NOT NULL AND ChargePeriodStart >= ? AND ChargePeriodStart < ?),
by_currency AS (
    SELECT resource_id, currency, max(t) AS last_t, min(t)::DATE AS first_day, count(*) AS n,
           bool_or(coalesce(committed, false)) AS committed,
           count(billed) AS billed_rows, count(effective) AS effective_rows,
           sum(billed) AS billed, sum(effective) AS effective,
           max(CASE WHEN coalesce(billed, effective) > 0 THEN t END)::DATE AS last_charged_day
    FROM windowed GROUP BY resource_id, currency),
chosen AS (
    SELECT * FROM by_currency
    QUALIFY row_number() OVER (PARTITION BY resource_id ORDER BY last_t DESC, n DESC, currency) = 1),
earlier AS (  -- resources new in the window, but charged in that currency before it
    SELECT DISTINCT ResourceId AS resource_id, BillingCurrency AS currency FROM costs
    WHERE ChargePeriodStart < ? AND ResourceId IN (
        SELECT resource_id FROM chosen WHERE first_day > ?::DATE))
SELECT c.resource_id, c.currency,
       CASE WHEN (c.committed OR c.billed_rows = 0) AND c.effective_rows > 0 THEN 'effective'
            ELSE 'billed' END AS cost_basis,
       CAST(coalesce(CASE WHEN (c.committed OR c.billed_rows = 0) AND c.effective_rows > 0
                          THEN c.effective ELSE c.billed END, 0) AS DOUBLE) AS window_cost,
       date_diff('day', CASE WHEN e.resource_id IS NULL THEN greatest(c.first_day, ?::DATE)
                             ELSE ?::DATE END, ?::DATE) + 1 AS cost_days,
       c.last_charged_day
FROM chosen c LEFT JOIN earlier e
  ON e.resource_id = c.resource_id AND e.currency IS NOT DISTINCT FROM c.currency"""

# Stored data of the Hot block-blob tier; cooler tiers, files, tables and queues are
# billed on their own meters and do not move when the account's access tier changes.
_CAPACITY_COST_SQL = """
SELECT ResourceId AS resource_id, BillingCurrency AS currency,
       CAST(sum(BilledCost) AS DOUBLE) AS billed, CAST(sum(EffectiveCost) AS DOUBLE) AS effective,
       sum(ConsumedQuantity) FILTER (WHERE BilledCost IS NOT NULL) AS billed_quantity,
       sum(ConsumedQuantity) FILTER (WHERE EffectiveCost IS NOT NULL) AS effective_quantity
FROM costs
WHERE ResourceId IS NOT NULL AND ChargePeriodStart >= ? AND ChargePeriodStart < ?
  AND (ConsumedUnit ILIKE '%GB/Month%' OR PricingUnit ILIKE '%GB/Month%')
  AND coalesce(SkuMeter, 'hot') ILIKE '%hot%'
  AND NOT regexp_matches(lower(coalesce(x_SkuMeterSubcategory, '')), 'file|table|queue|page')
GROUP BY ALL"""


def evidence_json(columns: list[str]) -> pl.Expr:
    """Pack columns into the evidence JSON text of a finding."""
    return pl.struct(columns).map_elements(
        lambda s: json.dumps(s, default=str), return_dtype=pl.Utf8
    )
