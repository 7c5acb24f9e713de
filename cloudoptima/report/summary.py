"""The executive summary: a paragraph built from the key figures, or an LLM's, checked.

A *summariser* is any callable that turns a :class:`SummaryRequest` (the figures,
labelled and formatted, and the plain paragraph as a draft) into prose; the AI room
can pass one backed by a language model. Its text is used only when every number in
it is one of the computed figures (or a date, count or band level of this report);
otherwise, or when it fails, the report prints the deterministic paragraph and says
why in :attr:`Summary.rejected`. Without a summariser the deterministic paragraph is
the summary.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Literal

from cloudoptima.report.figures import KeyFigures
from cloudoptima.report.formats import money, percent

_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_NUMBER = re.compile(r"(?<![\w.])[-+−]?\d[\d,]*(?:\.\d+)?")


@dataclass(frozen=True)
class Fact:
    """One figure the summary may cite: what it is, its value and how the report prints it."""

    label: str
    value: float
    text: str


@dataclass(frozen=True)
class SummaryRequest:
    """What a summariser gets: the figures of one currency and the plain paragraph."""

    currency: str
    period: str
    facts: tuple[Fact, ...]
    draft: str
    dates: tuple[date, ...] = field(default=())

    def prompt(self) -> str:
        """Instructions and figures for a language model, in plain text."""
        lines = "\n".join(f"- {f.label}: {f.text}" for f in self.facts)
        return (
            f"Write a four-sentence executive summary of cloud cost for {self.period}, "
            f"amounts in {self.currency}. Use only these figures, written exactly as given; "
            f"do not compute new numbers.\n{lines}\n\nDraft to improve:\n{self.draft}"
        )


Summariser = Callable[[SummaryRequest], str]


@dataclass(frozen=True)
class Summary:
    """The summary printed, who wrote it, and why an LLM's text was not used."""

    text: str
    source: Literal["llm", "figures"]
    rejected: str | None = None


def facts_of(figures: KeyFigures) -> tuple[Fact, ...]:
    """The citable figures of one currency."""
    c = figures.currency
    facts = [
        Fact("Spend in the period", figures.spend, money(figures.spend, c)),
        Fact(
            "Spend in the previous period", figures.previous_spend, money(figures.previous_spend, c)
        ),
        Fact("Change against the previous period", figures.change, money(figures.change, c)),
        Fact(
            "Open potential savings per month", figures.open_savings, money(figures.open_savings, c)
        ),
        Fact("Open recommendations", figures.open_findings, str(figures.open_findings)),
        Fact(
            "Realized savings per month",
            figures.realized_savings,
            money(figures.realized_savings, c),
        ),
        Fact(
            "Resolved recommendations measured",
            figures.resolved_findings,
            str(figures.resolved_findings),
        ),
    ]
    if figures.change_pct is not None:
        facts.append(Fact("Change in percent", figures.change_pct, percent(figures.change_pct)))
    if figures.month_end is not None:
        m = figures.month_end
        facts += [
            Fact(f"{m.month:%B %Y} forecast month end", m.projected, money(m.projected, c)),
            Fact("Forecast 80% range, low", m.lower_80, money(m.lower_80, c)),
            Fact("Forecast 80% range, high", m.upper_80, money(m.upper_80, c)),
            Fact(f"{m.month:%B %Y} spent to date", m.actual_to_date, money(m.actual_to_date, c)),
        ]
    return tuple(facts)


def plain_summary(figures: KeyFigures) -> str:
    """The deterministic paragraph: every number in it is a key figure."""
    c, p = figures.currency, figures.period
    change = figures.change
    direction = "more than" if change > 0 else "less than" if change < 0 else "the same as"
    pct = f" ({percent(abs(figures.change_pct))})" if figures.change_pct is not None else ""
    amount = f"{money(abs(change), c)}{pct} " if change else ""
    text = [
        f"In {p.label} the amortized cloud cost was {money(figures.spend, c)}, "
        f"{amount}{direction} in {figures.previous.label} ({money(figures.previous_spend, c)})."
    ]
    if figures.month_end is not None:
        m = figures.month_end
        text.append(
            f"{m.month:%B %Y} is forecast to end at {money(m.projected, c)} (80% range "
            f"{money(m.lower_80, c)} to {money(m.upper_80, c)}), with {money(m.actual_to_date, c)} "
            "spent to date."
        )
    if figures.open_findings:
        text.append(
            f"{figures.open_findings} open recommendations would save "
            f"{money(figures.open_savings, c)} a month."
        )
    else:
        text.append("There are no open recommendations.")
    if figures.resolved_findings:
        text.append(
            f"Resolved recommendations save {money(figures.realized_savings, c)} a month, "
            "measured on the bills since."
        )
    else:
        text.append("No recommendation has been resolved yet, so no savings are realized.")
    return " ".join(text)


def executive_summary(figures: KeyFigures, summariser: Summariser | None = None) -> Summary:
    """The LLM's summary when it cites only computed figures, else the plain paragraph."""
    plain = plain_summary(figures)
    if summariser is None:
        return Summary(plain, "figures")
    facts = facts_of(figures)
    request = SummaryRequest(figures.currency, figures.period.label, facts, plain, _dates(figures))
    try:
        text = summariser(request).strip()
    except Exception as exc:  # any failure of an outside service falls back to the figures
        return Summary(plain, "figures", f"the summariser failed: {exc}")
    if not text:
        return Summary(plain, "figures", "the summariser returned no text")
    problem = unchecked_figure(text, request)
    if problem is not None:
        return Summary(plain, "figures", problem)
    return Summary(text, "llm")


def unchecked_figure(text: str, request: SummaryRequest) -> str | None:
    """A sentence naming the first number in ``text`` that no figure backs, else None."""
    dates = {d.isoformat() for d in request.dates}
    for found in _DATE.findall(text):
        if found not in dates:
            return f"the summary cites the date {found}, which is not in the report"
    remainder = _DATE.sub(" ", text)
    allowed = _allowed_numbers(request)
    for token in _NUMBER.findall(remainder):
        if not _matches(token, allowed):
            return f"the summary cites {token}, which is none of the computed figures"
    return None


def _dates(figures: KeyFigures) -> tuple[date, ...]:
    days = [figures.period.start, figures.period.end, figures.previous.start, figures.previous.end]
    if figures.data_end is not None:
        days.append(figures.data_end)
    if figures.month_end is not None:
        days.append(figures.month_end.month)
    return tuple(days)


def _allowed_numbers(request: SummaryRequest) -> list[float]:
    values = [f.value for f in request.facts]
    values += [abs(v) for v in values]
    for day in request.dates:
        values += [day.year, day.day]
    values += [80.0, 95.0]  # the forecast bands' levels
    return values


def _matches(token: str, allowed: Iterable[float]) -> bool:
    cleaned = token.replace(",", "").replace("−", "-").lstrip("+")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        return False
    digits = max(-int(number.as_tuple().exponent), 0)
    tolerance = Decimal(1).scaleb(-digits) / 2
    # a figure matches when it rounds to the number as written (16,720.76 or 16,721)
    return any(abs(Decimal(repr(float(v))) - number) <= tolerance for v in allowed)
