"""The SQL guard: one read-only SELECT over the curated views, or a refusal.

Every statement Ask runs passes here first, the offline engine's own as well as a
language model's, which is treated as hostile: it is parsed with sqlglot (DuckDB
dialect) and must be exactly one SELECT (or WITH ... SELECT, or a set operation of
them) that reads only the curated views (:mod:`cloudoptima.ai.views`) and the CTEs it
defines. Table functions (``read_csv``, ``glob``, ``query``...), qualified names
(``live.costs``), functions that read settings or the environment, and every
statement that is not a query (ATTACH, COPY, PRAGMA, SET, INSTALL, LOAD, CALL...)
are refused with one sentence the model can act on.

What runs is sqlglot's rendering of the tree it checked, not the text it was given,
so a statement DuckDB would read differently from sqlglot cannot slip through. The
sandbox (:mod:`cloudoptima.ai.sandbox`) is the second wall: even a statement that got
past this guard finds no file system, no settings to change and no other data.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass

from cloudoptima.errors import CloudOptimaError

MAX_SQL_CHARS = 20_000
# Set-returning functions a query may use in FROM: they make numbers, never read data.
ALLOWED_TABLE_FUNCTIONS = frozenset({"generate_series", "range", "unnest"})
# Scalar functions that read the environment, settings or run SQL of their own.
BLOCKED_FUNCTIONS = frozenset(
    {
        "current_setting",
        "getenv",
        "query",
        "query_table",
        "sql_auto_complete",
        "which_secret",
        "json_execute_serialized_sql",
        "json_serialize_sql",
        "json_deserialize_sql",
        "load_extension",
        "glob",
        "sniff_csv",
        "export",
        "checkpoint",
        "force_checkpoint",
        "enable_profiling",
        "disable_profiling",
        "install",
        "load",
        "set",
    }
)
BLOCKED_PREFIXES: tuple[str, ...] = (
    "read_",
    "duckdb_",
    "pragma_",
    "parquet_",
    "iceberg_",
    "delta_",
    "sqlite_",
    "postgres_",
    "mysql_",
    "from_substrait",
    "get_substrait",
    "icu_",
    "test_",
)


class UnsafeSQL(CloudOptimaError):
    """A statement the guard refused; the message says why in one sentence."""


@dataclass(frozen=True)
class CheckedSQL:
    """A statement that passed the guard: what runs, and the views it reads."""

    sql: str
    views: frozenset[str]


def check_sql(text: str, allowed_views: Collection[str]) -> CheckedSQL:
    """Accept exactly one read-only query over ``allowed_views``, or raise :class:`UnsafeSQL`."""
    from sqlglot import exp

    statement = _parse_one(text)
    if not isinstance(statement, exp.Select | exp.SetOperation):
        raise UnsafeSQL(f"only a SELECT query is allowed, not {_kind(statement)}")
    allowed = {v.lower() for v in allowed_views}
    ctes = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
    views: set[str] = set()
    for node in statement.walk():
        _refuse_forbidden_node(node)
        if isinstance(node, exp.Table):
            views.update(_check_table(node, allowed, ctes))
        elif isinstance(node, exp.Func):
            _check_function(node)
    # Comments are dropped: what runs and what the user reads is exactly what was checked.
    return CheckedSQL(
        statement.sql(dialect="duckdb", pretty=True, comments=False), frozenset(views)
    )


def _parse_one(text: str) -> object:
    import sqlglot
    from sqlglot.errors import SqlglotError

    if len(text) > MAX_SQL_CHARS:
        raise UnsafeSQL(f"the query is longer than {MAX_SQL_CHARS:,} characters")
    # sqlglot logs a warning whenever it falls back to a raw Command; we refuse those anyway.
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    try:
        statements = [s for s in sqlglot.parse(text, dialect="duckdb") if s is not None]
    except (SqlglotError, ValueError, RecursionError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UnsafeSQL(f"the query could not be parsed: {first}") from None
    if len(statements) != 1:
        raise UnsafeSQL(f"exactly one statement is allowed, not {len(statements)}")
    return statements[0]


def _kind(node: object) -> str:
    from sqlglot import exp

    if isinstance(node, exp.Command):
        return f"a {str(node.this).upper()} command"
    return f"a {type(node).__name__.upper()} statement"


def _refuse_forbidden_node(node: object) -> None:
    from sqlglot import exp

    forbidden: tuple[type, ...] = (exp.DML, exp.DDL, exp.Command, exp.Into, exp.Set, exp.Pragma)
    forbidden += (exp.Use, exp.Copy, exp.Transaction, exp.Commit, exp.Rollback, exp.LoadData)
    forbidden += (exp.Attach, exp.Detach, exp.Install, exp.Export)
    if isinstance(node, forbidden):
        raise UnsafeSQL(f"only a SELECT query is allowed; it holds {_kind(node)}")


def _check_table(node: object, allowed: set[str], ctes: set[str]) -> set[str]:
    from sqlglot import exp

    assert isinstance(node, exp.Table)
    if isinstance(node.this, exp.Func):
        name = _function_name(node.this)
        if name in ALLOWED_TABLE_FUNCTIONS:
            return set()
        raise UnsafeSQL(f"table functions such as {name}() are not allowed; query the views")
    if node.args.get("db") or node.args.get("catalog"):
        raise UnsafeSQL(
            f"'{node.sql(dialect='duckdb')}' is not one of the views; use {_views(allowed)}"
        )
    name = node.name.lower()
    if name in ctes:
        return set()
    if name not in allowed:
        raise UnsafeSQL(f"'{node.name}' is not one of the views; use {_views(allowed)}")
    return {name}


def _check_function(node: object) -> None:
    name = _function_name(node)
    if name in BLOCKED_FUNCTIONS or name.startswith(BLOCKED_PREFIXES):
        raise UnsafeSQL(f"the function {name}() is not allowed")


def _function_name(node: object) -> str:
    from sqlglot import exp

    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    assert isinstance(node, exp.Func)
    return node.sql_name().lower()


def _views(allowed: set[str]) -> str:
    return ", ".join(sorted(allowed))
