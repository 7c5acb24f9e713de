"""Settings page section (admins): the organisation's Azure connections, their test and sync.

What users typed or Azure answered is shown as text (tables, ``st.text``) or escaped,
never as Markdown; the client secret is a password field, cleared when the form is sent
and never shown again.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import polars as pl
import streamlit as st

from cloudoptima.azure.access import NEEDS, AccessReport
from cloudoptima.azure.connections import Connection, new_connection
from cloudoptima.azure.report import DATASETS, SyncReport
from cloudoptima.errors import CloudOptimaError
from cloudoptima.ui.session import PageContext
from cloudoptima.ui.widgets import empty_state

FLASH = "conn_flash"
CLOUDS = {
    "Azure (public)": "public",
    "Azure US Government": "usgov",
    "Azure China (21Vianet)": "china",
    "Custom endpoints (Azure Stack Hub)": "custom",
}
SIGN_IN = ("Service principal (client secret)", "Default credential (managed identity, az login)")
COLUMNS = {  # what an admin looks for first comes first
    "name": "Name",
    "sign_in": "Sign-in",
    "subscriptions": "Subscriptions",
    "cloud": "Cloud",
    "created_at": "Added (UTC)",
    "created_by": "Added by",
    "tenant_id": "Tenant",
    "client_id": "Client id",
    "ca_bundle": "CA bundle",
}
FORM_KEYS = (
    "conn_secret",
    "conn_name",
    "conn_tenant",
    "conn_client",
    "conn_subscriptions",
    "conn_arm",
    "conn_authority",
    "conn_ca",
)
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain(text: str) -> str:
    """``text`` with Markdown's special characters escaped, for st.error and st.success."""
    return _MARKDOWN.sub(r"\\\1", text)


def shielded(action: Callable[[], None]) -> None:
    """Run ``action``; a user error becomes one escaped sentence, never a traceback."""
    try:
        action()
    except CloudOptimaError as exc:
        st.error(plain(str(exc)))


def render(ctx: PageContext) -> None:
    """The whole section: the list, adding one, and testing, syncing or removing one."""
    st.subheader(
        "Azure connections",
        help="Connect a service principal (Reader, Cost Management Reader and Monitoring Reader "
        "on the subscriptions) or the default credential, then sync inventory, metrics and costs "
        "from Azure instead of uploading exports.",
    )
    if shown := st.session_state.pop(FLASH, None):
        st.success(plain(shown))
        for key in FORM_KEYS:  # the form was sent: forget what was typed, the secret first
            st.session_state.pop(key, None)
    found = ctx.ws.connections.all()
    if found:
        frame = pl.DataFrame([c.describe() for c in found]).select(list(COLUMNS)).rename(COLUMNS)
        st.dataframe(frame, hide_index=True)
    else:
        empty_state(
            "No Azure connection yet. Add one to sync inventory, metrics and costs "
            "straight from Azure."
        )
    add_form(ctx)
    if found:
        shielded(lambda: actions(ctx, found))


def add_form(ctx: PageContext) -> None:
    """A form that adds a connection; the secret is encrypted before it is stored."""
    with st.expander("Add a connection", expanded=False):
        if not ctx.ws.connections.can_store_secrets:
            st.info(
                "A service principal's client secret is stored encrypted, and no encryption key "
                "is configured: set connections.encryption_key (environment variable "
                "CLOUDOPTIMA__CONNECTIONS__ENCRYPTION_KEY); the README says how to make one. "
                "The default credential needs no key."
            )
        with st.form("conn_add", clear_on_submit=True):
            name = st.text_input("Name", key="conn_name", placeholder="contoso-prod")
            sign_in = st.radio("Sign in with", SIGN_IN, key="conn_sign_in", horizontal=True)
            left, right = st.columns(2)
            tenant = left.text_input("Tenant id", key="conn_tenant")
            client = right.text_input("Client id (service principal)", key="conn_client")
            secret = st.text_input(
                "Client secret (service principal)", type="password", key="conn_secret"
            )
            subscriptions = st.text_area(
                "Subscription ids",
                key="conn_subscriptions",
                help="One per line or comma separated. Empty: every subscription it can see.",
            )
            cloud = str(st.selectbox("Cloud", list(CLOUDS), key="conn_cloud"))
            arm, authority = st.columns(2)
            arm_endpoint = arm.text_input("Resource Manager endpoint (custom)", key="conn_arm")
            authority_host = authority.text_input("Token authority (custom)", key="conn_authority")
            ca_bundle = st.text_input(
                "CA bundle file on the server",
                key="conn_ca",
                help="For a proxy that inspects TLS: the PEM file of the CA it signs with.",
            )
            if st.form_submit_button("Add connection", type="primary", key="conn_add_submit"):
                form = {
                    "name": name,
                    "default": sign_in == SIGN_IN[1],
                    "tenant": tenant,
                    "client": client,
                    "subscriptions": subscriptions,
                    "cloud": CLOUDS[cloud],
                    "arm": arm_endpoint,
                    "authority": authority_host,
                    "ca": ca_bundle,
                }
                shielded(lambda: add(ctx, from_form(form), None if form["default"] else secret))


