"""Data coverage: which datasets a workspace holds per month and subscription, and how fresh.

Cost rows carry their dataset (``actual``, ``amortized`` or ``focus``), the inventory
holds when each resource was first and last seen, and metric points their timestamp.
Laid side by side per month and subscription, a missing month, a subscription without
amortized cost or an inventory that stopped being imported shows as an empty cell.

Examples
--------
>>> data_coverage(reader).filter(pl.col("amortized_through").is_null())  # doctest: +SKIP
"""

from __future__ import annotations

import polars as pl

from cloudoptima.storage.reader import Reader

DATASETS = ("actual", "amortized", "focus", "inventory", "metrics")
COLUMNS = (
    "month",
    "subscription_id",
    "subscription",
    "actual_through",
    "amortized_through",
    "focus_through",
    "cost_days",
    "month_days",
    "inventory_through",
    "metrics_through",
    "last_import",
)
_GUID = "lower(regexp_extract({}, '(?i)^(?:/subscriptions/)?([^/]+)', 1))"
_SQL = f"""
WITH cost AS (
    SELECT date_trunc('month', c.ChargePeriodStart)::DATE AS month,
           {_GUID.format("coalesce(nullif(c.SubAccountId, ''), c.ResourceId)")} AS subscription_id,
           max(c.ChargePeriodStart) FILTER (WHERE c._dataset = 'actual')::DATE AS actual_through,
           max(c.ChargePeriodStart) FILTER (WHERE c._dataset = 'amortized')::DATE AS amortized_through,
           max(c.ChargePeriodStart) FILTER (WHERE c._dataset = 'focus')::DATE AS focus_through,
           count(DISTINCT c.ChargePeriodStart::DATE) AS cost_days,
           max(i.finished_at) AS cost_import,
           arg_max(c.SubAccountName, c.ChargePeriodStart) AS name
    FROM costs AS c LEFT JOIN imports AS i ON i.import_id = c._import_id
    GROUP BY ALL),
months AS (
    SELECT DISTINCT month FROM cost
    UNION SELECT DISTINCT date_trunc('month', last_seen)::DATE FROM resources
    UNION SELECT DISTINCT date_trunc('month', timestamp)::DATE FROM metrics),
inventory AS (
    SELECT m.month, {_GUID.format("r.subscription_id")} AS subscription_id,
           max(least(r.last_seen, m.month + INTERVAL 1 MONTH - INTERVAL 1 SECOND))::DATE
               AS inventory_through,
           max(i.finished_at) AS inventory_import
    FROM resources AS r JOIN months AS m
         ON r.first_seen < m.month + INTERVAL 1 MONTH AND r.last_seen >= m.month
    LEFT JOIN imports AS i ON i.import_id = r._import_id
    WHERE r.subscription_id IS NOT NULL
    GROUP BY ALL),
metric AS (
    SELECT date_trunc('month', p.timestamp)::DATE AS month,
           {_GUID.format("p.resource_id")} AS subscription_id,
           max(p.timestamp)::DATE AS metrics_through, max(i.finished_at) AS metrics_import
    FROM metrics AS p LEFT JOIN imports AS i ON i.import_id = p._import_id
    WHERE starts_with(lower(p.resource_id), '/subscriptions/')
    GROUP BY ALL)
SELECT month, subscription_id, cost.name, actual_through, amortized_through, focus_through,
       coalesce(cost_days, 0) AS cost_days,
       datediff('day', month, month + INTERVAL 1 MONTH) AS month_days,
       inventory_through, metrics_through,
       greatest(cost_import, inventory_import, metrics_import) AS last_import
FROM cost FULL JOIN inventory USING (month, subscription_id)
          FULL JOIN metric USING (month, subscription_id)
ORDER BY month DESC, subscription_id
"""


def data_coverage(reader: Reader) -> pl.DataFrame:
    """What the workspace holds per month and subscription.

    Parameters
    ----------
    reader
        The workspace to read.

    Returns
    -------
    polars.DataFrame
        One row per month (its first day) and subscription (lower-case GUID) with data of
        any kind, newest month first: ``subscription`` (its name from the cost rows, else
        the inventory, else the GUID); ``actual_through``, ``amortized_through``,
        ``focus_through`` (the last day of cost rows of that dataset in the month, null
        when absent); ``cost_days`` (days of the month with any cost row) and
        ``month_days``; ``inventory_through`` (the last day a resource of the
        subscription was seen in an inventory import during the month);
        ``metrics_through`` (the last day with a metric point); ``last_import`` (the
        latest import that brought any of these).
    """
    frame = reader.sql(_SQL)
    names = _inventory_names(reader)
    name = pl.coalesce(
        pl.col("name"),
        pl.col("subscription_id").replace_strict(names, default=None, return_dtype=pl.String),
        pl.col("subscription_id"),
    )
    return frame.with_columns(subscription=name).select(COLUMNS)


def _inventory_names(reader: Reader) -> dict[str, str]:
    """Subscription GUID -> name from inventory rows of subscriptions."""
    frame = reader.sql(
        """SELECT lower(subscription_id) AS id, any_value(name) AS name FROM resources
           WHERE type = 'microsoft.resources/subscriptions' AND name IS NOT NULL
           GROUP BY 1"""
    )
    return {str(i): str(n) for i, n in frame.iter_rows()}
