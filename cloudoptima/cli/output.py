"""Render frames for the terminal: aligned tables, CSV and JSON."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import polars as pl

from cloudoptima.spreadsheet import to_csv

FORMATS = ("table", "csv", "json")


def render(frame: pl.DataFrame, fmt: str, *, money: tuple[str, ...] = ()) -> str:
    """Render ``frame`` as an aligned table, CSV or a JSON array of objects."""
    if fmt == "json":
        return json.dumps([jsonable_row(r) for r in frame.iter_rows(named=True)], indent=2)
    if fmt == "csv":
        nested = [c for c, t in frame.schema.items() if isinstance(t, pl.List | pl.Struct)]
        flat = frame.with_columns(
            pl.col(c).map_elements(lambda v: json.dumps(jsonable(v)), return_dtype=pl.Utf8)
            for c in nested
        )
        return to_csv(flat).rstrip("\n")
    return _table(frame, money)


def jsonable_row(row: dict[str, Any]) -> dict[str, Any]:
    return {k: jsonable(v) for k, v in row.items()}


def jsonable(value: Any) -> Any:
    if isinstance(value, pl.Series):
        value = value.to_list()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _table(frame: pl.DataFrame, money: tuple[str, ...]) -> str:
    if frame.is_empty():
        return "(no rows)"
    cells = [[_cell(v, c in money) for c, v in row.items()] for row in frame.iter_rows(named=True)]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(frame.columns)]
    numeric = [frame.schema[c].is_numeric() for c in frame.columns]

    def line(values: list[str]) -> str:
        return "  ".join(
            v.rjust(w) if n else v.ljust(w) for v, w, n in zip(values, widths, numeric, strict=True)
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(list(frame.columns)), rule, *(line(r) for r in cells)])


def _cell(value: Any, is_money: bool) -> str:
    if value is None:
        return ""
    if is_money and isinstance(value, Decimal | float | int):
        return f"{value:,.2f}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)
