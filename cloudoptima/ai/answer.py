"""What Ask returns: the answer's text, the SQL and table it rests on, a chart spec, the engine."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

import polars as pl

Engine = Literal["offline", "llm"]


@dataclass(frozen=True)
class ChartSpec:
    """How to draw the table: ``kind`` line or bar, ``x`` and ``y`` columns, ``color`` to split by."""

    kind: Literal["line", "bar"]
    x: str
    y: str
    color: str | None = None
    title: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the spec."""
        return {
            "type": self.kind,
            "x": self.x,
            "y": self.y,
            "color": self.color,
            "title": self.title,
        }


@dataclass(frozen=True)
class Answer:
    """One answer to one question.

    Attributes
    ----------
    question : what was asked.
    text : the answer in words; every figure in it comes from ``table`` (or a query of the turn).
    sql : the statement the answer rests on (None when nothing was queried).
    table : the rows that statement returned (at most the sandbox's row cap).
    chart : how to draw ``table`` when a chart helps, else None.
    engine : ``offline`` or ``llm``: which engine answered.
    notice : why the engine that was asked did not answer (an LLM failure), else None.
    suggestions : questions the offline engine can answer, when it could not answer this one.
    """

    question: str
    text: str
    sql: str | None = None
    table: pl.DataFrame = field(default_factory=pl.DataFrame)
    chart: ChartSpec | None = None
    engine: Engine = "offline"
    notice: str | None = None
    suggestions: tuple[str, ...] = ()

    @property
    def full_text(self) -> str:
        """The notice (if any), then the answer: what a plain-text front-end prints."""
        return f"{self.notice}\n\n{self.text}" if self.notice else self.text

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract: ``answer``, ``sql``, ``table`` (row objects), ``chart``, ``engine``."""
        return {
            "answer": self.full_text,
            "sql": self.sql,
            "table": [_jsonable_row(row) for row in self.table.iter_rows(named=True)],
            "chart": self.chart.to_dict() if self.chart else None,
            "engine": self.engine,
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as indented JSON text."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)


def _jsonable_row(row: dict[str, Any]) -> dict[str, Any]:
    return {key: jsonable(value) for key, value in row.items()}


def jsonable(value: Any) -> Any:
    """A cell as JSON can hold it: decimals as numbers, dates as ISO text."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return _jsonable_row(value)
    return value
