"""Resources page: the inventory with 30-day cost and findings, search, one resource in detail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from harness import World
from streamlit.testing.v1 import AppTest


@pytest.fixture
def resources_page(app_as: Callable[..., AppTest]) -> AppTest:
    at = app_as("analyst", page="resources")
    assert not at.exception
    assert not at.error
    return at


def test_inventory_lists_every_resource_with_cost_and_findings(
    resources_page: AppTest, world: World
) -> None:
    at = resources_page
    assert at.caption[0].value.startswith("310 of 310 resources")
    assert "2026-10-26 to 2026-11-24 in USD" in at.caption[0].value
    table = at.dataframe[0].value
    assert len(table) == 310  # with the look-alikes of issue 8
    assert {"name", "type", "cost_30d", "open_findings", "tags"} <= set(table.columns)
    costs = world.contoso.costs(
        "ResourceId", start=date(2026, 10, 26), end=date(2026, 11, 24), metric="EffectiveCost"
    )
    assert table["cost_30d"].sum() == pytest.approx(float(costs["EffectiveCost"].sum()), rel=1e-6)
    # a reservation recommendation stands for a group of VMs, not for one inventory resource
    inventory = set(world.contoso.sql("SELECT resource_id FROM resources")["resource_id"])
    open_findings = world.contoso.findings(status="open")["resource_id"].to_list()
    assert table["open_findings"].sum() == sum(rid in inventory for rid in open_findings)


def test_search_narrows_and_detail_shows_a_resource(resources_page: AppTest, world: World) -> None:
    at = resources_page
    at.text_input(key="resources_search").input("vm-app").run()
    table = at.dataframe[0].value
    assert 0 < len(table) < 310
    assert table["name"].str.contains("vm-app").all()
    assert at.caption[0].value.startswith(f"{len(table)} of 310 resources")
    assert any(o.startswith("vm-app-01 · ") for o in at.selectbox(key="resources_pick").options)
    vm = world.contoso.sql("SELECT resource_id FROM resources WHERE name = 'vm-app-01'").item()
    at.selectbox(key="resources_pick").set_value(vm).run()
    assert any(s.value == "vm-app-01" for s in at.subheader)
    assert "Percentage CPU" in at.selectbox(key="resources_metric").options
    assert at.get("plotly_chart")
    assert '"env"' in at.json[0].value


def test_idle_vm_shows_its_finding(resources_page: AppTest, world: World) -> None:
    at = resources_page
    idle = world.contoso.findings(rule="idle_vm").row(0, named=True)
    at.text_input(key="resources_search").input(idle["resource_name"]).run()
    at.selectbox(key="resources_pick").set_value(idle["resource_id"].lower()).run()
    assert any(m.value == "Findings (1)" for m in at.caption)
    findings = at.dataframe[2].value
    assert findings["title"].iloc[0] == idle["title"]


def test_viewer_and_a_workspace_without_inventory(app_as: Callable[..., AppTest]) -> None:
    assert not app_as("viewer", page="resources").exception
    bea = app_as("bea", org="beta", page="resources")
    assert not bea.exception
    assert not bea.error
    assert "No inventory yet" in bea.info[0].value
