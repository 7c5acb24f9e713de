"""The state store: what users change often, kept apart from the cost data.

A finding's status, the analysis settings and the findings computed from them (and an
anomaly's status, and the organisation's Azure connections with their encrypted
secrets) live in ``state.sqlite`` beside the cost database generations. Changing one of them is
one small SQLite transaction, so it never copies the cost data (a new generation
of a 10M-row workspace would be gigabytes). SQLite in WAL mode lets the app's
readers keep reading while a command line writes, and serialises writers itself.

Findings are stored per data version (the generation they were computed from), so
an import can store the findings of the generation it is about to publish while
readers still see the findings of the live one.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from cloudoptima.errors import WorkspaceError

FILE_NAME = "state.sqlite"
KEEP_FINDING_VERSIONS = 3
BUSY_TIMEOUT_S = 30.0

# Stored findings: what the rules found, per data version (types as Polars reads them back).
STORED_FINDING_COLUMNS: dict[str, pl.DataType] = {
    "finding_id": pl.String(),
    "rule": pl.String(),
    "resource_id": pl.String(),
    "resource_name": pl.String(),
    "resource_type": pl.String(),
    "subscription_id": pl.String(),
    "resource_group": pl.String(),
    "location": pl.String(),
    "title": pl.String(),
    "description": pl.String(),
    "category": pl.String(),
    "impact": pl.String(),
    "effort": pl.String(),
    "risk": pl.String(),
    "confidence": pl.String(),
    "monthly_cost": pl.Float64(),
    "monthly_savings": pl.Float64(),
    "annual_savings": pl.Float64(),
    "BillingCurrency": pl.String(),
    "cost_basis": pl.String(),
    "target": pl.String(),
    "remediation": pl.String(),
    "evidence": pl.String(),
    "first_seen": pl.Date(),  # data days, not wall clock
    "last_seen": pl.Date(),
    "gone_on": pl.Date(),  # the analysis day it stopped matching; null while it matches
}
ANOMALY_STATUS_COLUMNS: dict[str, pl.DataType] = {
    "anomaly_id": pl.String(),
    "status": pl.String(),
    "reason": pl.String(),
    "changed_at": pl.Datetime("us"),
    "changed_by": pl.String(),
}
STATUS_COLUMNS: dict[str, pl.DataType] = {
    "finding_id": pl.String(),
    "status": pl.String(),
    "reason": pl.String(),
    "snoozed_until": pl.Date(),
    "resolved_on": pl.Date(),
    "changed_at": pl.Datetime("us"),
    "changed_by": pl.String(),
}

# Each entry upgrades the state store by one version (PRAGMA user_version); frozen once released.
_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO meta VALUES ('version', '0');
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE finding_status (
        finding_id TEXT PRIMARY KEY, status TEXT NOT NULL, reason TEXT, snoozed_until TEXT,
        resolved_on TEXT, changed_at TEXT NOT NULL, changed_by TEXT);
    CREATE TABLE findings_run (
        data_version INTEGER PRIMARY KEY, fingerprint TEXT NOT NULL, as_of TEXT,
        computed_at TEXT NOT NULL);
    CREATE TABLE findings (
        data_version INTEGER NOT NULL, finding_id TEXT NOT NULL, rule TEXT, resource_id TEXT,
        resource_name TEXT, resource_type TEXT, subscription_id TEXT, resource_group TEXT,
        location TEXT, title TEXT, description TEXT, category TEXT, impact TEXT, effort TEXT,
        risk TEXT, confidence TEXT, monthly_cost REAL, monthly_savings REAL, annual_savings REAL,
        BillingCurrency TEXT, cost_basis TEXT, target TEXT, remediation TEXT, evidence TEXT,
        first_seen TEXT, last_seen TEXT, gone_on TEXT,
        PRIMARY KEY (data_version, finding_id));
    """,
    """
    CREATE TABLE anomaly_status (
        anomaly_id TEXT PRIMARY KEY, status TEXT NOT NULL, reason TEXT, changed_at TEXT NOT NULL,
        changed_by TEXT);
    CREATE TABLE connections (
        name TEXT PRIMARY KEY, config TEXT NOT NULL, secret BLOB, created_at TEXT NOT NULL,
        created_by TEXT);
    """,
)


