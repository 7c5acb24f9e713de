"""The one place that writes a value into SQL text: identifiers and string literals.

Everything else reaches DuckDB as a bound parameter. These helpers exist for the few
places where SQL cannot take a parameter (a column name, a file list of ``read_csv``,
a literal inside a generated expression).
"""

from __future__ import annotations


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB, doubling any double quote inside it."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """Quote a string literal for DuckDB, doubling any single quote inside it."""
    if "\x00" in text:
        raise ValueError("a SQL literal cannot hold a NUL character")
    return "'" + text.replace("'", "''") + "'"
