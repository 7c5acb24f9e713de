"""Building blocks shared by the analyses: dimensions, metrics, dates.

Every analysis takes a :class:`~cloudoptima.workspace.Workspace` and reads through
``reader.sql``; none touches DuckDB directly, and none adds costs across currencies.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from cloudoptima.errors import CloudOptimaError
from cloudoptima.storage.reader import Reader
from cloudoptima.storage.schema import COST_COLUMNS
from cloudoptima.storage.sql import quote_ident, quote_literal

# Dimensions accepted besides `tag:KEY`: the FOCUS and x_ text columns.
COST_DIMENSIONS = tuple(
    c for c, t in COST_COLUMNS.items() if t == "VARCHAR" and not c.startswith("_")
)
COST_METRICS = ("BilledCost", "EffectiveCost")
UNTAGGED = "(untagged)"
_TAG_KEY = re.compile(r"^tag:(.+)$")


def parse_dimensions(by: str | Sequence[str] | None) -> list[str]:
    """``'ServiceName,tag:env'`` or a list -> unique dimension names, BillingCurrency excluded."""
    if not by:
        return []
    parts = [by] if isinstance(by, str) else list(by)
    dims = [d.strip() for part in parts for d in part.split(",") if d.strip()]
    return list(dict.fromkeys(d for d in dims if d != "BillingCurrency"))


def dimension_sql(dimension: str, tags_column: str = "Tags") -> str:
    """SQL expression for a group dimension: a FOCUS column or ``tag:KEY``."""
    tag = _TAG_KEY.match(dimension)
    if tag:
        return tag_value_sql(tag.group(1), tags_column)
    if dimension not in COST_DIMENSIONS:
        known = ", ".join(
            (
                "ServiceName",
                "SubAccountName",
                "x_ResourceGroupName",
                "RegionName",
                "ResourceType",
                "ResourceId",
                "ChargeCategory",
                "tag:KEY",
            )
        )
        raise CloudOptimaError(
            f"cannot group costs by '{dimension}'; use a FOCUS column such as {known}"
        )
    return quote_ident(dimension)


def tag_value_sql(key: str, column: str = "Tags") -> str:
    """SQL for a tag's value; Azure tag keys match whatever their case or stray spaces.

    An empty value allocates nothing, so it counts as untagged, as a missing key does.
    """
    exact = quote_literal('$."' + key.replace('"', '\\"') + '"')
    wanted = quote_literal(key.strip().lower())
    found = f"list_filter(json_keys({column}), lambda k: lower(trim(k)) = {wanted})[1]"
    loose = f"json_extract_string({column}, '$.\"' || replace({found}, '\"', '\\\"') || '\"')"
    return f"coalesce(nullif(json_extract_string({column}, {exact}), ''), nullif({loose}, ''), '{UNTAGGED}')"


def check_metric(metric: str) -> str:
    """Validate a cost metric name (BilledCost or EffectiveCost)."""
    if metric not in COST_METRICS:
        raise CloudOptimaError(f"unknown cost metric '{metric}'; use BilledCost or EffectiveCost")
    return metric


def date_filter(
    start: date | None, end: date | None, column: str = "ChargePeriodStart"
) -> tuple[str, list[Any]]:
    """``WHERE`` clause (or '') and parameters for inclusive days ``start``..``end``."""
    clauses, params = [], []
    if start is not None:
        clauses.append(f"{column} >= ?")
        params.append(datetime.combine(start, datetime.min.time()))
    if end is not None:
        clauses.append(f"{column} < ?")
        params.append(datetime.combine(end + timedelta(days=1), datetime.min.time()))
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


# Where one cost metric is missing for a subscription and day (only actual-cost exports,
# or amortized exports that lag the actual ones, as they usually do), the other stands in
# for it rather than counting as zero; a `_<metric>_fallback` flag marks those rows.
_FALLBACK_SQL = """(SELECT c.* REPLACE (
        CASE WHEN g._has_effective THEN c.EffectiveCost ELSE c.BilledCost END AS EffectiveCost,
        CASE WHEN g._has_billed THEN c.BilledCost ELSE c.EffectiveCost END AS BilledCost),
        NOT g._has_effective AS _EffectiveCost_fallback, NOT g._has_billed AS _BilledCost_fallback
    FROM costs AS c JOIN (
        SELECT coalesce(SubAccountId, '') AS _sub, ChargePeriodStart::DATE AS _day,
               count(EffectiveCost) > 0 AS _has_effective, count(BilledCost) > 0 AS _has_billed
        FROM costs {where} GROUP BY ALL) AS g
    ON coalesce(c.SubAccountId, '') = g._sub AND c.ChargePeriodStart::DATE = g._day)"""


def costs_with_fallback(start: date | None, end: date | None) -> tuple[str, list[Any]]:
    """A relation like ``costs`` in which a missing metric falls back to the other one.

    Per subscription and day: when no row has EffectiveCost, BilledCost stands in for it
    (and the other way round); ``_EffectiveCost_fallback`` / ``_BilledCost_fallback`` mark
    the rows where that happened. ``start``/``end`` bound the days it is computed for.
    """
    where, params = date_filter(start, end)
    return _FALLBACK_SQL.format(where=where), params


def fallback_note(frame_days: int, metric: str, other: str) -> str:
    """The sentence users see when ``metric`` came from ``other`` on some days."""
    return (
        f"{metric} is missing on {frame_days} subscription-day(s) (no "
        f"{'amortized' if metric == 'EffectiveCost' else 'actual-cost'} export covers them): "
        f"{other} stands in for it there."
    )


def last_cost_day(reader: Reader) -> date | None:
    """The last day with cost data: analyses run relative to it, not to the wall clock."""
    value = reader.sql("SELECT max(ChargePeriodStart)::DATE AS d FROM costs").item()
    return value if isinstance(value, date) else None
