"""Resources page: the inventory with 30-day cost and findings, search, one resource in detail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from harness import World, frame_with, unescape
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
    assert "effective cost from 2026-10-26 to 2026-11-24, USD" in at.caption[0].value
    table = at.dataframe[0].value
    assert len(table) == 310  # with the look-alikes of issue 8
    assert {"name", "type", "subscription", "cost_30d", "open_findings", "tags"} <= set(
        table.columns
    )
    assert set(table["subscription"]) == set(world.contoso.subscription_names().values())
    assert "Cost, last 30 days (USD)" in at.dataframe[0].proto.columns
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
    assert [unescape(s.value) for s in at.subheader] == ["vm-app-01"]
    assert at.code[0].value == vm  # the id, in detail
    assert "Percentage CPU" in at.selectbox(key="resources_metric").options
    assert at.get("plotly_chart")
    assert "env" in set(frame_with(at, "tag", "value")["tag"])


def test_the_picked_resource_stays_picked_while_a_search_finds_it(
    resources_page: AppTest, world: World
) -> None:
    at = resources_page
    at.text_input(key="resources_search").input("vm-app").run()
    second = world.contoso.sql("SELECT resource_id FROM resources WHERE name = 'vm-app-02'").item()
    at.selectbox(key="resources_pick").set_value(second).run()
    assert [unescape(s.value) for s in at.subheader] == ["vm-app-02"]
    at.text_input(key="resources_search").input("vm-app-0").run()  # still finds it, and others
    assert len(at.dataframe[0].value) > 1
    assert at.selectbox(key="resources_pick").value == second
    assert [unescape(s.value) for s in at.subheader] == ["vm-app-02"]
    at.text_input(key="resources_search").input("vm-app-01").run()  # no longer finds it
    first = at.dataframe[0].value["name"].iloc[0]
    assert first == "nic-vm-app-01"  # the first match, alphabetically
    assert [unescape(s.value) for s in at.subheader] == [first]


def test_idle_vm_shows_its_finding(resources_page: AppTest, world: World) -> None:
    at = resources_page
    idle = world.contoso.findings(rule="idle_vm").row(0, named=True)
    at.text_input(key="resources_search").input(idle["resource_name"]).run()
    at.selectbox(key="resources_pick").set_value(idle["resource_id"].lower()).run()
    assert any(m.value == "Recommendations (1)" for m in at.caption)
    findings = frame_with(at, "title", "status", "rule")
    assert findings["title"].iloc[0] == idle["title"]


def test_viewer_and_a_workspace_without_inventory(app_as: Callable[..., AppTest]) -> None:
    assert not app_as("viewer", page="resources").exception
    bea = app_as("bea", org="beta", page="resources")
    assert not bea.exception
    assert not bea.error
    assert "No inventory yet" in bea.info[0].value
