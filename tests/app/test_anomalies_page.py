"""Anomalies page: the list, the selected spike in context and the resources behind it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from harness import APP, World, preset_login, unescape
from helpers import copy_workspace
from streamlit.testing.v1 import AppTest

from cloudoptima.auth import UserStore


@pytest.fixture
def anomalies_page(app_as: Callable[..., AppTest]) -> AppTest:
    at = app_as("analyst", page="anomalies")
    assert not at.exception
    assert not at.error
    return at


def test_lists_one_row_per_event_with_names(anomalies_page: AppTest, world: World) -> None:
    at = anomalies_page
    listed = at.dataframe[0].value
    events = world.contoso.anomalies()
    assert len(listed) == events.filter(pl.col("status") != "dismissed").height
    assert list(listed.columns) == [
        "date",
        "title",
        "expected",
        "actual",
        "delta",
        "delta_pct",
        "score",
        "status",
    ]
    # the Data Factory spike is one event, though its service and subscription both spiked
    spike = listed[listed["title"].str.startswith("Azure Data Factory")]
    assert len(spike) == 1
    assert spike.iloc[0]["date"].date() == date(2026, 10, 17)
    assert spike.iloc[0]["title"] == "Azure Data Factory in Contoso Pharma Production"
    assert spike.iloc[0]["delta"] == pytest.approx(136.28, abs=0.01)
    assert not listed["title"].str.contains("/subscriptions/").any()  # names, never ids
    assert at.selectbox(key="anomalies_pick").value == 0  # newest, highest score first
    assert unescape(at.subheader[0].value) == (
        "Azure Data Factory in Contoso Pharma Production on 17 October 2026"
    )
    contributors = at.dataframe[1].value
    assert contributors["resource"].iloc[0] == "adf-cp-prod-etl"
    assert contributors["delta"].iloc[0] == pytest.approx(136.13, abs=0.01)
    assert at.get("plotly_chart")


def test_picking_another_anomaly_shows_its_resources(anomalies_page: AppTest) -> None:
    at = anomalies_page
    listed = at.dataframe[0].value
    index = int(listed.index[listed["title"].str.startswith("Virtual Machine Scale Sets")][0])
    at.selectbox(key="anomalies_pick").set_value(index).run()
    assert unescape(at.subheader[0].value).startswith("Virtual Machine Scale Sets")
    assert unescape(at.subheader[0].value).endswith("on 17 July 2026")
    assert any("cost USD " in m.value.lower() or "Cost USD " in m.value for m in at.text)
    assert len(at.dataframe[1].value) >= 1


def test_an_anomaly_is_acknowledged_and_dismissed_like_a_finding(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = copy_workspace(world.contoso, tmp_path / "ws")
    store = UserStore(tmp_path / "credentials.yaml")
    store.add_organisation("contoso", ws.root, "Contoso Pharma")
    store.add_user("ann", org="contoso", role="analyst")
    monkeypatch.setenv("CLOUDOPTIMA__AUTH__CREDENTIALS_FILE", str(store.path))
    at = preset_login(AppTest.from_file(APP, default_timeout=120), "ann", "contoso")
    at.run()
    at.switch_page("pages/anomalies.py").run()
    first = ws.anomalies().row(0, named=True)
    at.radio(key="anomalies_action").set_value("Dismiss").run()
    at.button(key="anomalies_apply").click().run()
    assert "needs a reason" in at.error[0].value  # refused, nothing stored
    assert ws.anomalies().row(0, named=True)["status"] == "open"
    at.text_input(key="anomalies_reason").input("planned data migration")
    at.button(key="anomalies_apply").click().run()
    assert not at.exception
    stored = ws.anomalies().filter(pl.col("anomaly_id") == first["anomaly_id"]).row(0, named=True)
    assert (stored["status"], stored["status_reason"]) == ("dismissed", "planned data migration")
    assert first["title"] not in set(at.dataframe[0].value["title"])  # dismissed: out of the list
    assert len(at.dataframe[0].value) == ws.anomalies(status="open").height


def test_viewer_and_a_workspace_with_too_little_history(app_as: Callable[..., AppTest]) -> None:
    viewer = app_as("viewer", page="anomalies")
    assert not viewer.exception
    assert viewer.dataframe
    bea = app_as("bea", org="beta", page="anomalies")
    assert not bea.exception
    assert not bea.error
    assert "28 days of history" in bea.info[0].value