def from_form(form: dict[str, object]) -> Connection:
    """The connection the form describes (checked: each problem is one sentence)."""
    custom = form["cloud"] == "custom"
    text = {k: str(v or "").strip() for k, v in form.items()}
    return new_connection(
        text["name"],
        tenant_id=text["tenant"] or None,
        client_id=None if form["default"] else text["client"] or None,
        default_credential=bool(form["default"]),
        subscriptions=[text["subscriptions"]],
        cloud=None if custom else text["cloud"],
        arm_endpoint=(text["arm"] or None) if custom else None,
        authority_host=(text["authority"] or None) if custom else None,
        ca_bundle=text["ca"] or None,
    )


def add(ctx: PageContext, connection: Connection, secret: str | None) -> None:
    """Store the connection and say so after the rerun."""
    ctx.ws.connections.add(connection, secret, by=ctx.username)
    st.session_state[FLASH] = (
        f"Added the connection {connection.name}. Test it to see what it can read."
    )
    st.rerun()


def actions(ctx: PageContext, found: list[Connection]) -> None:
    """Test, sync or remove one connection."""
    names = [c.name for c in found]
    name = str(st.selectbox("Connection", names, key="conn_pick"))
    left, right = st.columns(2)
    days = int(
        left.number_input(
            "Days back",
            min_value=1,
            max_value=366,
            value=30,
            key="conn_days",
            help="Costs are fetched by whole months back to then; metrics hourly.",
        )
    )
    datasets = right.multiselect("Datasets", DATASETS, default=list(DATASETS), key="conn_only")
    sure = st.checkbox(f"Yes, remove {name}", key=f"conn_remove_sure_{name}")
    with st.container(horizontal=True):
        test = st.button("Test connection", key="conn_test")
        sync = st.button("Sync now", type="primary", key="conn_sync", disabled=not datasets)
        remove = st.button("Remove", key="conn_remove", disabled=not sure)
    if test:
        with st.spinner("Signing in and reading permissions…"):
            show_access(ctx.ws.test_connection(name))
    if sync:
        run_sync(ctx, name, days, datasets)
    if remove:
        ctx.ws.connections.remove(name)
        st.session_state[FLASH] = f"Removed the connection {name} and its stored secret."
        st.rerun()


def show_access(report: AccessReport) -> None:
    """Which roles the identity has on each subscription in scope."""
    if report.ok:
        st.success("Signed in: every subscription grants what a sync needs.")
    else:
        st.warning("Signed in, but something a sync needs is missing (see below).")
    rows = [
        {
            "Subscription": access.subscription.name,
            "Id": access.subscription.id,
            **{
                f"{need.what.capitalize()} ({need.role})": (
                    "granted" if access.granted.get(need.role) else "missing"
                )
                for need in NEEDS
            },
            "Problem": access.error or "",
        }
        for access in report.subscriptions
    ]
    if rows:
        st.dataframe(pl.DataFrame(rows), hide_index=True)
    for missing in report.not_visible:
        st.text(f"{missing}: not visible to this identity (no role on it, or another tenant)")


def run_sync(ctx: PageContext, name: str, days: int, datasets: list[str]) -> None:
    """Sync with a progress bar, then what landed and what did not."""
    bar = st.progress(0.0, text="Starting the sync…")

    def progress(done: float, text: str) -> None:
        bar.progress(done, text=text)

    report = ctx.ws.sync(name, days=days, only=datasets, progress=progress)
    show_sync(report)


def show_sync(report: SyncReport) -> None:
    """The sync's outcome in words and a table of the parts that failed."""
    if report.ok:
        st.success("Sync finished: every part landed. The pages now show the synced data.")
    else:
        st.warning("The sync is incomplete: the parts below failed and kept their previous data.")
    st.text(report.summary())
    for failure in report.failures:  # Azure's words: shown as text, one part per line
        st.text(("Warning: " if not failure.fatal else "") + failure.sentence())