class StateStore:
    """``state.sqlite`` of one workspace (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self.path = root / FILE_NAME

    # -- reading -------------------------------------------------------------------
    def version(self) -> int:
        """A counter bumped by every change: key caches of statuses and settings on it."""
        if not self.path.exists():
            return 0
        with self._connect() as con:
            row = con.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        return int(row[0]) if row else 0

    def settings(self) -> dict[str, Any]:
        """Stored setting values by key (defaults are not stored)."""
        if not self.path.exists():
            return {}
        with self._connect() as con:
            rows = con.execute("SELECT key, value FROM settings").fetchall()
        return {key: json.loads(value) for key, value in rows}

    def findings_run(self, data_version: int) -> dict[str, Any] | None:
        """When and from which settings the findings of ``data_version`` were computed."""
        if not self.path.exists():
            return None
        with self._connect() as con:
            row = con.execute(
                "SELECT fingerprint, as_of, computed_at FROM findings_run WHERE data_version = ?",
                [data_version],
            ).fetchone()
        if row is None:
            return None
        return {
            "fingerprint": row[0],
            "as_of": _date(row[1]),
            "computed_at": datetime.fromisoformat(row[2]),
        }

    def findings(self, data_version: int) -> pl.DataFrame:
        """The findings stored for ``data_version`` (an empty frame when none)."""
        return self._frame(
            "SELECT * FROM findings WHERE data_version = ? ORDER BY finding_id",
            [data_version],
            STORED_FINDING_COLUMNS,
        )

    def latest_findings(self) -> pl.DataFrame:
        """The most recently computed findings of any data version: what a new run continues."""
        return self._frame(
            """SELECT * FROM findings WHERE data_version =
                   (SELECT data_version FROM findings_run ORDER BY computed_at DESC LIMIT 1)
               ORDER BY finding_id""",
            [],
            STORED_FINDING_COLUMNS,
        )

    def statuses(self) -> pl.DataFrame:
        """Every status a user set, by finding id."""
        return self._frame("SELECT * FROM finding_status", [], STATUS_COLUMNS)

    def connections(self) -> list[tuple[str, str, bytes | None, str, str | None]]:
        """The organisation's Azure connections: (name, config JSON, encrypted secret, created_at, created_by)."""
        if not self.path.exists():
            return []
        with self._connect() as con:
            rows = con.execute(
                "SELECT name, config, secret, created_at, created_by FROM connections ORDER BY name"
            ).fetchall()
        return [(str(r[0]), str(r[1]), r[2], str(r[3]), r[4]) for r in rows]

    def anomaly_statuses(self) -> pl.DataFrame:
        """Every status a user gave an anomaly, by anomaly id."""
        return self._frame("SELECT * FROM anomaly_status", [], ANOMALY_STATUS_COLUMNS)

    def has_status(self, finding_id: str) -> bool:
        """True when a user has set the status of ``finding_id``."""
        with self._connect() as con:
            row = con.execute(
                "SELECT 1 FROM finding_status WHERE finding_id = ?", [finding_id]
            ).fetchone()
        return row is not None

    # -- writing -------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[StateTx]:
        """One atomic change: every write inside lands together, or none does."""
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield StateTx(con)
                con.execute(
                    "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'version'"
                )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    # -- plumbing ------------------------------------------------------------------
    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        writable = os.access(self.path.parent, os.W_OK)
        try:
            if writable:
                con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            else:
                # A read-only workspace (a mounted copy, another user's folder): WAL needs
                # its -shm file beside the database, so open it immutable, for reading only.
                uri = f"file:{self.path}?mode=ro&immutable=1"
                con = sqlite3.connect(uri, uri=True, isolation_level=None)
        except sqlite3.Error as exc:
            raise WorkspaceError(f"cannot open the state store {self.path}: {exc}") from exc
        try:
            if writable:
                con.execute("PRAGMA journal_mode = WAL")
                _migrate(con)
            yield con
        except sqlite3.OperationalError as exc:
            raise WorkspaceError(f"the state store {self.path} cannot be used: {exc}") from exc
        finally:
            con.close()

    def _frame(
        self, query: str, params: Sequence[Any], schema: dict[str, pl.DataType]
    ) -> pl.DataFrame:
        if not self.path.exists():
            return pl.DataFrame(schema=schema)
        with self._connect() as con:
            cursor = con.execute(query, list(params))
            names = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
        # Dates and times are ISO text in SQLite: read them as text, then parse.
        read = {
            n: pl.String() if _is_temporal(schema[n]) else schema[n] for n in names if n in schema
        }
        raw = pl.DataFrame(
            [[row[i] for i, n in enumerate(names) if n in schema] for row in rows],
            schema=read,
            orient="row",
            strict=False,
        )
        return raw.select([_typed(name, dtype) for name, dtype in schema.items()])


