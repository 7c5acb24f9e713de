"""Ask answers and Reports generates the PDF, for analysts and admins; viewers get neither."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from harness import World, preset_login
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest


@pytest.mark.parametrize("user", ["analyst", "admin"])
def test_ask_now_answers(app_as: Callable[..., AppTest], user: str) -> None:
    at = app_as(user, page="ask")
    assert not at.exception
    assert not at.error
    assert not at.info  # no "not available" notice any more
    assert not at.chat_input(key="ask_question").disabled
    at.chat_input(key="ask_question").set_value("What did we spend last month?").run()
    assert not at.exception
    assert [m.name for m in at.get("chat_message")] == ["user", "assistant"]
    assert any(t.value.startswith("We spent USD") for t in at.text)


def test_reports_offers_period_currency_and_sections(app_as: Callable[..., AppTest]) -> None:
    at = app_as("analyst", page="reports")
    assert not at.exception
    assert not at.error
    start, end = at.date_input(key="reports_period").value
    assert (str(start), str(end)) == ("2026-10-01", "2026-10-31")  # the last full month of data
    assert at.multiselect(key="reports_sections").value == [
        "summary",
        "kpis",
        "trend",
        "breakdowns",
        "recommendations",
        "anomalies",
        "rates",
        "appendix",
    ]
    generate = at.button(key="reports_generate")
    assert not generate.disabled
    assert generate.label == "Generate PDF"
    assert not at.get("download_button")  # nothing generated yet


def test_reports_generates_a_pdf_with_the_librarys_figures(
    app_as: Callable[..., AppTest], world: World
) -> None:
    at = app_as("analyst", page="reports")
    at.multiselect(key="reports_sections").set_value(["summary", "kpis", "recommendations"])
    at.button(key="reports_generate").click().run()
    assert not at.exception
    assert not at.error
    downloads = at.get("download_button")
    assert len(downloads) == 1
    assert downloads[0].proto.label == "Download PDF"
    assert len(at.get("image")) == 1  # the first page's preview
    ws = world.contoso
    october = ws.costs(
        start=date(2026, 10, 1), end=date(2026, 10, 31), metric="EffectiveCost", currency="USD"
    )["EffectiveCost"].sum()
    savings = ws.findings(status="open", currency="USD")["monthly_savings"].sum()
    projected = ws.forecast().month_end.row(0, named=True)["projected"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Spend, October 2026"] == f"USD {float(october):,.2f}"
    assert metrics["Open potential savings"] == f"USD {float(savings):,.2f} /mo"
    assert metrics["Forecast, November 2026"] == f"USD {projected:,.2f}"
    kept = at.session_state["reports_result"]
    assert kept.pdf.startswith(b"%PDF-")
    text = " ".join(p.extract_text() for p in PdfReader(BytesIO(kept.pdf)).pages)
    assert f"{float(october):,.2f}" in text


@pytest.mark.parametrize("page", ["ask", "reports"])
def test_viewers_are_refused(app_as: Callable[..., AppTest], page: str) -> None:
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app_as("viewer", page=page)  # not in a viewer's navigation
    at = AppTest.from_file(
        str(Path(__file__).resolve().parents[2] / "pages" / f"{page}.py"), default_timeout=60
    )
    preset_login(at, "viewer", "contoso").run()  # and the page itself refuses them
    assert not at.exception
    assert [e.value for e in at.error] == ["Your role (viewer) cannot open this page."]
    assert not at.chat_input
    assert not at.button
    assert not at.date_input
    assert not at.warning


def test_beta_reports_use_its_own_data(app_as: Callable[..., AppTest]) -> None:
    at = app_as("bea", org="beta", page="reports")
    assert not at.exception
    assert not at.error
    assert "2026-09-01 to 2026-09-10" in at.caption[0].value
    start, end = at.date_input(key="reports_period").value
    assert (str(start), str(end)) == ("2026-09-01", "2026-09-10")
