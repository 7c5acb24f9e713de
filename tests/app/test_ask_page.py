"""The Ask page: a chat that answers from the user's organisation, with table, CSV and SQL."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from harness import World
from streamlit.testing.v1 import AppTest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ai"))
from loopback_openai import LoopbackOpenAI, Text, ToolCall

OPENAI_NAMES = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL", "AZURE_OPENAI_ENDPOINT")


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in OPENAI_NAMES:
        monkeypatch.delenv(name, raising=False)


def ask(at: AppTest, question: str) -> AppTest:
    at.chat_input(key="ask_question").set_value(question).run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> list[str]:
    return [t.value for t in at.text]


def test_an_analyst_asks_and_gets_text_table_csv_and_sql(app_as: Callable[..., AppTest]) -> None:
    at = app_as("analyst", page="ask")
    assert not at.exception
    assert not at.error
    assert at.title[0].value == "Ask · Contoso Pharma"
    assert "Top 5 resource groups this month" in [b.label for b in at.button]
    ask(at, "Top 5 resource groups last month")
    assert [m.name for m in at.get("chat_message")] == ["user", "assistant"]
    assert "Top 5 resource groups last month" in texts(at)
    answer = next(t for t in texts(at) if t.startswith("By resource group in October 2026"))
    assert "RG-Prod-Data (USD 3,940.87)" in answer
    table = at.dataframe[0].value
    assert list(table.columns) == ["resource_group", "billing_currency", "cost"]
    assert len(table) == 5
    assert "FROM daily_costs" in at.code[0].value
    assert at.get("download_button")
    assert [c.value for c in at.caption][-1] == "Answered by the offline engine."
    assert at.get("plotly_chart")


def test_a_follow_up_uses_the_conversation(app_as: Callable[..., AppTest]) -> None:
    at = app_as("analyst", page="ask")
    ask(at, "How much did we spend on storage last month?")
    ask(at, "and the month before?")
    assert [m.name for m in at.get("chat_message")] == ["user", "assistant"] * 2
    said = texts(at)
    assert any("October 2026" in t and t.startswith("We spent") for t in said)
    assert any("September 2026" in t and t.startswith("We spent") for t in said)
    at.button(key="ask_clear").click().run()
    assert not at.get("chat_message")[1:] or at.get("chat_message")[0].name == "assistant"


def test_an_example_question_can_be_clicked(app_as: Callable[..., AppTest]) -> None:
    at = app_as("admin", page="ask")
    example = next(b for b in at.button if b.label == "How much can we save?")
    example.click().run()
    assert not at.exception
    assert any(t.startswith("Open recommendations could save USD") for t in texts(at))


def test_a_question_it_cannot_answer_gets_suggestions_and_no_figure(
    app_as: Callable[..., AppTest],
) -> None:
    at = app_as("analyst", page="ask")
    ask(at, "What is the weather in Paris?")
    reply = next(t for t in texts(at) if t.startswith("I could not tell"))
    assert "USD" not in reply
    assert "List idle VMs" in reply
    assert not at.dataframe
    assert not at.code


def test_each_organisation_asks_its_own_data(app_as: Callable[..., AppTest]) -> None:
    at = app_as("bea", org="beta", page="ask")
    ask(at, "How much did we spend in September 2026?")
    answer = next(t for t in texts(at) if t.startswith("We spent"))
    assert answer.startswith("We spent EUR 190.00 in September 2026")  # beta's 10 days of EUR
    assert "USD" not in answer


def test_the_language_model_answers_when_configured(
    app_as: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch, world: World
) -> None:
    sql = "SELECT count(*) AS vms FROM resources WHERE type = 'microsoft.compute/virtualmachines'"
    vms = len(
        world.contoso.resources().filter(pl.col("type") == "microsoft.compute/virtualmachines")
    )
    with LoopbackOpenAI([ToolCall(sql), Text(f"There are {vms} virtual machines.")]) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-app-test")
        at = app_as("analyst", page="ask")
        ask(at, "How many VMs do we have?")
    assert server.requests[0].body["stream"] is True  # the page streams the answer
    assert f"There are {vms} virtual machines." in texts(at)
    assert [c.value for c in at.caption][-1] == "Answered by the language model."
    assert at.dataframe[0].value["vms"].to_list() == [vms]


def test_markdown_in_a_question_is_shown_as_text(app_as: Callable[..., AppTest]) -> None:
    at = app_as("analyst", page="ask")
    question = "**bold** [link](https://evil.example) how much did we spend last month?"
    ask(at, question)
    assert question in texts(at)
    assert not any("evil.example" in m.value for m in at.markdown)
