"""Ask: questions in plain language over one workspace.

:func:`ask` answers with the LLM engine (:mod:`cloudoptima.ai.llm`) when one is
configured and the offline engine (:mod:`cloudoptima.ai.offline`) otherwise or when
the model fails. Every statement either engine runs passes the SQL guard
(:mod:`cloudoptima.ai.guard`) and runs in a locked-down sandbox
(:mod:`cloudoptima.ai.sandbox`) over curated views (:mod:`cloudoptima.ai.views`).
"""

from __future__ import annotations

from cloudoptima.ai.answer import Answer, ChartSpec
from cloudoptima.ai.engine import ask
from cloudoptima.ai.llm import LLMConfig, llm_config
from cloudoptima.ai.sandbox import Sources

__all__ = ["Answer", "ChartSpec", "LLMConfig", "Sources", "ask", "llm_config"]
