"""Small widgets the pages share: error guard, empty states, the currency picker."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from cloudoptima.errors import CloudOptimaError


def guarded(render: Callable[[], None]) -> None:
    """Run a page body; user errors become a plain st.error, never a traceback."""
    try:
        render()
    except CloudOptimaError as exc:
        st.error(str(exc))


def empty_state(message: str) -> None:
    """Tell the user what to do next when there is nothing to show."""
    st.info(message)


def pick_currency(options: list[str], key: str) -> str:
    """One billing currency to show (amounts are never added across currencies).

    ``options`` come largest first; a picker appears only when there are several.
    """
    if len(options) == 1:
        return options[0]
    picked = st.segmented_control("Billing currency", options, default=options[0], key=key)
    return str(picked or options[0])