class StateTx:
    """The write functions of one state transaction."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self._con = con

    def set_setting(self, key: str, value: Any) -> None:
        """Store one setting value (JSON)."""
        self._con.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, json.dumps(value)],
        )

    def set_status(
        self,
        finding_id: str,
        status: str,
        *,
        reason: str | None,
        snoozed_until: date | None,
        resolved_on: date | None,
        changed_by: str | None,
    ) -> None:
        """Record the status a user gave a finding, replacing the previous one."""
        self._con.execute(
            """INSERT INTO finding_status (finding_id, status, reason, snoozed_until, resolved_on,
                   changed_at, changed_by) VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (finding_id) DO UPDATE SET status = excluded.status,
                   reason = excluded.reason, snoozed_until = excluded.snoozed_until,
                   resolved_on = excluded.resolved_on, changed_at = excluded.changed_at,
                   changed_by = excluded.changed_by""",
            [
                finding_id,
                status,
                reason,
                _iso(snoozed_until),
                _iso(resolved_on),
                utc_now().isoformat(),
                changed_by,
            ],
        )

    def set_anomaly_status(
        self, anomaly_id: str, status: str, *, reason: str | None, changed_by: str | None
    ) -> None:
        """Record that a user acknowledged, dismissed or reopened an anomaly."""
        self._con.execute(
            """INSERT INTO anomaly_status (anomaly_id, status, reason, changed_at, changed_by)
               VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (anomaly_id) DO UPDATE SET status = excluded.status,
                   reason = excluded.reason, changed_at = excluded.changed_at,
                   changed_by = excluded.changed_by""",
            [anomaly_id, status, reason, utc_now().isoformat(), changed_by],
        )

    def add_connection(
        self, name: str, config: str, secret: bytes | None, *, created_by: str | None
    ) -> bool:
        """Store a new Azure connection; False when one of that name exists (nothing changes)."""
        cursor = self._con.execute(
            "INSERT INTO connections (name, config, secret, created_at, created_by) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
            [name, config, secret, utc_now().isoformat(), created_by],
        )
        return cursor.rowcount == 1

    def remove_connection(self, name: str) -> bool:
        """Delete an Azure connection and its secret; False when there was none of that name."""
        return self._con.execute("DELETE FROM connections WHERE name = ?", [name]).rowcount == 1

    def replace_findings(
        self, data_version: int, frame: pl.DataFrame, *, fingerprint: str, as_of: date | None
    ) -> None:
        """Store the findings of ``data_version``; keep only the newest few versions."""
        self._con.execute("DELETE FROM findings WHERE data_version = ?", [data_version])
        columns = list(STORED_FINDING_COLUMNS)
        marks = ", ".join("?" * (len(columns) + 1))
        rows = [
            [data_version, *(_iso(row[c]) for c in columns)]
            for row in frame.select(columns).iter_rows(named=True)
        ]
        names = ", ".join(["data_version", *(f'"{c}"' for c in columns)])
        self._con.executemany(f"INSERT INTO findings ({names}) VALUES ({marks})", rows)
        self._con.execute(
            "INSERT OR REPLACE INTO findings_run VALUES (?, ?, ?, ?)",
            [data_version, fingerprint, _iso(as_of), utc_now().isoformat()],
        )
        self._con.execute(
            """DELETE FROM findings_run WHERE data_version NOT IN (
                   SELECT data_version FROM findings_run ORDER BY data_version DESC LIMIT ?)""",
            [KEEP_FINDING_VERSIONS],
        )
        self._con.execute(
            "DELETE FROM findings WHERE data_version NOT IN (SELECT data_version FROM findings_run)"
        )


def utc_now() -> datetime:
    """Naive UTC now, as every timestamp of a workspace is stored."""
    return datetime.now(UTC).replace(tzinfo=None)


def _migrate(con: sqlite3.Connection) -> None:
    current = int(con.execute("PRAGMA user_version").fetchone()[0])
    if current > len(_MIGRATIONS):
        raise WorkspaceError("the state store is from a newer cloudoptima; upgrade to open it")
    for version in range(current + 1, len(_MIGRATIONS) + 1):
        con.executescript(
            f"BEGIN; {_MIGRATIONS[version - 1]}; PRAGMA user_version = {version}; COMMIT;"
        )


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _is_temporal(dtype: pl.DataType) -> bool:
    return dtype == pl.Date() or isinstance(dtype, pl.Datetime)


def _typed(name: str, dtype: pl.DataType) -> pl.Expr:
    column = pl.col(name)
    if dtype == pl.Date():
        return column.str.to_date("%Y-%m-%d").alias(name)
    if isinstance(dtype, pl.Datetime):
        return column.str.to_datetime(time_unit="us").alias(name)
    return column
