"""What rules see: the current inventory, metric statistics and recent real cost."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl

from cloudoptima.storage.reader import Reader


@dataclass
class RuleContext:
    """Inputs shared by all rules of one analysis run, loaded lazily and once."""

    reader: Reader
    settings: dict[str, Any]
    as_of: date  # the last day with cost data: windows end here, not at the wall clock
    _cache: dict[Any, pl.DataFrame] = field(default_factory=dict)

    def setting(self, key: str) -> Any:
        return self.settings[key]

    @property
    def cost_start(self) -> date:
        """First day of the cost window that savings are computed from."""
        return self.as_of - timedelta(days=int(self.settings["cost_window_days"]) - 1)

    def resources(self, arm_type: str | None = None) -> pl.DataFrame:
        """Resources in their subscription's latest snapshot (gone ones are left out)."""
        if "resources" not in self._cache:
            self._cache["resources"] = self.reader.sql(
                """SELECT r.* EXCLUDE (tags, properties), r.tags::VARCHAR AS tags,
                          r.properties::VARCHAR AS properties
                   FROM resources r WHERE last_seen = (SELECT max(last_seen) FROM resources s
                                                       WHERE s.subscription_id = r.subscription_id)"""
            )
        frame = self._cache["resources"]
        return frame if arm_type is None else frame.filter(pl.col("type") == arm_type)

    def monthly_cost(self) -> pl.DataFrame:
        """Per resource: real cost over the cost window, its basis and currency.

        Billed cost is what stops when a resource goes; amortized-only data falls back
        to effective cost, and the basis column says which was used.
        """
        if "cost" not in self._cache:
            self._cache["cost"] = self.reader.sql(
                """SELECT ResourceId AS resource_id, any_value(BillingCurrency) AS currency,
                          CASE WHEN count(BilledCost) > 0 THEN 'billed' ELSE 'effective' END AS cost_basis,
                          CAST(coalesce(sum(BilledCost), sum(EffectiveCost), 0) AS DOUBLE) AS monthly_cost,
                          max(CASE WHEN coalesce(BilledCost, EffectiveCost) > 0 THEN ChargePeriodStart END)::DATE
                              AS last_charged_day
                   FROM costs WHERE ResourceId IS NOT NULL AND ChargePeriodStart >= ? AND ChargePeriodStart < ?
                   GROUP BY ResourceId""",
                [_midnight(self.cost_start), _midnight(self.as_of + timedelta(days=1))],
            )
        return self._cache["cost"]

    def capacity_cost(self) -> pl.DataFrame:
        """Per storage account: the real cost of stored data (GB-month meters) in the window."""
        if "capacity" not in self._cache:
            self._cache["capacity"] = self.reader.sql(
                """SELECT ResourceId AS resource_id,
                          CAST(coalesce(sum(BilledCost), sum(EffectiveCost)) AS DOUBLE) AS capacity_monthly_cost
                   FROM costs WHERE ResourceId IS NOT NULL AND ChargePeriodStart >= ? AND ChargePeriodStart < ?
                     AND (ConsumedUnit ILIKE '%GB/Month%' OR PricingUnit ILIKE '%GB/Month%')
                   GROUP BY ResourceId""",
                [_midnight(self.cost_start), _midnight(self.as_of + timedelta(days=1))],
            )
        return self._cache["capacity"]

    def last_charged_days(self) -> pl.DataFrame:
        """Per resource: the last day it had a non-zero cost in all the data."""
        if "last_charged" not in self._cache:
            self._cache["last_charged"] = self.reader.sql(
                """SELECT ResourceId AS resource_id, max(ChargePeriodStart)::DATE AS last_charged_day
                   FROM costs WHERE ResourceId IS NOT NULL AND coalesce(BilledCost, EffectiveCost) > 0
                   GROUP BY ResourceId"""
            )
        return self._cache["last_charged"]

    def metric_quantile(self, metric: str, statistic: str, q: float) -> pl.DataFrame:
        """Per resource: the q-quantile of an hourly statistic over the metric window."""
        key = ("quantile", metric, statistic, q)
        if key not in self._cache:
            column = {
                "maximum": "maximum",
                "average": "average",
                "total": "total",
                "minimum": "minimum",
            }[statistic]
            self._cache[key] = self.reader.sql(
                f"""SELECT resource_id, quantile_cont({column}, ?) AS value, count(*) AS points
                    FROM metrics WHERE metric = ? AND {column} IS NOT NULL AND timestamp >= ?
                    GROUP BY resource_id""",
                [q, metric, self.metric_start()],
            )
        return self._cache[key]

    def metric_start(self) -> datetime:
        """Start of the metric window: it ends at the newest metric point."""
        if "metric_end" not in self._cache:
            self._cache["metric_end"] = self.reader.sql("SELECT max(timestamp) AS t FROM metrics")
        end = self._cache["metric_end"].item()
        end = end if isinstance(end, datetime) else _midnight(self.as_of + timedelta(days=1))
        return end - timedelta(days=int(self.settings["metric_window_days"])) + timedelta(hours=1)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time())


def evidence_json(columns: list[str]) -> pl.Expr:
    """Pack columns into the evidence JSON text of a finding."""
    return pl.struct(columns).map_elements(
        lambda s: json.dumps(s, default=str), return_dtype=pl.Utf8
    )
