"""What every page shares: who is asking, their workspace, cached queries, formats.

The organisation a page shows is re-derived on every run from the logged-in user
and the credentials file; nothing from the URL or a widget is trusted for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl
import streamlit as st

from cloudoptima import CloudOptimaError, Workspace
from cloudoptima.auth import UserStore, allowed

CACHE_TTL = "10m"


@dataclass(frozen=True)
class PageContext:
    """The workspace a page may read and the role that says what it may change."""

    ws: Workspace
    username: str
    org: str
    org_name: str
    role: str

    def can(self, action: str) -> bool:
        return allowed(self.role, action)


@st.cache_resource(show_spinner=False)
def open_workspace(path: str) -> Workspace:
    """One Workspace per folder for the server; queries take their own cursor."""
    return Workspace.open(path)


def page_context(action: str = "view") -> PageContext:
    """The current user's organisation and role, or stop the page."""
    username = (
        st.session_state.get("username") if st.session_state.get("authentication_status") else None
    )
    if not username:
        st.warning("Please log in first.")
        st.stop()
    store = UserStore()
    org = st.session_state.get("co_org")
    role = store.role(username, org)
    organisation = store.organisations().get(org or "")
    if role is None or organisation is None:
        st.error("You are not a member of this organisation.")
        st.stop()
    if not allowed(role, action):
        st.error(f"Your role ({role}) cannot open this page.")
        st.stop()
    return PageContext(
        open_workspace(str(organisation.workspace)), username, org, organisation.name, role
    )


@st.cache_data(ttl=CACHE_TTL, max_entries=256, show_spinner=False)
def _cached_call(path: str, version: int, method: str, **arguments: Any) -> Any:
    del version  # part of the cache key only: a new data version is a new entry
    return getattr(open_workspace(path), method)(**arguments)


def query(ws: Workspace, method: str, **arguments: Any) -> Any:
    """Call a Workspace method, cached per data version so an import shows at once."""
    return _cached_call(str(ws.root), ws.data_version, method, **arguments)


def guarded(render: Callable[[], None]) -> None:
    """Run a page body; user errors become a plain st.error, never a traceback."""
    try:
        render()
    except CloudOptimaError as exc:
        st.error(str(exc))


def money(value: Any, currency: str) -> str:
    """A money amount in its billing currency: 'USD 1,234.56'."""
    return f"{currency} {float(value or 0):,.2f}"


def empty_state(message: str) -> None:
    """Tell the user what to do next when there is nothing to show."""
    st.info(message)


def pick_currency(options: list[str], key: str) -> str:
    """One billing currency to show (amounts are never added across currencies).

    ``options`` come largest first; a picker appears only when there are several.
    """
    if len(options) == 1:
        return options[0]
    return str(
        st.segmented_control("Billing currency", options, default=options[0], key=key) or options[0]
    )


def currencies_by_size(totals: pl.DataFrame) -> list[str]:
    """Billing currencies of ``ws.totals()``, the one with most cost rows first."""
    return [str(c) for c in totals.sort("rows", descending=True)["BillingCurrency"].to_list()]


def currencies(frame: pl.DataFrame) -> list[str]:
    return (
        sorted(frame.get_column("BillingCurrency").drop_nulls().unique().to_list())
        if frame.height
        else []
    )
