"""Schema migrations: frozen DDL files, one per version, applied in order.

Each ``ddl/vNNN.sql`` is the literal SQL that upgraded a workspace database to version
NNN, and is never edited once released: a new column or table is a new file. A new
workspace replays them all, so a workspace upgraded from version 1 and a new one
have exactly the same tables, columns, column order and types (tests check this
against :mod:`cloudoptima.storage.schema`). One written by a newer cloudoptima is
refused rather than damaged.
"""

from __future__ import annotations

from importlib import resources

import duckdb

from cloudoptima.errors import WorkspaceError


def _ddl_files() -> list[str]:
    folder = resources.files("cloudoptima.storage").joinpath("ddl")
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".sql"))


def migration_sql(version: int) -> str:
    """The frozen DDL that brings a database to ``version``."""
    path = resources.files("cloudoptima.storage").joinpath("ddl", f"v{version:03d}.sql")
    return path.read_text(encoding="utf-8")


SCHEMA_VERSION = len(_ddl_files())


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
        con.execute(migration_sql(version))
        con.execute(
            "INSERT INTO schema_info (version, applied_at) VALUES (?, now()::TIMESTAMP)",
            [version],
        )
    return max(current, target)
