"""Periods named in a question: this/last month, last N days, named months, quarters, YTD.

Periods are relative to the last day with cost data, not to the wall clock, like every
analysis: "this month" of a workspace whose data ends on 2026-11-24 is 2026-11-01 to
2026-11-24. Each period carries a label that says which days it covers, so the answer
explains itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal

Unit = Literal["day", "days", "month", "quarter", "year", "range"]

MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTH = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "1st": 1,
    "2nd": 2,
    "3rd": 3,
    "4th": 4,
}
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}
_NUMBER_WORDS |= {"eight": 8, "nine": 9, "ten": 10, "twelve": 12, "fourteen": 14, "thirty": 30}
_N = r"(\d{1,3}|" + "|".join(_NUMBER_WORDS) + ")"


@dataclass(frozen=True)
class Period:
    """Inclusive days ``start``..``end`` and how a person would name them."""

    start: date
    end: date
    label: str
    unit: Unit
    count: int = 1  # e.g. 30 for "the last 30 days", 3 for "the last 3 months"

    @property
    def days(self) -> int:
        """Number of days covered."""
        return (self.end - self.start).days + 1

    def describe(self) -> str:
        """The label with its days: 'October 2026 (2026-10-01 to 2026-10-31)'."""
        if str(self.start) in self.label:
            return self.label
        if self.start == self.end:
            return f"{self.label} ({self.start})"
        return f"{self.label} ({self.start} to {self.end})"

    def before(self) -> Period:
        """The period of the same kind just before this one ("and the month before?")."""
        if self.unit == "month":
            return month_period(_add_months(self.start, -self.count), self.count)
        if self.unit == "quarter":
            return quarter_period(_add_months(self.start, -3))
        if self.unit == "year":
            return year_period(self.start.year - 1)
        end = self.start - timedelta(days=1)
        start = end - timedelta(days=self.days - 1)
        label = "the day before" if self.days == 1 else f"the {self.days} days before"
        return Period(start, end, label, "range" if self.unit == "range" else self.unit, self.count)

    def clipped(self, last: date) -> Period:
        """The period cut at the last day of data (this month so far)."""
        return self if self.end <= last else replace(self, end=max(last, self.start))


def month_period(first: date, count: int = 1) -> Period:
    """``count`` calendar months starting at the month of ``first``."""
    first = first.replace(day=1)
    end = _add_months(first, count) - timedelta(days=1)
    if count == 1:
        return Period(first, end, f"{MONTHS[first.month - 1].title()} {first.year}", "month")
    label = f"{MONTHS[first.month - 1].title()} {first.year} to {MONTHS[end.month - 1].title()} {end.year}"
    return Period(first, end, label, "month", count)


def quarter_period(day: date) -> Period:
    """The calendar quarter holding ``day``."""
    quarter = (day.month - 1) // 3
    first = date(day.year, 3 * quarter + 1, 1)
    end = _add_months(first, 3) - timedelta(days=1)
    return Period(first, end, f"Q{quarter + 1} {day.year}", "quarter")


def year_period(year: int) -> Period:
    """A calendar year."""
    return Period(date(year, 1, 1), date(year, 12, 31), str(year), "year")


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _number(text: str) -> int:
    return _NUMBER_WORDS[text] if text in _NUMBER_WORDS else int(text)


@dataclass(frozen=True)
class Found:
    """A period found in the text, where it was, and whether it is relative to the last one."""

    position: int
    span: tuple[int, int]
    period: Period | None  # None: "the month before" (shift the conversation's period)


def find_periods(text: str, last: date) -> list[Found]:
    """Every period named in ``text`` (lower case), in the order they appear."""
    found: list[Found] = []
    taken: list[tuple[int, int]] = []
    for pattern, make in _RULES:
        for match in re.finditer(pattern, text):
            span = match.span()
            if any(span[0] < end and start < span[1] for start, end in taken):
                continue
            period = make(match, last)
            if period is False or period is True:
                continue
            taken.append(span)
            found.append(Found(span[0], span, period))
    return sorted(found, key=lambda f: f.position)


def _this_month(_: re.Match[str], last: date) -> Period:
    period = month_period(last)
    return replace(period, label=f"{period.label} to date").clipped(last)


def _last_month(_: re.Match[str], last: date) -> Period:
    return month_period(_add_months(last.replace(day=1), -1))


def _this_quarter(_: re.Match[str], last: date) -> Period:
    period = quarter_period(last)
    return replace(period, label=f"{period.label} to date").clipped(last)


def _last_quarter(_: re.Match[str], last: date) -> Period:
    return quarter_period(_add_months(quarter_period(last).start, -3))


def _year_to_date(_: re.Match[str], last: date) -> Period:
    return Period(date(last.year, 1, 1), last, f"{last.year} to date", "year")


def _last_year(_: re.Match[str], last: date) -> Period:
    return year_period(last.year - 1)


def _last_n(match: re.Match[str], last: date) -> Period:
    count, unit = _number(match.group(1)), match.group(2)
    if unit.startswith("month"):
        first = _add_months(last.replace(day=1), -count)
        period = month_period(first, count)
        return period
    days = count * 7 if unit.startswith("week") else count
    start = last - timedelta(days=days - 1)
    label = f"the last {count} {unit if unit.endswith('s') or count != 1 else unit + 's'}"
    return Period(start, last, label, "days", days)


def _last_week(_: re.Match[str], last: date) -> Period:
    return Period(last - timedelta(days=6), last, "the last 7 days", "days", 7)


def _latest_day(_: re.Match[str], last: date) -> Period:
    return Period(last, last, "the latest day of data", "day")


def _named_month(match: re.Match[str], last: date) -> Period | bool:
    name, year = match.group(2), match.group(3)
    if name == "may" and not year and not match.group(1):
        return False  # "may" is also a verb
    month = next(i for i, m in enumerate(MONTHS, 1) if m.startswith(name[:3]))
    if year:
        return month_period(date(int(year), month, 1))
    candidate = date(last.year, month, 1)
    return month_period(candidate if candidate <= last else date(last.year - 1, month, 1))


def _quarter(match: re.Match[str], last: date) -> Period:
    number = int(match.group(1)) if match.group(1) else _ORDINALS[match.group(3)]
    named = match.group(2) or match.group(4)
    year = int(named) if named else last.year
    period = quarter_period(date(year, 3 * number - 2, 1))
    if not named and period.start > last:
        period = quarter_period(date(year - 1, 3 * number - 2, 1))
    return period


def _year(match: re.Match[str], last: date) -> Period:
    return year_period(int(match.group(1)))


def _date_range(match: re.Match[str], last: date) -> Period:
    start, end = date.fromisoformat(match.group(1)), date.fromisoformat(match.group(2))
    return Period(min(start, end), max(start, end), f"{start} to {end}", "range")


def _since(match: re.Match[str], last: date) -> Period:
    start = date.fromisoformat(match.group(1))
    return Period(start, last, f"since {start}", "range")


def _one_day(match: re.Match[str], last: date) -> Period:
    day = date.fromisoformat(match.group(1))
    return Period(day, day, str(day), "day")


def _before(_: re.Match[str], last: date) -> None:
    return None


_ISO = r"(\d{4}-\d{2}-\d{2})"
_RULES: list[tuple[str, Callable[[re.Match[str], date], Period | bool | None]]] = [
    (rf"\b(?:from|between)\s+{_ISO}\s+(?:to|and|until|through)\s+{_ISO}", _date_range),
    (rf"\bsince\s+{_ISO}", _since),
    (rf"\b(?:on\s+)?{_ISO}", _one_day),
    (
        r"\bthe\s+(?:month|quarter|year|week|day|period|days)\s+before\b|\bthe\s+previous\s+one\b",
        _before,
    ),
    (
        r"\b(?:this|current)\s+month\b|\bmonth[\s-]to[\s-]date\b|\bmtd\b|\bso\s+far\s+this\s+month\b",
        _this_month,
    ),
    (r"\b(?:last|previous|prior|past)\s+month\b", _last_month),
    (r"\b(?:this|current)\s+quarter\b|\bquarter[\s-]to[\s-]date\b|\bqtd\b", _this_quarter),
    (r"\b(?:last|previous|prior)\s+quarter\b", _last_quarter),
    (r"\b(?:this|current)\s+year\b|\byear[\s-]to[\s-]date\b|\bytd\b", _year_to_date),
    (r"\b(?:last|previous|prior)\s+year\b", _last_year),
    (rf"\b(?:last|past|previous|prior)\s+{_N}\s+(days?|weeks?|months?)\b", _last_n),
    (r"\b(?:last|past|previous)\s+week\b", _last_week),
    (r"\b(?:yesterday|today|latest\s+day|last\s+day)\b", _latest_day),
    (
        r"\bq([1-4])(?:\s+(\d{4}))?\b|\b(?:the\s+)?(first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter(?:\s+(?:of\s+)?(\d{4}))?\b",
        _quarter,
    ),
    (
        rf"(\b(?:in|for|of|and|vs|versus|to|from|with|during)\s+)?\b{_MONTH}\b(?:\s+(\d{{4}}))?",
        _named_month,
    ),
    (r"\b(?:in|for|during|of)\s+(20\d{2})\b", _year),
]
