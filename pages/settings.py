"""Settings (admin): this organisation's users and roles, analysis settings, what comes later."""

from __future__ import annotations

import json
import re
from typing import Any

import polars as pl
import streamlit as st

from cloudoptima import CloudOptimaError
from cloudoptima.analysis.config import SETTINGS, Setting
from cloudoptima.auth import MAX_LOGIN_ATTEMPTS, ROLES, UserStore
from pages._ui import guarded, page_context, query

ctx = page_context("admin")
st.title(f"Settings · {ctx.org_name}")
store = UserStore()
LATER = ("CLOUDOPTIMA__LLM__BASE_URL", "CLOUDOPTIMA__LLM__API_KEY", "CLOUDOPTIMA__LLM__MODEL", "CLOUDOPTIMA__AZURE__TENANT_ID",
         "CLOUDOPTIMA__AZURE__CLIENT_ID", "CLOUDOPTIMA__AZURE__CLIENT_SECRET")  # fmt: skip


def members() -> dict[str, dict[str, Any]]:
    return {u: v for u, v in store.users().items() if ctx.org in (v.get("organisations") or {})}


def flash(message: str, password: str | None = None) -> None:
    st.session_state["settings_flash"] = (message, password)
    st.rerun()


def users() -> None:
    st.subheader("Users and roles")
    if shown := st.session_state.pop("settings_flash", None):
        st.success(shown[0])
        st.code(shown[1], language=None) if shown[1] else None  # the only time a password shows
    people = members()
    rows = [{"username": u, "name": v.get("name"), "email": v.get("email"), "role": v["organisations"][ctx.org],
             "locked": int(v.get("failed_login_attempts") or 0) >= MAX_LOGIN_ATTEMPTS} for u, v in sorted(people.items())]  # fmt: skip
    st.dataframe(pl.DataFrame(rows), hide_index=True)
    add_user()
    st.caption("Change a user's role, reset their password (the new one is shown once) or remove them.")  # fmt: skip
    who = st.selectbox("User", sorted(people), key="settings_user")
    role = st.selectbox("Role", ROLES, index=ROLES.index(people[who]["organisations"][ctx.org]), key=f"settings_role_{who}")  # fmt: skip
    sure = st.checkbox(f"Yes, remove {who}", key=f"settings_remove_sure_{who}")
    with st.container(horizontal=True):
        if st.button("Change role", key="settings_set_role"):
            guarded(lambda: change_role(who, role))
        if st.button("Reset password", key="settings_reset_password", help="Also lifts a lockout."):
            guarded(lambda: flash(f"New password for {who}, shown only now:", store.reset_password(who)))  # fmt: skip
        if st.button("Remove user", disabled=not sure, key="settings_remove"):
            guarded(lambda: remove(who, people[who]))


def add_user() -> None:
    with st.expander("Add a user"), st.form("settings_add_user", clear_on_submit=True):
        username = st.text_input("Username", key="settings_new_username").strip()
        name = st.text_input("Full name", key="settings_new_name").strip() or None
        email = st.text_input("Email", key="settings_new_email").strip() or None
        role = st.selectbox("Role", ROLES, index=ROLES.index("viewer"), key="settings_new_role")
        if st.form_submit_button("Add user", type="primary", key="settings_add"):
            guarded(lambda: create(username, role, name, email))


def create(username: str, role: str, name: str | None, email: str | None) -> None:
    username = username.lower()  # the login form lower-cases what people type
    if not re.fullmatch(r"[a-z0-9_.@+-]{1,64}", username):
        raise CloudOptimaError("Enter a username of letters, digits and _ . @ + - (up to 64).")
    password = store.add_user(username, org=ctx.org, role=role, name=name, email=email)
    flash(f"Added {username} as {role}. Their password, shown only now:", password)


