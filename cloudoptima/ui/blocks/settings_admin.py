"""Settings page sections (admins): the organisation's users, analysis settings, budgets."""

from __future__ import annotations

import json
from typing import Any

import polars as pl
import streamlit as st

from cloudoptima.analysis.config import SETTINGS, Setting
from cloudoptima.auth import ROLES, UserStore
from cloudoptima.auth.admin import OrganisationAdmin
from cloudoptima.errors import CloudOptimaError
from cloudoptima.ui import data
from cloudoptima.ui.format import plain
from cloudoptima.ui.session import PageContext
from cloudoptima.ui.widgets import guarded, table

FLASH = "settings_flash"


def flash(message: str, password: str | None = None) -> None:
    """Show ``message`` (and a password, this once) after the rerun."""
    st.session_state[FLASH] = (message, password)
    st.rerun()


def users(ctx: PageContext) -> None:
    """Members of the organisation, adding one, and changing one."""
    store = UserStore()
    admin = OrganisationAdmin(store, ctx.username, ctx.org)
    st.subheader("Users and roles")
    if shown := st.session_state.pop(FLASH, None):
        st.success(plain(shown[0]))
        if shown[1]:
            st.code(shown[1], language=None)  # the only time a password shows
    members = store.members(ctx.org)
    table(
        pl.DataFrame(members), labels={"username": "Username", "email": "E-mail"}, width="content"
    )
    add_user(admin)
    st.caption(
        "Change a user's role, reset their password (the new one is shown once) or remove them."
    )
    roles = {m["username"]: m["role"] for m in members}
    locked = {m["username"] for m in members if m["locked"]}
    who = str(st.selectbox("User", list(roles), key="settings_user"))
    role = str(
        st.selectbox("Role", ROLES, index=ROLES.index(roles[who]), key=f"settings_role_{who}")
    )
    sure = st.checkbox(plain(f"Yes, remove {who}"), key=f"settings_remove_sure_{who}")
    with st.container(horizontal=True):
        if st.button("Change role", key="settings_set_role"):
            guarded(lambda: change_role(admin, who, role, ctx.org_name))
        if st.button("Reset password", key="settings_reset_password", help="Also lifts a lockout."):
            guarded(
                lambda: flash(f"New password for {who}, shown only now:", admin.reset_password(who))
            )
        if st.button("Remove user", disabled=not sure, key="settings_remove"):
            guarded(lambda: remove(admin, who))
        if who in locked and st.button(
            "Unlock", key="settings_unlock", help="Lifts the lockout; the password stays."
        ):
            guarded(lambda: unlock(admin, who))


def change_role(admin: OrganisationAdmin, who: str, role: str, org_name: str) -> None:
    """Give a member another role here."""
    admin.set_role(who, role)
    flash(f"{who} is now {role} in {org_name}.")


def remove(admin: OrganisationAdmin, who: str) -> None:
    """Delete a member's account."""
    admin.remove(who)
    flash(f"Removed {who}.")


def unlock(admin: OrganisationAdmin, who: str) -> None:
    """Lift a member's lockout."""
    admin.unlock(who)
    flash(f"Unlocked {who}.")


def add_user(admin: OrganisationAdmin) -> None:
    """A form that adds a member with a random password, shown once."""
    with st.expander("Add a user"), st.form("settings_add_user", clear_on_submit=True):
        username = st.text_input("Username", key="settings_new_username").strip()
        name = st.text_input("Full name", key="settings_new_name").strip() or None
        email = st.text_input("Email", key="settings_new_email").strip() or None
        role = str(
            st.selectbox("Role", ROLES, index=ROLES.index("viewer"), key="settings_new_role")
        )
        if st.form_submit_button("Add user", type="primary", key="settings_add"):
            guarded(lambda: create(admin, username, role, name, email))


def create(
    admin: OrganisationAdmin, username: str, role: str, name: str | None, email: str | None
) -> None:
    """Add the user and show their password once (an existing account keeps its own)."""
    password = admin.add_user(username, role, name=name, email=email)
    if password is None:
        flash(f"Added the existing account {username.lower()} as {role}; its password stays.")
    else:
        flash(f"Added {username.lower()} as {role}. Their password, shown only now:", password)


