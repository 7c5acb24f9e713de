"""Settings (admin): this organisation's users and roles, analysis settings and budgets."""

from __future__ import annotations

import streamlit as st

from cloudoptima.ui.blocks import settings_admin
from cloudoptima.ui.format import plain
from cloudoptima.ui.session import page_context

ctx = page_context("admin")
st.title(f"Settings · {plain(ctx.org_name)}")
settings_admin.render(ctx)
