"""The report's summary by a configured language model: the real openai client against a
loopback server speaking its wire protocol; used only when every figure checks."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from cloudoptima import Workspace

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ai"))
from loopback_openai import LoopbackOpenAI, Status, Text

SECTIONS = ("summary",)


def configure(monkeypatch: pytest.MonkeyPatch, server: LoopbackOpenAI) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-report")
    monkeypatch.setenv("OPENAI_MODEL", "loopback-model")


def test_the_configured_model_writes_the_summary_from_the_figures(
    demo_workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = demo_workspace.report(tmp_path / "plain.pdf", sections=SECTIONS, use_llm=False)
    spend = f"USD {plain.figures['USD'].spend:,.2f}"
    with LoopbackOpenAI([Text(f"Cloud spend was {spend} last month.")]) as server:
        configure(monkeypatch, server)
        written = demo_workspace.report(tmp_path / "llm.pdf", sections=SECTIONS)
    assert written.summaries["USD"].source == "llm"
    assert written.summaries["USD"].text == f"Cloud spend was {spend} last month."
    assert spend in server.requests[0].body["messages"][1]["content"]  # it got the figures


@pytest.mark.parametrize(
    "reply",
    [Text("Cloud spend was USD 1,234,567.89 last month."), Status(503)],
    ids=["an invented figure", "the service fails"],
)
def test_the_plain_paragraph_stays_when_the_model_cannot_be_trusted(
    demo_workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reply: object
) -> None:
    plain = demo_workspace.report(tmp_path / "plain.pdf", sections=SECTIONS, use_llm=False)
    with LoopbackOpenAI([reply, reply, reply]) as server:  # type: ignore[list-item]
        configure(monkeypatch, server)
        written = demo_workspace.report(tmp_path / "llm.pdf", sections=SECTIONS)
    assert written.summaries["USD"].source == "figures"
    assert written.summaries["USD"].text == plain.summaries["USD"].text
