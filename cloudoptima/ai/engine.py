"""Ask's front door: the LLM engine when one is configured, the offline engine always.

Whatever goes wrong with the model (timeout, 429, 5xx, a malformed tool call, SQL it
could not correct) becomes one sentence in the answer's ``notice`` and the offline
engine answers instead, where it can; nothing reaches the user as a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from cloudoptima.ai.answer import Answer
from cloudoptima.ai.llm import LLMConfig, LLMFailure, TextCallback, answer_with_llm
from cloudoptima.ai.offline import answer_offline
from cloudoptima.ai.sandbox import Sandbox, Sources
from cloudoptima.errors import CloudOptimaError

MAX_QUESTION_CHARS = 2_000
log = logging.getLogger(__name__)


def ask(
    question: str,
    history: Sequence[Answer],
    sources: Sources,
    *,
    llm: LLMConfig | None = None,
    on_text: TextCallback | None = None,
) -> Answer:
    """Answer ``question`` over ``sources``; ``history`` holds the conversation's earlier answers."""
    question = " ".join(question.split())
    if not question:
        raise CloudOptimaError("ask a question, for example: how much did we spend last month?")
    if len(question) > MAX_QUESTION_CHARS:
        raise CloudOptimaError(f"the question is longer than {MAX_QUESTION_CHARS:,} characters")
    if llm is None:
        return _offline(question, history, sources)
    try:
        return answer_with_llm(question, history, Sandbox(sources), llm, on_text)
    except LLMFailure as exc:
        reason = str(exc)
    except Exception as exc:  # never a traceback in the chat: the offline engine still answers
        log.exception("the LLM engine failed")
        reason = f"its reply could not be used ({type(exc).__name__})"
    notice = f"The language model could not answer: {reason}. The offline engine answered instead."
    return replace(_offline(question, history, sources), notice=notice)


def _offline(question: str, history: Sequence[Answer], sources: Sources) -> Answer:
    try:
        return answer_offline(question, [h.question for h in history], Sandbox(sources))
    except CloudOptimaError as exc:
        return Answer(question, f"I could not answer this: {exc}.")
