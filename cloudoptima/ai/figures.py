"""Figures a model states, held against the figures its queries returned.

A language model may only state figures that came from a tool result. Every number
in its answer is found with a regular expression (thousands separators, decimals,
k/M suffixes, percentages; digits inside names such as ``vm-web-01`` or dates such as
``2026-11-24`` are not figures) and must equal, to the precision it is written
with, a number the turn's queries returned: a numeric cell, a number inside a text
cell or the SQL, a row count, or a number in the question. Years and counts up to ten
written without a currency are let through.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl

_NUMBER = re.compile(
    r"(?<![\w.\-/:])(?P<cur>(?:USD|EUR|GBP|CHF|[A-Z]{3}|[$€£])\s?)?(?P<sign>[-+−])?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?P<suffix>\s?(?:k|K|m|M|bn|million|thousand|billion)\b)?(?P<pct>\s?%)?(?![\w\-/:]|\.\d)"
)
_SCALE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "bn": 1e9, "billion": 1e9}


@dataclass(frozen=True)
class Figure:
    """One number as written in a text."""

    text: str
    start: int
    value: float
    tolerance: float
    plain_integer: bool  # no currency, separator, decimals, suffix or percent sign


def figures_in(text: str) -> list[Figure]:
    """Every figure written in ``text``."""
    found = []
    for match in _NUMBER.finditer(text):
        digits = match.group("num").replace(",", "")
        decimals = len(digits.split(".")[1]) if "." in digits else 0
        suffix = (match.group("suffix") or "").strip().lower()
        scale = _SCALE.get(suffix, 1.0)
        value = float(digits) * scale * (-1 if match.group("sign") in ("-", "−") else 1)
        plain = not (
            match.group("cur")
            or suffix
            or match.group("pct")
            or "," in match.group("num")
            or decimals
        )
        tolerance = 0.5 * 10**-decimals * scale + 1e-9
        found.append(Figure(match.group().strip(), match.start("num"), value, tolerance, plain))
    return found


def known_figures(frames: Iterable[pl.DataFrame], texts: Iterable[str]) -> list[float]:
    """Every number the queries returned (cells, row counts) or the texts hold."""
    known: list[float] = []
    for frame in frames:
        known.append(float(frame.height))
        for column in frame.columns:
            for value in frame[column].to_list():
                known.extend(_numbers_of(value))
    for text in texts:
        known.extend(f.value for f in figures_in(text))
    return known


def _numbers_of(value: Any) -> list[float]:
    if isinstance(value, bool) or value is None or isinstance(value, date):
        return []
    if isinstance(value, int | float | Decimal):
        return [float(value)]
    if isinstance(value, str):
        return [f.value for f in figures_in(value)]
    if isinstance(value, list | tuple):
        return [n for v in value for n in _numbers_of(v)]
    return []


def is_supported(figure: Figure, known: list[float]) -> bool:
    """True when ``figure`` matches a known number to the precision it is written with."""
    if figure.plain_integer and (0 <= figure.value <= 10 or 1900 <= figure.value <= 2100):
        return True
    wanted = abs(figure.value)
    return any(abs(abs(k) - wanted) <= figure.tolerance for k in known) or any(
        abs(abs(k) * 100 - wanted) <= figure.tolerance for k in known if "%" in figure.text
    )


def unsupported(text: str, known: list[float]) -> list[str]:
    """The figures of ``text`` that no known number supports, as written."""
    return [f.text for f in figures_in(text) if not is_supported(f, known)]


def safe_prefix(text: str, known: list[float]) -> tuple[str, bool]:
    """The longest start of a streaming ``text`` that may be shown, and whether it stopped
    at an unsupported figure. A number still being written (at the end) is held back."""
    cut = max(text.rfind(" "), text.rfind("\n"))
    shown = text[: cut + 1] if cut >= 0 else ""
    for figure in figures_in(shown):
        if not is_supported(figure, known):
            start = shown.rfind(" ", 0, figure.start) + 1
            return shown[:start], True
    return shown, False
