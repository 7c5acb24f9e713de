"""Reservation recommendations exports (EA), stored as delivered but typed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import duckdb

from cloudoptima.errors import IngestError
from cloudoptima.ingest.detect import Detected
from cloudoptima.ingest.formats import Probe, file_format
from cloudoptima.ingest.headers import normalise_name
from cloudoptima.ingest.sniff import Sniffed
from cloudoptima.ingest.source import source_of, translate_csv_error
from cloudoptima.ingest.sqltypes import as_number, as_timestamp
from cloudoptima.storage.sql import quote_ident

if TYPE_CHECKING:
    from cloudoptima.ingest.importer import ImportOptions

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
_SIGNATURE = {"recommendedquantity", "netsavings", "instanceflexibilitygroup"}


def load_reservation_recommendations(
    con: duckdb.DuckDBPyConnection, detected: Detected, import_id: int, options: ImportOptions
) -> dict[str, Any]:
    """Store an EA reservation recommendations export as delivered, typed."""
    src = source_of(detected)
    refs = {normalise_name(c): (r, c.strip()) for c, r in zip(src.cells, src.refs, strict=True)}
    columns = [*_RECOMMENDATION_COLUMNS, "_import_id"]
    select = [
        _recommendation_expr(refs, field, typ) for field, typ in _RECOMMENDATION_COLUMNS.values()
    ]
    names = ", ".join(quote_ident(c) for c in columns)
    sql = (
        f"INSERT INTO reservation_recommendations ({names}) "
        f"SELECT {', '.join(select)}, $import_id FROM {src.sql}"
    )
    try:
        con.execute(sql, {"import_id": import_id})
    except duckdb.Error as exc:
        raise translate_csv_error(detected.path, exc) or IngestError(
            detected.path, str(exc).splitlines()[0]
        ) from exc
    row = con.execute(
        "SELECT count(*) FROM reservation_recommendations WHERE _import_id = ?", [import_id]
    ).fetchone()
    rows = int(row[0]) if row else 0
    return {"rows": rows, "message": f"{rows} reservation recommendations"}


def _recommendation_expr(refs: dict[str, tuple[str, str]], field: str, typ: str | None) -> str:
    if field not in refs:
        return "NULL"
    ref, header = refs[field]
    if typ == "DOUBLE":
        return as_number(ref, header, "DOUBLE")
    if typ == "TIMESTAMP":
        return as_timestamp(ref, header)
    if field == "skuproperties":
        return f"CASE WHEN json_valid({ref}) THEN {ref}::JSON END"
    return ref


@file_format(
    "ea-reservation-recommendations",
    "reservation-recommendations",
    ("csv",),
    load=load_reservation_recommendations,
)
def probe_reservation_recommendations(sniffed: Sniffed) -> Probe | None:
    """An EA reservation recommendations export, by its distinctive columns."""
    fields = {normalise_name(n) for n in sniffed.names}
    return Probe() if fields >= _SIGNATURE else None
