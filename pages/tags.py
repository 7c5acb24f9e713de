"""Tags and showback: spend with the required tags, and cost allocated by a tag or subscription."""

from __future__ import annotations

import streamlit as st

from cloudoptima.ui.blocks import tags
from cloudoptima.ui.session import page_context
from cloudoptima.ui.widgets import guarded

ctx = page_context()
st.title("Tags and showback")
guarded(lambda: tags.render(ctx))
