"""The report's executive summary written by the configured language model.

The report checks every figure of the text against its computed figures and keeps its
own plain paragraph when one does not match, or when the model fails: the model only
rewords, it is never the source of a number.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cloudoptima.ai.llm import LLMConfig, LLMFailure, llm_config, make_client
from cloudoptima.settings import load_settings

SYSTEM = (
    "You write short executive summaries of cloud cost for finance readers. Use only the "
    "figures given, exactly as written; never compute, round or invent a number or a date."
)


def llm_summariser() -> Callable[[Any], str] | None:
    """A summariser for :meth:`cloudoptima.Workspace.report`, or None without an LLM."""
    config = llm_config(load_settings())
    if config is None:
        return None
    return lambda request: summarise(config, request.prompt())


def summarise(config: LLMConfig, prompt: str) -> str:
    """The model's summary of ``prompt``; :class:`LLMFailure` when it cannot answer."""
    client = make_client(config)
    try:
        response = client.chat.completions.create(
            model=config.model,
            messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}],
            timeout=config.time_budget,
        )
    except Exception as exc:  # the client raises many types; each becomes one sentence
        raise LLMFailure(
            f"the language model could not write the summary ({type(exc).__name__})"
        ) from None
    text = response.choices[0].message.content if response.choices else None
    if not text:
        raise LLMFailure("the language model returned no summary")
    return str(text).strip()
