"""Imported names stay text on every page: no Markdown image, link or HTML from a file.

The workspace's resource, group, service, subscription and tag names carry Markdown
images, links and HTML (tests/hostile.py). Every element Streamlit renders as Markdown
(titles, captions, alerts, widget and metric labels) must hold them escaped, charts
must hold them as entities, and the names must still be on the page as text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import nodes, page_text
from hostile import EVIL_HOST, GROUP, RESOURCE, SERVICE, TAG_KEY, hostile_workspace
from streamlit.testing.v1 import AppTest

from cloudoptima import Workspace
from cloudoptima.auth import UserStore

# Element types whose text Streamlit renders as Markdown.
MARKDOWN = {"title", "header", "subheader", "markdown", "caption", "success", "info"}
MARKDOWN |= {"warning", "error", "toast", "expandable", "tab"}
RAW = ("](http", "<img", "<b>", "<a ", "://")  # "://": GitHub autolinks bare URLs


@pytest.fixture(scope="module")
def hostile(demo_workspace: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Credentials for an admin of the hostile workspace."""
    root = tmp_path_factory.mktemp("hostile")
    ws = hostile_workspace(demo_workspace, root / "ws")
    store = UserStore(root / "credentials.yaml")
    store.add_organisation("contoso", ws.root, "Contoso Pharma")
    store.add_user("admin", org="contoso", role="admin")
    return store.path


@pytest.fixture
def page(
    hostile: Path, app_as: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch
) -> Callable[[str], AppTest]:
    monkeypatch.setenv("CLOUDOPTIMA__AUTH__CREDENTIALS_FILE", str(hostile))
    return lambda name: app_as("admin", page=name)


def markdown_texts(at: AppTest) -> Iterator[str]:
    """The raw source of everything rendered as Markdown, labels included."""
    for node in nodes(at):
        kind = getattr(node, "type", "")
        if kind in MARKDOWN and isinstance(getattr(node, "value", None), str):
            yield node.value
        label = getattr(node, "label", None)
        if isinstance(label, str):
            yield label
        proto = getattr(node, "proto", None)
        if kind == "plotly_chart" and proto is not None:
            yield from _strings(json.loads(proto.spec))


def _strings(value: Any) -> Iterator[str]:
    """Every string in a decoded Plotly figure (plotly draws a subset of HTML)."""
    if isinstance(value, str):
        yield value.replace("](http", "").replace("://", "")  # plotly draws HTML, not Markdown
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def assert_safe(at: AppTest, where: str) -> None:
    assert not at.exception, (where, [e.value for e in at.exception])
    for text in markdown_texts(at):
        for raw in RAW:
            assert raw not in text, (where, raw, text[:200])
    assert EVIL_HOST in page_text(at), (where, "the hostile names are not shown at all")


def test_overview_and_cost_explorer(page: Callable[[str], AppTest]) -> None:
    at = page("overview")
    assert_safe(at, "overview")  # top services chart, subscription names
    at = page("costs")
    at.selectbox(key="costs_by").set_value("x_ResourceGroupName").run()
    at.selectbox(key="costs_by2").set_value(f"tag:{TAG_KEY}").run()
    assert_safe(at, "costs grouped by hostile group and tag")
    at.selectbox(key="costs_tag_key").set_value(TAG_KEY).run()
    assert_safe(at, "costs filtered by a hostile tag key")
    at.selectbox(key="costs_by").set_value("ResourceId").run()
    assert_safe(at, "costs by resource")


def test_recommendations_detail(page: Callable[[str], AppTest]) -> None:
    at = page("recommendations")
    at.selectbox(key="recommendations_rule").set_value("idle_vm").run()
    picker = at.selectbox(key="recommendations_finding")
    hostile = next(o for o in picker.options if o.startswith(RESOURCE))
    picker.select(hostile).run()
    assert_safe(at, "recommendation detail")
    assert any(GROUP in t.value for t in at.text)  # shown, as text
    at.radio(key="recommendations_action").set_value("Dismiss").run()
    at.text_input(key="recommendations_reason").set_value(f"kept {TAG_KEY}")
    at.button(key="recommendations_apply").click().run()
    assert_safe(at, "after a status change")  # the confirmation quotes the name


def test_resources_anomalies_forecast(page: Callable[[str], AppTest]) -> None:
    at = page("resources")
    at.text_input(key="resources_search").input(EVIL_HOST).run()
    assert_safe(at, "resource detail")
    at = page("anomalies")
    assert_safe(at, "anomaly detail")  # the newest spike is the hostile service's
    at = page("forecast")
    at.segmented_control(key="forecast_by").set_value("ServiceName").run()
    at.selectbox(key="forecast_series_ServiceName").set_value(SERVICE).run()
    assert_safe(at, "forecast of a hostile service")


def test_tags_rates_and_data(page: Callable[[str], AppTest]) -> None:
    at = page("tags")
    at.selectbox(key="tags_showback_by").set_value("team").run()
    assert_safe(at, "showback by team")
    at.selectbox(key="tags_showback_by").set_value(TAG_KEY).run()
    assert not at.exception
    at = page("data")
    assert_safe(at, "data coverage")
    at = page("rates")
    assert not at.exception