def change_role(who: str, role: str) -> None:
    if who == ctx.username and role != "admin":
        raise CloudOptimaError("You cannot take away your own admin role; another admin can.")
    store.set_role(who, role, org=ctx.org)
    flash(f"{who} is now {role} in {ctx.org_name}.")


def remove(who: str, user: dict[str, Any]) -> None:
    if who == ctx.username:
        raise CloudOptimaError("You cannot remove yourself; another admin can.")
    if set(user["organisations"]) - {ctx.org}:
        raise CloudOptimaError(f"{who} also belongs to other organisations, and removing deletes the account everywhere: change their role here instead, or run `cloudoptima users remove {who}`.")  # fmt: skip
    store.remove_user(who)
    flash(f"Removed {who}.")


def setting_input(setting: Setting, value: Any) -> Any:
    key, label, help_ = f"settings_{setting.key}", setting.key, setting.description
    if isinstance(setting.default, list):
        text = st.text_input(label, ", ".join(value), help=help_ + " Comma-separated.", key=key)
        return [tag.strip() for tag in text.split(",") if tag.strip()]
    if isinstance(setting.default, dict):
        return st.text_area(label, json.dumps(value), help=help_ + " A JSON object.", key=key)
    if isinstance(setting.default, int):
        return int(st.number_input(label, min_value=0, value=int(value), help=help_, key=key))
    return float(st.number_input(label, min_value=0.0, value=float(value), help=help_, key=key))


def analysis() -> None:
    st.subheader("Analysis settings", help="Thresholds of the recommendation rules and the tags every resource must carry, for this organisation's workspace.")  # fmt: skip
    current = query(ctx.ws, "settings")
    values: dict[str, Any] = {}
    with st.form("settings_analysis"):
        columns = st.columns(2)
        for index, setting in enumerate(
            s for s in SETTINGS if s.key != "budgets"
        ):  # budgets: own form
            with columns[index % 2]:
                values[setting.key] = setting_input(setting, current[setting.key])
        if st.form_submit_button("Save settings", type="primary", key="settings_save"):
            guarded(lambda: save(values, current))


def save(values: dict[str, Any], current: dict[str, Any]) -> None:
    try:  # the JSON objects arrive as text
        values = {k: json.loads(v) if isinstance(v, str) else v for k, v in values.items()}
    except json.JSONDecodeError as exc:
        raise CloudOptimaError(f'Discounts need a JSON object such as {{"D": 0.4}}: {exc}') from exc
    changed = {k: v for k, v in values.items() if v != current[k]}
    for key, value in changed.items():
        ctx.ws.set_setting(key, value)
    flash(f"Saved {len(changed)} changed setting(s); recommendations are recomputed with them." if changed else "Nothing changed.")  # fmt: skip


def budgets() -> None:
    st.subheader("Budgets")
    stored = query(ctx.ws, "settings")["budgets"]
    codes = sorted(set(query(ctx.ws, "totals")["BillingCurrency"].to_list()) | set(stored))
    if not codes:
        st.info("Budgets are set per billing currency once cost data is imported.")
        return
    with st.form("settings_budgets"):
        amounts = {c: st.number_input(f"Monthly budget ({c}, 0: none)", min_value=0.0, step=500.0,
                                      value=float(stored.get(c, 0.0)), key=f"settings_budget_{c}") for c in codes}  # fmt: skip
        if st.form_submit_button("Save budgets"):
            ctx.ws.set_setting("budgets", {c: a for c, a in amounts.items() if a > 0})
            flash("Budgets saved; the Forecast page shows their burn-down.")


def later() -> None:
    st.subheader("LLM endpoint and Azure connections")
    st.info("Not configurable here yet: the LLM endpoint arrives with the Ask issue and Azure connections with the connector issue. Both will be read from the environment or `.streamlit/secrets.toml`, never stored in a workspace:")  # fmt: skip
    st.code("\n".join(LATER), language="bash")


guarded(users)
guarded(analysis)
guarded(budgets)
guarded(later)
