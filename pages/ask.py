"""Placeholder until this page lands in this change."""

from __future__ import annotations

import streamlit as st

from pages._ui import page_context

ctx = page_context()
st.title("ask")
