"""The inventory as people browse it: resources, one resource in detail, its metrics, tag keys."""

from __future__ import annotations

from typing import Any

import polars as pl

from cloudoptima.storage.reader import Reader

_LISTED = """resource_id, name, type, resource_group, subscription_id, location, sku_name,
             power_state, tags::VARCHAR AS tags"""


def list_resources(reader: Reader, *, search: str | None = None) -> pl.DataFrame:
    """Every resource of the inventory, by name; ``search`` keeps those whose name, id or type
    contains it (any case)."""
    where, params = "", []
    if search and search.strip():
        where = "WHERE contains(lower(name || ' ' || resource_id || ' ' || type), ?)"
        params.append(search.strip().lower())
    return reader.sql(f"SELECT {_LISTED} FROM resources {where} ORDER BY name, resource_id", params)


def resource_detail(reader: Reader, resource_id: str) -> dict[str, Any] | None:
    """Everything known of one resource (tags and properties as JSON text), or None."""
    frame = reader.sql(
        """SELECT * EXCLUDE (_import_id, tags, properties), tags::VARCHAR AS tags,
                  properties::VARCHAR AS properties
           FROM resources WHERE resource_id = lower(?)""",
        [resource_id],
    )
    return frame.row(0, named=True) if frame.height else None


def resource_metrics(reader: Reader, resource_id: str) -> pl.DataFrame:
    """The metric points of one resource: metric, unit, timestamp, average, maximum."""
    return reader.sql(
        """SELECT metric, unit, timestamp, average, maximum FROM metrics
           WHERE resource_id = lower(?) ORDER BY metric, timestamp""",
        [resource_id],
    )


def tag_keys(reader: Reader) -> list[str]:
    """Tag keys found on inventory resources and cost rows, sorted (case kept as first seen)."""
    frame = reader.sql(
        """SELECT key FROM (
               SELECT unnest(json_keys(tags)) AS key FROM resources WHERE tags IS NOT NULL
               UNION ALL
               SELECT unnest(json_keys(Tags)) AS key FROM (SELECT DISTINCT Tags FROM costs)
                   WHERE Tags IS NOT NULL)
           WHERE trim(key) <> '' GROUP BY key ORDER BY lower(trim(key)), key"""
    )
    unique: dict[str, str] = {}
    for key in frame.get_column("key").to_list():
        unique.setdefault(str(key).strip().lower(), str(key).strip())
    return list(unique.values())


def subscription_names(reader: Reader) -> dict[str, str]:
    """Subscription GUID (lower case) -> display name, from cost rows, else the inventory."""
    frame = reader.sql(
        """SELECT id, arg_max(name, priority) AS name FROM (
               SELECT lower(regexp_replace(SubAccountId, '^/subscriptions/', '', 'i')) AS id,
                      SubAccountName AS name, 2 AS priority
               FROM (SELECT DISTINCT SubAccountId, SubAccountName FROM costs)
               WHERE SubAccountId IS NOT NULL AND SubAccountName IS NOT NULL
               UNION ALL
               SELECT lower(subscription_id), name, 1 FROM resources
               WHERE type = 'microsoft.resources/subscriptions' AND name IS NOT NULL)
           GROUP BY id"""
    )
    return {str(i): str(n) for i, n in frame.iter_rows()}
