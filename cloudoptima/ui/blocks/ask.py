"""Ask: a chat over the organisation's workspace, answered by the LLM or the offline engine.

The conversation is kept in ``st.session_state`` per organisation, so follow-ups
("and the month before?") use it and a conversation never crosses organisations.
Everything an answer holds is shown as text or a table, never as Markdown: the
model's words and the data's names are untrusted.
"""

from __future__ import annotations

import polars as pl
import streamlit as st
from streamlit.elements.lib.column_types import ColumnConfig

from cloudoptima import charts
from cloudoptima.ai import Answer, llm_config
from cloudoptima.ai.offline import example_questions
from cloudoptima.settings import load_settings
from cloudoptima.spreadsheet import to_csv
from cloudoptima.ui import data
from cloudoptima.ui.format import money_column
from cloudoptima.ui.session import PageContext
from cloudoptima.ui.widgets import guarded

NOT_MONEY = ("findings", "resources", "days", "days_remaining", "increase_pct", "untagged_pct")
ENGINE_NAMES = {"llm": "the language model", "offline": "the offline engine"}


def conversation_key(ctx: PageContext) -> str:
    """The session key of this organisation's conversation."""
    return f"ask_history_{ctx.org}"


def render(ctx: PageContext) -> None:
    """The whole page: engine note, the conversation so far, the input, a new answer."""
    history: list[Answer] = st.session_state.setdefault(conversation_key(ctx), [])
    # The input is pinned to the bottom of the page wherever it is called; read it first so
    # the welcome disappears on the run that asks.
    typed = st.chat_input(
        "Ask about your costs, e.g. top 5 resource groups this month", key="ask_question"
    )
    question = typed or st.session_state.pop("ask_pending", None)
    _engine_note()
    if not history and not question:
        _welcome(ctx)
    for index, answer in enumerate(history):
        with st.chat_message("user"):
            st.text(answer.question)
        with st.chat_message("assistant"):
            show_answer(answer, index)
    if question:
        guarded(lambda: _answer(ctx, str(question), history))
    if history:
        st.button(
            "New conversation", key="ask_clear", on_click=history.clear, icon=":material/refresh:"
        )


def _engine_note() -> None:
    config = llm_config(load_settings())
    if config is None:
        st.caption(
            "Answers come from the offline engine: common FinOps questions, answered with the SQL "
            "it ran. Set OPENAI_API_KEY or OPENAI_BASE_URL to let a language model answer too."
        )
    else:
        st.caption(
            "Answers come from a language model, which queries this workspace through read-only "
            "SQL; the offline engine answers when the model cannot."
        )


def _welcome(ctx: PageContext) -> None:
    span = data.date_range(ctx.ws)
    with st.chat_message("assistant"):
        st.text(
            "Ask about this organisation's costs, recommendations and forecast. Every answer shows "
            "the SQL it ran and the table it rests on. For example:"
        )
        for number, example in enumerate(example_questions(span[1] if span else None)):
            st.button(
                example,
                key=f"ask_example_{number}",
                on_click=_pick,
                args=(example,),
                type="tertiary",
            )


def _pick(question: str) -> None:
    st.session_state["ask_pending"] = question


def _answer(ctx: PageContext, question: str, history: list[Answer]) -> None:
    with st.chat_message("user"):
        st.text(question)
    with st.chat_message("assistant"):
        streamed = st.empty()

        def stream(text: str) -> None:  # the LLM's answer as it arrives, as plain text
            streamed.text(text)

        with st.spinner("Looking it up…"):
            answer = ctx.ws.ask(question, list(history), on_text=stream)
        streamed.empty()
        show_answer(answer, len(history))
    history.append(answer)


def show_answer(answer: Answer, index: int) -> None:
    """One answer: notice, text, chart, table with its CSV, SQL, and the engine that answered."""
    if answer.notice:
        with st.container(border=True):
            st.text(answer.notice)
    st.text(answer.text)
    table = _displayable(answer.table)
    currencies = (
        table["billing_currency"].unique().to_list() if "billing_currency" in table.columns else []
    )
    currency = str(currencies[0]) if len(currencies) == 1 else ""
    if (
        answer.chart
        and currency
        and answer.chart.x in table.columns
        and answer.chart.y in table.columns
    ):
        figure = charts.answer_chart(
            table, answer.chart.kind, answer.chart.x, answer.chart.y, currency
        )
        st.plotly_chart(figure, key=f"ask_chart_{index}", width="stretch")
    if not table.is_empty():
        st.dataframe(
            table, hide_index=True, column_config=_columns(table, currency), width="stretch"
        )
        st.download_button(
            "Download CSV",
            to_csv(table),
            file_name="cloudoptima-answer.csv",
            mime="text/csv",
            key=f"ask_csv_{index}",
            icon=":material/download:",
        )
    if answer.sql:
        with st.expander("SQL"):
            st.code(answer.sql, language="sql")
    st.caption(f"Answered by {ENGINE_NAMES[answer.engine]}.")


def _displayable(table: pl.DataFrame) -> pl.DataFrame:
    """Exact decimals as floats for the table widget and the chart (the CSV keeps them)."""
    return table.with_columns(pl.col(pl.Decimal).cast(pl.Float64))


def _columns(table: pl.DataFrame, currency: str) -> dict[str, ColumnConfig]:
    config: dict[str, ColumnConfig] = {}
    for name, kind in table.schema.items():
        label = name.replace("_", " ").capitalize() if name.islower() else name
        if kind.is_numeric() and currency and name not in NOT_MONEY:
            config[name] = money_column(label, currency)
        elif kind == pl.Date:
            config[name] = st.column_config.DateColumn(label, format="YYYY-MM-DD")
        else:
            config[name] = st.column_config.Column(label)
    return config
