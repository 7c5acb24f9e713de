"""Schema migrations: each entry upgrades a workspace database by one version.

A workspace written by an older cloudoptima is upgraded in place when it is opened;
one written by a newer cloudoptima is refused rather than damaged.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from cloudoptima.errors import WorkspaceError
from cloudoptima.storage.schema import (
    COST_COLUMNS,
    FINDING_COLUMNS,
    IMPORT_COLUMNS,
    METRIC_COLUMNS,
    RESOURCE_COLUMNS,
    create_table_sql,
)

Migration = Callable[[duckdb.DuckDBPyConnection], None]


def _v1_initial_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(create_table_sql("costs", COST_COLUMNS))
    con.execute(create_table_sql("resources", RESOURCE_COLUMNS))
    con.execute(create_table_sql("metrics", METRIC_COLUMNS))
    con.execute(create_table_sql("imports", IMPORT_COLUMNS))


def _v2_settings_and_reservation_recommendations(con: duckdb.DuckDBPyConnection) -> None:
    # Workspace settings (thresholds, required tags, budgets) live with the data
    # they apply to, so a copied workspace keeps its configuration.
    con.execute("CREATE TABLE IF NOT EXISTS settings (key VARCHAR PRIMARY KEY, value JSON)")
    con.execute(
        """CREATE TABLE IF NOT EXISTS reservation_recommendations (
            sku VARCHAR, location VARCHAR, term VARCHAR, scope VARCHAR,
            look_back_period VARCHAR, resource_type VARCHAR, meter_id VARCHAR,
            recommended_quantity DOUBLE, recommended_quantity_normalized DOUBLE,
            normalized_size VARCHAR, instance_flexibility_group VARCHAR,
            instance_flexibility_ratio DOUBLE, first_usage_date TIMESTAMP,
            cost_without_reservation DOUBLE, total_cost_with_reservation DOUBLE,
            net_savings DOUBLE, sku_properties JSON, _import_id INTEGER)"""
    )


def _v3_findings(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(create_table_sql("findings", FINDING_COLUMNS))


MIGRATIONS: tuple[Migration, ...] = (
    _v1_initial_tables,
    _v2_settings_and_reservation_recommendations,
    _v3_findings,
)
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """Return the schema version stored in ``con`` (0 for an empty database)."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_info'"
    ).fetchone()
    if not exists or exists[0] == 0:
        return 0
    row = con.execute("SELECT max(version) FROM schema_info").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def migrate(con: duckdb.DuckDBPyConnection, target: int = SCHEMA_VERSION) -> int:
    """Apply the missing migrations up to ``target``; return the version reached."""
    current = schema_version(con)
    if current > SCHEMA_VERSION:
        raise WorkspaceError(
            f"this workspace has schema version {current}, newer than this cloudoptima "
            f"understands ({SCHEMA_VERSION}); upgrade cloudoptima to open it"
        )
    con.execute("CREATE TABLE IF NOT EXISTS schema_info (version INTEGER, applied_at TIMESTAMP)")
    for version in range(current + 1, target + 1):
        MIGRATIONS[version - 1](con)
        con.execute("INSERT INTO schema_info VALUES (?, now()::TIMESTAMP)", [version])
    return max(current, target)
