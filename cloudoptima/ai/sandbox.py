"""A separate, locked-down DuckDB connection for the statements Ask runs.

Each statement gets a fresh in-memory database that attaches the workspace's live
generation READ_ONLY, defines the curated views over it, materialises the findings
and forecast tables the statement reads, and then switches external access off and
locks the configuration. So even a statement that got past the guard can read no
file, attach no other workspace, load no extension and change no setting; it sees
one organisation's data, returns at most ``row_cap`` rows and is interrupted after
``time_limit`` seconds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import polars as pl

from cloudoptima.ai import views
from cloudoptima.ai.guard import check_sql
from cloudoptima.errors import CloudOptimaError
from cloudoptima.storage.sql import quote_literal

if TYPE_CHECKING:
    from cloudoptima.analysis.forecast import ForecastResult

ROW_CAP = 1_000
TIME_LIMIT = 10.0  # seconds per statement
MEMORY_LIMIT = "1GB"


class QueryError(CloudOptimaError):
    """A statement failed in DuckDB (the message is DuckDB's first line)."""


class QueryTimeout(QueryError):
    """A statement ran longer than the time limit and was interrupted."""


@dataclass(frozen=True)
class Sources:
    """What Ask may read of one workspace: its live database, findings and forecast."""

    database: Path | None
    findings: Callable[[], pl.DataFrame]
    forecast: Callable[[], ForecastResult]


@dataclass(frozen=True)
class QueryResult:
    """The rows a statement returned (at most the row cap) and the SQL that ran."""

    sql: str
    frame: pl.DataFrame
    truncated: bool


@dataclass
class Sandbox:
    """Runs guarded statements over one workspace's curated views (one per question)."""

    sources: Sources
    row_cap: int = ROW_CAP
    time_limit: float = TIME_LIMIT
    _made: dict[str, pl.DataFrame] = field(default_factory=dict)

    def run(self, sql: str) -> QueryResult:
        """Check ``sql`` with the guard, then run it in a fresh locked-down connection."""
        checked = check_sql(sql, views.VIEW_NAMES)
        con = self.connect(checked.views)
        try:
            frame, truncated = execute(con, checked.sql, self.row_cap, self.time_limit)
        finally:
            con.close()
        return QueryResult(checked.sql, frame, truncated)

    def connect(self, wanted: frozenset[str] = frozenset()) -> duckdb.DuckDBPyConnection:
        """A locked-down connection with the views, and the made tables in ``wanted``."""
        con = duckdb.connect(":memory:")
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
            if self.sources.database is None:
                raise QueryError("the workspace holds no data yet")
            con.execute(f"ATTACH {quote_literal(str(self.sources.database))} AS live (READ_ONLY)")
            for name, body in views.LIVE_VIEWS.items():
                con.execute(f"CREATE VIEW {name} AS {body}")
            for name in views.MADE_TABLES:
                if name in wanted:
                    _materialise(con, name, self._frame(name))
            con.execute("SET enable_external_access = false")
            con.execute("SET lock_configuration = true")
        except BaseException:
            con.close()
            raise
        return con

    def _frame(self, name: str) -> pl.DataFrame:
        if name not in self._made:
            self._made.update(_made_frames(name, self.sources))
        return self._made[name]


def _made_frames(name: str, sources: Sources) -> dict[str, pl.DataFrame]:
    if name == "findings":
        found = sources.findings()
        return {"findings": found.select(views.FINDING_COLUMNS).rename(_SNAKE)}
    try:
        result = sources.forecast()
    except ImportError as exc:
        raise QueryError(f"forecasts are not available: {exc}") from None
    daily = result.points.filter(pl.col("series") == result.points["series"].first())
    return {
        "forecasts": daily.select(views.FORECAST_COLUMNS).rename(
            {**_SNAKE, "ds": "day", "yhat": "forecast"}
        ),
        "forecast_month_end": result.month_end.select(views.MONTH_END_COLUMNS).rename(_SNAKE),
    }


_SNAKE = {"BillingCurrency": "billing_currency"}


def _materialise(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> None:
    con.register("_made_frame", frame.to_arrow())
    if name == "findings":  # the resource's tags, for questions such as "unattached disks in prod"
        con.execute(
            """CREATE TABLE findings AS SELECT f.*, r.tags FROM _made_frame f
               LEFT JOIN live.resources r ON lower(r.resource_id) = lower(f.resource_id)"""
        )
    else:
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM _made_frame")
    con.unregister("_made_frame")


def execute(
    con: duckdb.DuckDBPyConnection, sql: str, row_cap: int, time_limit: float
) -> tuple[pl.DataFrame, bool]:
    """Run ``sql``; keep at most ``row_cap`` rows; interrupt it after ``time_limit`` seconds."""
    timer = threading.Timer(time_limit, con.interrupt)
    timer.start()
    try:
        reader = con.sql(sql).to_arrow_reader(row_cap + 1)
        batches: list[Any] = []
        rows = 0
        for batch in reader:
            batches.append(batch)
            rows += batch.num_rows
            if rows > row_cap:
                break
        import pyarrow as pa

        table = pa.Table.from_batches(batches, schema=reader.schema)
    except duckdb.InterruptException:
        raise QueryTimeout(f"the query ran longer than {time_limit:g} seconds") from None
    except duckdb.Error as exc:
        raise QueryError(str(exc).splitlines()[0]) from None
    finally:
        timer.cancel()
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame.head(row_cap), frame.height > row_cap
