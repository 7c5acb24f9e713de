"""Load parsed inventory, metrics and reservation recommendations into their tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb
import polars as pl

from cloudoptima.errors import IngestError
from cloudoptima.ingest import inventory, metrics
from cloudoptima.ingest.detect import Detected
from cloudoptima.ingest.source import source_of, translate_csv_error
from cloudoptima.ingest.sqltypes import as_number, as_timestamp
from cloudoptima.storage.schema import METRIC_COLUMNS, RESOURCE_COLUMNS
from cloudoptima.storage.sql import quote_ident


def load_inventory(
    con: duckdb.DuckDBPyConnection, detected: Detected, import_id: int, seen_at: datetime
) -> dict[str, Any]:
    """Upsert a snapshot: known resources keep first_seen and get last_seen = seen_at."""
    frame = inventory.parse_inventory(detected.path, detected.format)
    con.register("_snapshot", frame)
    columns = [c for c in RESOURCE_COLUMNS if c not in ("first_seen", "last_seen", "_import_id")]
    select = ", ".join(f"n.{quote_ident(c)}" for c in columns)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _merged AS
        SELECT {select}, coalesce(o.first_seen, $1) AS first_seen,
               greatest(coalesce(o.last_seen, $1), $1) AS last_seen, $2 AS _import_id
        FROM _snapshot n LEFT JOIN resources o USING (resource_id)""",
        [seen_at, import_id],
    )
    con.unregister("_snapshot")
    con.execute("DELETE FROM resources WHERE resource_id IN (SELECT resource_id FROM _merged)")
    con.execute("INSERT INTO resources BY NAME SELECT * FROM _merged")
    types = frame.get_column("type").n_unique() if frame.height else 0
    return {"rows": frame.height, "message": f"{frame.height} resources of {types} types"}


def load_metrics(
    con: duckdb.DuckDBPyConnection, detected: Detected, import_id: int
) -> dict[str, Any]:
    """Insert metric points; a point already stored for the same key is replaced."""
    frame = metrics.parse_metrics(detected.path, detected.format)
    frame = frame.with_columns(pl.lit(import_id, dtype=pl.Int32).alias("_import_id"))
    con.register("_points", frame)
    key = ("resource_id", "metric", "dimensions", "grain", "timestamp")
    match = " AND ".join(f"m.{quote_ident(k)} IS NOT DISTINCT FROM p.{quote_ident(k)}" for k in key)
    con.execute(f"DELETE FROM metrics m USING _points p WHERE {match}")
    names = ", ".join(quote_ident(c) for c in METRIC_COLUMNS)
    con.execute(f"INSERT INTO metrics ({names}) SELECT {names} FROM _points")
    con.unregister("_points")
    series = frame.select("resource_id", "metric").n_unique() if frame.height else 0
    return {"rows": frame.height, "message": f"{frame.height} metric points in {series} series"}


_RECOMMENDATION_COLUMNS = {
    "sku": ("sku", None),
    "location": ("location", None),
    "term": ("term", None),
    "scope": ("scope", None),
    "look_back_period": ("lookbackperiod", None),
    "resource_type": ("resourcetype", None),
    "meter_id": ("meterid", None),
    "recommended_quantity": ("recommendedquantity", "DOUBLE"),
    "recommended_quantity_normalized": ("recommendedquantitynormalized", "DOUBLE"),
    "normalized_size": ("normalizedsize", None),
    "instance_flexibility_group": ("instanceflexibilitygroup", None),
    "instance_flexibility_ratio": ("instanceflexibilityratio", "DOUBLE"),
    "first_usage_date": ("firstusagedate", "TIMESTAMP"),
    "cost_without_reservation": ("costwithnoreservedinstances", "DOUBLE"),
    "total_cost_with_reservation": ("totalcostwithreservedinstances", "DOUBLE"),
    "net_savings": ("netsavings", "DOUBLE"),
    "sku_properties": ("skuproperties", None),
}


def load_reservation_recommendations(
    con: duckdb.DuckDBPyConnection, detected: Detected, import_id: int
) -> dict[str, Any]:
    """Store an EA reservation recommendations export as delivered, typed."""
    from cloudoptima.ingest.headers import normalise_name

    src = source_of(detected, con)
    refs = {normalise_name(c): (r, c.strip()) for c, r in zip(src.cells, src.refs, strict=True)}
    select = [
        _recommendation_expr(refs, target, field, typ)
        for target, (field, typ) in _RECOMMENDATION_COLUMNS.items()
    ]
    sql = f"INSERT INTO reservation_recommendations SELECT {', '.join(select)}, {import_id} FROM {src.sql}"
    try:
        con.execute(sql)
    except duckdb.Error as exc:
        raise translate_csv_error(detected.path, exc) or IngestError(
            detected.path, str(exc).splitlines()[0]
        ) from exc
    row = con.execute(
        "SELECT count(*) FROM reservation_recommendations WHERE _import_id = ?", [import_id]
    ).fetchone()
    rows = int(row[0]) if row else 0
    return {"rows": rows, "message": f"{rows} reservation recommendations"}


def _recommendation_expr(
    refs: dict[str, tuple[str, str]], target: str, field: str, typ: str | None
) -> str:
    if field not in refs:
        return f"NULL AS {target}"
    ref, header = refs[field]
    if typ == "DOUBLE":
        return f"{as_number(ref, header, 'DOUBLE')} AS {target}"
    if typ == "TIMESTAMP":
        return f"{as_timestamp(ref, header)} AS {target}"
    if target == "sku_properties":
        return f"CASE WHEN json_valid({ref}) THEN {ref}::JSON END AS {target}"
    return f"{ref} AS {target}"


__all__ = ["load_inventory", "load_metrics", "load_reservation_recommendations"]
