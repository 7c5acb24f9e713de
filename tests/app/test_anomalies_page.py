"""Anomalies page: the list, the selected spike in context and the resources behind it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from harness import World, unescape
from streamlit.testing.v1 import AppTest


@pytest.fixture
def anomalies_page(app_as: Callable[..., AppTest]) -> AppTest:
    at = app_as("analyst", page="anomalies")
    assert not at.exception
    assert not at.error
    return at


def test_lists_the_data_factory_spike_with_its_contributor(
    anomalies_page: AppTest, world: World
) -> None:
    at = anomalies_page
    listed = at.dataframe[0].value
    assert len(listed) == world.contoso.anomalies().height
    assert list(listed.columns) == [
        "date",
        "dimension",
        "name",
        "expected",
        "actual",
        "delta",
        "delta_pct",
        "score",
    ]
    spike = listed[(listed["name"] == "Azure Data Factory")].iloc[0]
    assert spike["date"].date() == date(2026, 10, 17)
    assert spike["dimension"] == "Service"
    # subscriptions by name, never by id
    assert not listed["name"].str.startswith("/subscriptions/").any()
    assert "Contoso Pharma Production" in set(listed["name"])
    assert spike["delta"] == pytest.approx(136.28, abs=0.01)
    assert at.selectbox(key="anomalies_pick").value == 0  # newest, highest score first
    assert unescape(at.subheader[0].value) == "Azure Data Factory on 17 October 2026"
    contributors = at.dataframe[1].value
    assert contributors["resource"].iloc[0] == "adf-cp-prod-etl"
    assert contributors["delta"].iloc[0] == pytest.approx(136.13, abs=0.01)
    assert at.get("plotly_chart")


def test_picking_another_anomaly_shows_its_resources(anomalies_page: AppTest) -> None:
    at = anomalies_page
    listed = at.dataframe[0].value
    index = int(listed.index[listed["name"] == "Virtual Machine Scale Sets"][0])
    at.selectbox(key="anomalies_pick").set_value(index).run()
    assert unescape(at.subheader[0].value) == "Virtual Machine Scale Sets on 17 July 2026"
    assert any("cost USD " in m.value for m in at.text)
    assert len(at.dataframe[1].value) >= 1


def test_viewer_and_a_workspace_with_too_little_history(app_as: Callable[..., AppTest]) -> None:
    viewer = app_as("viewer", page="anomalies")
    assert not viewer.exception
    assert viewer.dataframe
    bea = app_as("bea", org="beta", page="anomalies")
    assert not bea.exception
    assert not bea.error
    assert "28 days of history" in bea.info[0].value
