"""The executive summary: the plain paragraph, and an LLM's text used only when its figures check."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from cloudoptima import Workspace
from cloudoptima.report.figures import KeyFigures, MonthEnd, Period
from cloudoptima.report.summary import (
    SummaryRequest,
    executive_summary,
    plain_summary,
    unchecked_figure,
)

FIGURES = KeyFigures(
    currency="EUR",
    period=Period(date(2026, 10, 1), date(2026, 10, 31)),
    previous=Period(date(2026, 9, 1), date(2026, 9, 30)),
    spend=16720.7565,
    previous_spend=16236.8812,
    month_end=MonthEnd(date(2026, 11, 1), 13054.83, 16314.7843, 16239.44, 16390.13),
    forecast_note="",
    open_savings=3986.04,
    open_findings=85,
    realized_savings=0.0,
    resolved_findings=0,
    data_end=date(2026, 11, 24),
)


def test_the_plain_paragraph_states_the_figures() -> None:
    assert plain_summary(FIGURES) == (
        "In October 2026 the amortized cloud cost was EUR 16,720.76, EUR 483.88 (3.0%) more than "
        "in September 2026 (EUR 16,236.88). November 2026 is forecast to end at EUR 16,314.78 "
        "(80% range EUR 16,239.44 to EUR 16,390.13), with EUR 13,054.83 spent to date. "
        "85 open recommendations would save EUR 3,986.04 a month. No recommendation has been "
        "resolved yet, so no savings are realized."
    )


def test_without_a_summariser_the_paragraph_is_the_summary() -> None:
    summary = executive_summary(FIGURES)
    assert (summary.source, summary.rejected) == ("figures", None)
    assert summary.text == plain_summary(FIGURES)


def test_an_llm_text_citing_only_computed_figures_is_used() -> None:
    seen: list[SummaryRequest] = []

    def writer(request: SummaryRequest) -> str:
        seen.append(request)
        return (
            "October 2026 cost EUR 16,720.76, up 3.0% on September (EUR 16,237). "
            "85 open recommendations could save EUR 3,986.04 a month; November should land "
            "near EUR 16,314.78 (80% range up to 16,390.13), as of 2026-11-24."
        )

    summary = executive_summary(FIGURES, writer)
    assert summary.source == "llm"
    assert summary.text.startswith("October 2026 cost EUR 16,720.76")
    prompt = seen[0].prompt()
    assert "Spend in the period: EUR 16,720.76" in prompt
    assert "Open recommendations: 85" in prompt


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("October cost EUR 16,720.76 and we can save EUR 5,000.00 a month.", "5,000.00"),
        ("Spend rose 4.2% to EUR 16,720.76.", "4.2"),
        ("October cost EUR 16,720.77.", "16,720.77"),  # off by a cent
        ("Data as of 2026-11-25.", "2026-11-25"),
    ],
)
def test_an_llm_text_with_a_figure_we_did_not_compute_is_refused(text: str, reason: str) -> None:
    summary = executive_summary(FIGURES, lambda request: text)
    assert summary.source == "figures"
    assert summary.text == plain_summary(FIGURES)
    assert summary.rejected is not None
    assert reason in summary.rejected


def test_a_failing_or_silent_summariser_falls_back() -> None:
    def broken(request: SummaryRequest) -> str:
        raise TimeoutError("the model did not answer")

    failed = executive_summary(FIGURES, broken)
    assert (failed.source, failed.rejected) == (
        "figures",
        "the summariser failed: the model did not answer",
    )
    assert executive_summary(FIGURES, lambda request: "  ").rejected == (
        "the summariser returned no text"
    )


def test_numbers_round_to_the_written_precision() -> None:
    request = SummaryRequest("EUR", "October 2026", (), "", ())
    assert unchecked_figure("no figures at all", request) is None
    assert unchecked_figure("7 things", request) == (
        "the summary cites 7, which is none of the computed figures"
    )


def test_the_report_prints_the_checked_summary_or_the_paragraph(
    demo_workspace: Workspace, tmp_path: Path
) -> None:
    def invents(request: SummaryRequest) -> str:
        return "Costs fell by 40% to USD 1,000.00."

    written = demo_workspace.report(
        tmp_path / "s.pdf", sections=["summary", "appendix"], summariser=invents
    )
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(written.path).pages))
    assert "Costs fell by 40%" not in text
    assert plain_summary(written.figures["USD"]) in text
    assert "a language model's text was not used because the summary cites 40" in text

    def faithful(request: SummaryRequest) -> str:
        return f"Spend was {request.facts[0].text}."

    written = demo_workspace.report(tmp_path / "t.pdf", sections=["summary"], summariser=faithful)
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(written.path).pages))
    spend = f"USD {written.figures['USD'].spend:,.2f}"
    assert written.summaries["USD"].text == f"Spend was {spend}."
    assert f"Spend was {spend}." in text
    assert written.summaries["USD"].source == "llm"
    assert "Written by a language model" in text
