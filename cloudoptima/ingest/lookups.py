"""The open-data lookups as DuckDB tables, for joins in the legacy-export mapping.

The tables come from :mod:`cloudoptima.reference.open_data` (the FinOps toolkit's
PricingUnits, Regions, ResourceTypes and Services). They are created as temporary
tables once per import connection; a rolled-back import drops them with its
transaction, so the next import simply creates them again.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import polars as pl

from cloudoptima.reference import open_data
from cloudoptima.storage.sql import quote_ident


def _service_types() -> pl.DataFrame:
    # For rows whose ConsumedService is not listed with their type: the type decides.
    return open_data.services().unique("service_type", keep="first", maintain_order=True)


def _service_providers() -> pl.DataFrame:
    # For types the toolkit does not list: the category of the resource provider.
    return open_data.services().unique("service_key", keep="first", maintain_order=True)


LOOKUPS: dict[str, Callable[[], pl.DataFrame]] = {
    "lk_units": open_data.pricing_units,
    "lk_regions": open_data.regions,
    "lk_types": open_data.resource_types,
    "lk_services": open_data.services,
    "lk_service_types": _service_types,
    "lk_service_providers": _service_providers,
}


def register_lookups(con: duckdb.DuckDBPyConnection) -> None:
    """Create the lookup tables as temporary tables on ``con`` unless it has them."""
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE temporary AND starts_with(table_name, 'lk_')"
    ).fetchall()
    present = {str(r[0]) for r in rows}
    for name, table in LOOKUPS.items():
        if name in present:
            continue
        con.register("_lookup", table())
        try:
            con.execute(f"CREATE TEMP TABLE {quote_ident(name)} AS SELECT * FROM _lookup")
        finally:
            con.unregister("_lookup")
