"""Recommendations page: the demo's findings, filters, detail, status changes by role, exports."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from harness import frame_with, unescape
from helpers import copy_workspace
from streamlit.testing.v1 import AppTest

from cloudoptima import Workspace
from cloudoptima.auth import UserStore

STATUS_KEYS = ("recommendations_action", "recommendations_reason", "recommendations_apply")


@pytest.fixture
def private(
    demo_workspace: Workspace,
    app_as: Callable[..., AppTest],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Workspace, Callable[..., AppTest]]:
    """A copy of the demo estate and its own credentials file: tests here may change data."""
    contoso = copy_workspace(demo_workspace, tmp_path / "contoso")
    store = UserStore(tmp_path / "credentials.yaml")
    store.add_organisation("contoso", contoso.root, "Contoso Pharma")
    for name in ("admin", "analyst", "viewer"):
        store.add_user(name, org="contoso", role=name)
    monkeypatch.setenv("CLOUDOPTIMA__AUTH__CREDENTIALS_FILE", str(store.path))
    return contoso, app_as


def table(at: AppTest) -> Any:
    """The recommendations table as a pandas frame."""
    return frame_with(at, "finding_id", "title", "subscription")


def test_lists_the_open_demo_findings_with_savings_and_export(
    app_as: Callable[..., AppTest],
) -> None:
    at = app_as("analyst", page="recommendations")
    assert not at.exception
    assert len(table(at)) == 75  # reservations now come as 9 size-and-region groups, not 19 VMs
    assert set(table(at)["status"]) == {"open"}
    assert at.metric[0].value == "75"
    assert at.metric[1].label == "Potential savings (USD)"
    assert at.download_button(key="recommendations_csv").label == "Download CSV"
    headers = next(d for d in at.dataframe if "finding_id" in d.value.columns).proto.columns
    assert "Monthly saving (USD)" in headers
    # subscriptions by name, rules by title
    assert set(table(at)["subscription"]) == {
        "Contoso Pharma Production",
        "Contoso Pharma Dev-Test",
        "Contoso Pharma Shared Services",
        "(several subscriptions)",  # a reservation candidate groups VMs of several
    }
    rules = at.selectbox(key="recommendations_rule")
    assert "Shut down or delete an idle virtual machine (idle_vm)" in rules.options
    assert "No resolved recommendations yet" in at.info[0].value


def test_rule_filter_and_detail_with_command_and_evidence(app_as: Callable[..., AppTest]) -> None:
    at = app_as("analyst", page="recommendations")
    at.selectbox(key="recommendations_rule").set_value("idle_vm").run()
    rows = table(at)
    assert len(rows) == 3
    assert set(rows["rule"]) == {"idle_vm"}
    code = [c.value for c in at.code if c.language == "bash"]
    assert code
    assert code[0].startswith("az vm deallocate --ids /subscriptions/")
    assert "cpu_max_p95_percent" in at.json[0].value
    assert at.selectbox(key="recommendations_finding").value in set(rows["finding_id"])


def test_analyst_dismisses_a_finding_with_a_reason(private: tuple) -> None:
    ws, app_as = private
    at = app_as("analyst", page="recommendations")
    at.selectbox(key="recommendations_rule").set_value("idle_vm").run()
    chosen = at.selectbox(key="recommendations_finding").value
    at.radio(key="recommendations_action").set_value("Dismiss").run()
    at.button(key="recommendations_apply").click().run()
    assert "needs a reason" in unescape(at.error[0].value)
    at.text_input(key="recommendations_reason").set_value("ML sandbox, kept on purpose")
    at.button(key="recommendations_apply").click().run()
    assert not at.exception
    assert "now dismissed" in unescape(at.success[0].value)
    assert len(table(at)) == 2
    at.selectbox(key="recommendations_status").set_value("dismissed").run()
    rows = table(at)
    assert list(rows["finding_id"]) == [chosen]
    assert list(rows["status"]) == ["dismissed"]
    labels = [m.label for m in at.metric]
    assert "Savings set aside (dismissed) (USD)" in labels
    assert not any(label.startswith("Potential savings") for label in labels)
    stored = ws.findings(status="dismissed").row(0, named=True)
    assert stored["status_reason"] == "ML sandbox, kept on purpose"


def test_viewer_sees_findings_but_no_status_controls(app_as: Callable[..., AppTest]) -> None:
    at = app_as("viewer", page="recommendations")
    assert not at.exception
    assert len(table(at)) == 75
    assert any(c.language == "bash" for c in at.code)
    assert not at.radio
    assert not at.text_input
    assert not at.date_input
    assert all(b.key != "recommendations_apply" and b.label != "Apply" for b in at.button)
    assert "Change status" not in [s.value for s in at.subheader]


def test_resolved_finding_shows_in_realized_savings(private: tuple) -> None:
    ws, app_as = private
    at = app_as("admin", page="recommendations")
    at.selectbox(key="recommendations_rule").set_value("idle_vm").run()
    chosen = at.selectbox(key="recommendations_finding").value
    at.radio(key="recommendations_action").set_value("Resolve").run()
    at.date_input(key="recommendations_on").set_value(date(2026, 10, 25))
    at.button(key="recommendations_apply").click().run()
    assert not at.exception
    assert "now resolved" in unescape(at.success[0].value)
    realized = frame_with(at, "realized_monthly_savings")
    assert list(realized["rule"]) == ["idle_vm"]
    assert list(realized["days_after"]) == [30]
    assert at.metric[-1].label == "Realized (USD)"
    assert ws.findings(status="resolved")["finding_id"].to_list() == [chosen]


def test_a_snooze_in_the_past_is_refused_with_a_sentence(private: tuple) -> None:
    ws, app_as = private
    at = app_as("analyst", page="recommendations")
    chosen = at.selectbox(key="recommendations_finding").value
    at.radio(key="recommendations_action").set_value("Snooze").run()
    picker = at.date_input(key="recommendations_until")
    assert picker.value > date.today()
    picker.set_value(date.today() - timedelta(days=3))
    at.button(key="recommendations_apply").click().run()
    assert not at.exception
    message = unescape(at.error[0].value)
    assert message.startswith("A snooze must end in the future: pick a day after today")
    assert message.endswith(".")
    assert ws.findings().filter(pl.col("finding_id") == chosen)["status"][0] == "open"
    at.date_input(key="recommendations_until").set_value(date.today() + timedelta(days=10))
    at.button(key="recommendations_apply").click().run()
    assert "now snoozed" in unescape(at.success[0].value)
    assert ws.findings().filter(pl.col("finding_id") == chosen)["status"][0] == "snoozed"