# How the parts of a setting's key read on screen.
TOKENS = {"vm": "VM", "cpu": "CPU", "dtu": "DTU", "gb": "GB", "mb": "MB", "sql": "SQL"}
TOKENS |= {"p95": "P95", "p99": "P99", "percent": "%", "app": "App"}


def setting_label(key: str) -> str:
    """'idle_vm.cpu_p95_percent' -> 'Idle VM: CPU P95 %'."""
    parts = [" ".join(TOKENS.get(t, t) for t in part.split("_")) for part in key.split(".")]
    return ": ".join(p[:1].upper() + p[1:] for p in parts)


def setting_input(setting: Setting, value: Any) -> Any:
    """The input widget of one setting, by the type of its default."""
    key, label = f"settings_{setting.key}", setting_label(setting.key)
    help_ = f"{setting.description} (setting `{setting.key}`)"
    if isinstance(setting.default, list):
        text = st.text_input(label, ", ".join(value), help=help_ + " Comma-separated.", key=key)
        return [tag.strip() for tag in text.split(",") if tag.strip()]
    if isinstance(setting.default, dict):
        return st.text_area(label, json.dumps(value), help=help_ + " A JSON object.", key=key)
    if isinstance(setting.default, int):
        return int(st.number_input(label, min_value=0, value=int(value), help=help_, key=key))
    return float(st.number_input(label, min_value=0.0, value=float(value), help=help_, key=key))


def analysis(ctx: PageContext) -> None:
    """Rule thresholds and required tags of this workspace."""
    st.subheader(
        "Analysis settings",
        help="Thresholds of the recommendation rules and the tags every resource "
        "must carry, for this organisation's workspace.",
    )
    current = data.settings(ctx.ws)
    values: dict[str, Any] = {}
    with st.form("settings_analysis"):
        columns = st.columns(2)
        for index, setting in enumerate(
            s for s in SETTINGS if s.key != "budgets"
        ):  # budgets: own form
            with columns[index % 2]:
                values[setting.key] = setting_input(setting, current[setting.key])
        if st.form_submit_button("Save settings", type="primary", key="settings_save"):
            guarded(lambda: save(ctx, values, current))


def save(ctx: PageContext, values: dict[str, Any], current: dict[str, Any]) -> None:
    """Store the settings that changed (recommendations are recomputed with them)."""
    try:  # the JSON objects arrive as text
        values = {k: json.loads(v) if isinstance(v, str) else v for k, v in values.items()}
    except json.JSONDecodeError as exc:
        raise CloudOptimaError(f'Discounts need a JSON object such as {{"D": 0.4}}: {exc}') from exc
    changed = {k: v for k, v in values.items() if v != current[k]}
    for key, value in changed.items():
        ctx.ws.set_setting(key, value)
    flash(
        f"Saved {len(changed)} changed setting(s); recommendations are recomputed with them."
        if changed
        else "Nothing changed."
    )


def budgets(ctx: PageContext) -> None:
    """A monthly budget per billing currency."""
    st.subheader("Budgets")
    stored = data.settings(ctx.ws)["budgets"]
    codes = sorted(set(data.currencies(ctx.ws)) | set(stored))
    if not codes:
        st.info("Budgets are set per billing currency once cost data is imported.")
        return
    with st.form("settings_budgets"):
        amounts = {
            c: st.number_input(
                f"Monthly budget ({c}, 0: none)",
                min_value=0.0,
                step=500.0,
                value=float(stored.get(c, 0.0)),
                key=f"settings_budget_{c}",
            )
            for c in codes
        }
        if st.form_submit_button("Save budgets"):
            ctx.ws.set_setting("budgets", {c: a for c, a in amounts.items() if a > 0})
            flash("Budgets saved; the Forecast page shows their burn-down.")


def render(ctx: PageContext) -> None:
    """The whole settings page for the page's organisation."""
    guarded(lambda: users(ctx))
    guarded(lambda: analysis(ctx))
    guarded(lambda: budgets(ctx))
    from cloudoptima.ui.blocks import connections  # live Azure: its own module

    connections.render(ctx)
