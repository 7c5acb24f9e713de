"""Ask answers; Reports keeps its honest notice until its engine lands; viewers get neither."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from harness import preset_login
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


def test_reports_offers_period_and_sections_but_no_pdf_yet(app_as: Callable[..., AppTest]) -> None:
    at = app_as("analyst", page="reports")
    assert not at.exception
    assert not at.error
    assert "PDF export is not available in this version" in at.info[0].value
    start, end = at.date_input(key="reports_period").value
    assert (str(start), str(end)) == ("2026-10-01", "2026-10-31")  # the last full month of data
    assert "Recommendations and realized savings" in at.multiselect(key="reports_sections").value
    generate = at.button(key="reports_generate")
    assert generate.disabled
    assert generate.label == "Generate PDF"
    assert not at.get("download_button")


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
