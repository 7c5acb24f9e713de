"""Ask: questions about costs in plain language, as a chat (analysts and admins)."""

from __future__ import annotations

import streamlit as st

from cloudoptima.ui.blocks import ask
from cloudoptima.ui.session import page_context
from cloudoptima.ui.widgets import guarded

ctx = page_context("analyse")
st.title(f"Ask · {ctx.org_name}")
guarded(lambda: ask.render(ctx))
