"""The PDF report's section catalogue: every section, built-in or user-added, registers here.

A section is a small function from a :class:`~cloudoptima.report.context.ReportContext`
to fpdf2 output (headings, paragraphs, tables, charts drawn on ``ctx.doc``). Sections
of the ``currency`` scope are drawn once per billing currency, so amounts in different
currencies are never added; ``report`` sections (the appendix) are drawn once. The
builder (:mod:`cloudoptima.report.builder`) draws the cover, then the chosen sections
in catalogue order. fpdf2 and matplotlib are the ``report`` extra, imported only when
a report is drawn.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from cloudoptima.errors import CloudOptimaError

if TYPE_CHECKING:
    from cloudoptima.report.context import ReportContext

Scope = Literal["currency", "report"]
Render = Callable[["ReportContext"], None]


@dataclass(frozen=True)
class Section:
    """A part of the report: its id (a public contract), title, scope and drawing function."""

    id: str
    title: str
    scope: Scope
    order: int
    render: Render


SECTIONS: dict[str, Section] = {}
BUILTIN_MODULES = ("overview_sections", "breakdown_sections", "action_sections", "appendix")
# What the built-in sections are called, in report order: known before their modules load,
# so the command line and the app list them without importing fpdf2.
BUILTIN_TITLES = {
    "summary": "Executive summary",
    "kpis": "Key figures",
    "trend": "Daily cost trend and forecast",
    "breakdowns": "Breakdowns by service, subscription, resource group and tag",
    "recommendations": "Top recommendations",
    "anomalies": "Anomalies",
    "rates": "Rate optimisation",
    "appendix": "Appendix: method and data",
}


def register(entry: Section) -> Section:
    """Add a section to the catalogue; ids are a public contract and must stay unique."""
    if entry.id in SECTIONS and SECTIONS[entry.id] is not entry:
        raise CloudOptimaError(f"a report section with id '{entry.id}' is already registered")
    SECTIONS[entry.id] = entry
    return entry


def section(
    section_id: str, title: str, *, order: int, scope: Scope = "currency"
) -> Callable[[Render], Render]:
    """Decorator form of :func:`register` for section functions."""

    def wrap(render: Render) -> Render:
        register(Section(section_id, title, scope, order, render))
        return render

    return wrap


def load_builtin_sections() -> dict[str, Section]:
    """Import the built-in section modules (registration happens on import)."""
    for module in BUILTIN_MODULES:
        importlib.import_module(f"cloudoptima.report.{module}")
    return SECTIONS


def section_ids() -> list[str]:
    """Every section id, in report order (the built-ins without importing them)."""
    extra = sorted(
        (s for s in SECTIONS.values() if s.id not in BUILTIN_TITLES), key=lambda s: s.order
    )
    return [*BUILTIN_TITLES, *(s.id for s in extra)]


def check_sections(wanted: Iterable[str] | None) -> list[str]:
    """The chosen section ids in report order; all of them when ``wanted`` is None."""
    known = section_ids()
    if wanted is None:
        return known
    chosen = [w.strip() for w in wanted if w.strip()]
    unknown = [w for w in chosen if w not in known]
    if unknown:
        raise CloudOptimaError(
            f"unknown report section '{unknown[0]}'; sections: {', '.join(known)}"
        )
    if not chosen:
        raise CloudOptimaError(f"choose at least one report section: {', '.join(known)}")
    return [s for s in known if s in chosen]


__all__ = [
    "BUILTIN_TITLES",
    "SECTIONS",
    "Section",
    "check_sections",
    "load_builtin_sections",
    "register",
    "section",
    "section_ids",
]
