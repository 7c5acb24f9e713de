"""The read side of a workspace: what analyses see, and the shared connection behind it.

Analyses depend on :class:`Reader` only: run a query with parameters, and tell the
data version (the live generation) that results may be cached under. They never get
the workspace itself, so nothing below the façade can call back up into it.

:class:`SharedReader` serves many threads (each Streamlit session is one) from one
read-only DuckDB connection per generation. When an import publishes a new
generation, the next query opens a connection to it; the old connection is closed
only once the last query running on it has finished, because closing a DuckDB
connection kills the cursors that other threads are still reading from.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import duckdb
import polars as pl

from cloudoptima.storage.store import Store


class Reader(Protocol):
    """Read-only access to one workspace's cost database."""

    @property
    def data_version(self) -> int:
        """The generation the next query reads; changes whenever data is written."""
        ...

    def sql(self, query: str, params: Sequence[Any] | None = None) -> pl.DataFrame:
        """Run one read-only query with bound parameters; return a Polars frame."""
        ...


def to_frame(
    cursor: duckdb.DuckDBPyConnection, query: str, params: Sequence[Any] | None
) -> pl.DataFrame:
    """Run ``query`` on ``cursor`` and return its result as a Polars frame."""
    table = cursor.sql(query, params=list(params or [])).to_arrow_table()
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


class ConnectionReader:
    """A Reader over an open connection: the write connection of an import in progress."""

    def __init__(self, con: duckdb.DuckDBPyConnection, data_version: int) -> None:
        self._con = con
        self._version = data_version

    @property
    def data_version(self) -> int:
        return self._version

    def sql(self, query: str, params: Sequence[Any] | None = None) -> pl.DataFrame:
        return to_frame(self._con, query, params)


@dataclass
class _Lease:
    """One generation's connection and how many queries are using it."""

    con: duckdb.DuckDBPyConnection
    generation: int
    users: int = 0
    retired: bool = False


class SharedReader:
    """A thread-safe Reader of a store's live generation (see the module docstring)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._current: _Lease | None = None

    @property
    def data_version(self) -> int:
        return self._store.generation()

    def sql(self, query: str, params: Sequence[Any] | None = None) -> pl.DataFrame:
        lease = self._acquire()
        try:
            cursor = lease.con.cursor()
            try:
                return to_frame(cursor, query, params)
            finally:
                cursor.close()
        finally:
            self._release(lease)

    def close(self) -> None:
        """Close the connection once no query uses it (later queries reopen one)."""
        with self._lock:
            if self._current is not None:
                self._retire(self._current)
                self._current = None

    def _acquire(self) -> _Lease:
        generation = self._store.generation()
        with self._lock:
            current = self._current
            if current is None or current.generation != generation:
                con, opened = self._store.connect_reader()
                if current is not None:
                    self._retire(current)
                current = self._current = _Lease(con, opened)
            current.users += 1
            return current

    def _release(self, lease: _Lease) -> None:
        with self._lock:
            lease.users -= 1
            if lease.retired and lease.users == 0:
                lease.con.close()

    @staticmethod
    def _retire(lease: _Lease) -> None:
        """Close now if idle; otherwise the last query to finish closes it."""
        lease.retired = True
        if lease.users == 0:
            lease.con.close()
