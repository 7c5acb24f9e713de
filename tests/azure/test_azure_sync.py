"""A sync against the fake Azure: what lands, retries, failures per subscription, atomicity."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import fake_estate as estate
import polars as pl
import pytest
from conftest import FAST, add_prod
from fake_azure import FakeAzure

from cloudoptima import Workspace
from cloudoptima.azure import sync as sync_module
from cloudoptima.azure.options import SyncOptions


def cost_totals(ws: Workspace) -> dict[str, tuple[float, float]]:
    """Billed and effective cost per subscription GUID."""
    frame = ws.sql(
        """SELECT lower(split_part(SubAccountId, '/', 3)) AS sub, sum(BilledCost)::DOUBLE AS billed,
                  sum(EffectiveCost)::DOUBLE AS effective FROM costs GROUP BY ALL"""
    )
    return {
        r["sub"]: (round(r["billed"], 6), round(r["effective"], 6))
        for r in frame.iter_rows(named=True)
    }


def test_a_sync_lands_what_the_fake_served(connected: Workspace, fake: FakeAzure) -> None:
    fractions: list[float] = []
    report = connected.sync(days=10, options=FAST, progress=lambda f, _: fractions.append(f))

    resources = connected.resources()
    expected = {r.id.lower() for r in estate.RESOURCES if r.sub != estate.SUB_LOCKED}
    assert set(resources["resource_id"]) == expected
    power = dict(
        connected.sql(
            "SELECT name, power_state FROM resources WHERE type LIKE '%virtualmachines'"
        ).iter_rows()
    )
    assert power == {
        "vm-idle": "running",
        "vm-busy": "running",
        "vm-off": "deallocated",
        "vm-dev": "running",
    }
    assert fake.requests("GET", "vm-busy/instanceView")
    assert not fake.requests("GET", "vm-idle/instanceView")
    assert len(fake.requests("POST", "resourcegraph")) >= 3  # pages followed by $skipToken

    for sub in (estate.SUB_PROD, estate.SUB_DEV):
        totals = cost_totals(connected)[sub]
        assert totals == (
            fake.served_total(sub, "ActualCost"),
            fake.served_total(sub, "AmortizedCost"),
        )
    assert estate.SUB_LOCKED not in cost_totals(connected)
    assert len(fake.requests("POST", "costmanagement/query")) > 4  # nextLink pages

    cpu = connected.sql(
        "SELECT timestamp, maximum FROM metrics WHERE metric = 'Percentage CPU' AND resource_id LIKE '%vm-idle' ORDER BY 1"
    )
    idle = estate.resource(
        f"/subscriptions/{estate.SUB_PROD}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-idle"
    )
    assert idle is not None
    assert cpu.height == 10 * 24
    assert cpu["maximum"].to_list() == [
        estate.metric_point(idle, "Percentage CPU", t)["maximum"] for t in cpu["timestamp"]
    ]
    busy_metrics = set(
        connected.sql("SELECT DISTINCT metric FROM metrics WHERE resource_id LIKE '%vm-busy'")[
            "metric"
        ]
    )
    assert "Percentage CPU" in busy_metrics
    assert "Available Memory Percentage" not in busy_metrics

    rules = {(r["rule"], r["resource_name"]) for r in connected.findings().iter_rows(named=True)}
    assert {
        ("idle_vm", "vm-idle"),
        ("unattached_disk", "disk-orphan"),
        ("orphaned_public_ip", "pip-orphan"),
    } <= rules
    assert ("idle_vm", "vm-busy") not in rules

    assert not report.ok
    assert {(f.dataset, f.subscription.id if f.subscription else None) for f in report.errors} == {
        ("inventory", estate.SUB_LOCKED),
        ("metrics", estate.SUB_LOCKED),
        ("costs", estate.SUB_LOCKED),
        ("metrics", estate.SUB_DEV),
    }
    dev_metrics = next(
        f
        for f in report.errors
        if f.dataset == "metrics" and f.subscription and f.subscription.id == estate.SUB_DEV
    )
    assert "grant it Monitoring Reader" in dev_metrics.message
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0

    log = connected.imports()
    assert log["kind"].to_list() == ["sync", "cost", "metrics", "inventory"]
    assert log["status"].to_list() == ["failed", "loaded", "loaded", "loaded"]
    line = log.row(0, named=True)
    assert line["message"].startswith(
        "Azure sync of 'prod', 3 subscription(s): inventory: 10 resources"
    )
    assert "costs of Contoso Locked" in line["error"]
    assert line["finished_at"] >= line["started_at"]
    assert line["rows"] == sum(log["rows"].to_list()[1:])


def test_retries_throttling_drops_and_an_expired_token(
    connected: Workspace, fake: FakeAzure
) -> None:
    fake.fail("POST", "resourcegraph", "429")
    fake.fail("POST", "costmanagement/query", "cost-429")
    fake.fail("POST", "costmanagement/query", "drop")
    fake.fail("GET", "vm-idle/providers/microsoft.insights/metrics", "500")
    fake.fail("GET", r"/instanceview", "drop")
    fake.fail("GET", "^/subscriptions$", "expire")
    started = datetime.now(UTC)
    report = connected.sync(days=3, only=["inventory", "metrics", "costs"], options=FAST)

    assert report.retries == 5
    assert {(f.dataset, f.subscription.id if f.subscription else "") for f in report.errors} == {
        ("inventory", estate.SUB_LOCKED),
        ("metrics", estate.SUB_LOCKED),
        ("costs", estate.SUB_LOCKED),
        ("metrics", estate.SUB_DEV),
    }
    graph = fake.requests("POST", "resourcegraph")
    assert [g.status for g in graph[:2]] == [429, 403]  # retried, then the batch is split
    idle = fake.requests("GET", "vm-idle/providers/microsoft.insights/metrics")
    assert [m.status for m in idle] == [500, 200]
    assert [v.status for v in fake.requests("GET", "instanceview")][:1] == [-1]
    queries = fake.requests("POST", "costmanagement/query")
    assert [q.status for q in queries[:3]] == [429, -1, 200]
    assert [s.status for s in fake.requests("GET", "^/subscriptions$")] == [401, 200]
    assert len(fake.token_requests) == 2
    assert "claims" in fake.token_requests[1]
    assert (datetime.now(UTC) - started).total_seconds() >= 1.0  # the Retry-After was honoured
    assert cost_totals(connected)[estate.SUB_PROD][0] == fake.served_total(
        estate.SUB_PROD, "ActualCost"
    )


def test_a_failed_dataset_keeps_the_previous_data(connected: Workspace, fake: FakeAzure) -> None:
    connected.sync(days=5, options=FAST)
    before = cost_totals(connected)
    resources = connected.resources().height
    fake.fail(
        "POST",
        f"{estate.SUB_PROD}/providers/microsoft.costmanagement/query",
        "always-500",
        times=999,
    )
    report = connected.sync(days=5, options=FAST)
    failed = [
        f
        for f in report.errors
        if f.dataset == "costs" and f.subscription and f.subscription.id == estate.SUB_PROD
    ]
    assert failed
    assert "Azure answered 500" in failed[0].message
    assert cost_totals(connected) == before  # Prod's costs as they were, Dev's re-imported equal
    assert connected.resources().height == resources
    assert "costs of Contoso Prod" in report.failed_parts()


def test_a_crash_while_importing_publishes_nothing(
    connected: Workspace, fake: FakeAzure, monkeypatch: pytest.MonkeyPatch
) -> None:
    connected.sync(days=3, options=FAST)
    version, before, log = (
        connected.data_version,
        cost_totals(connected),
        connected.imports().height,
    )

    def crash(*_args: object) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(sync_module, "record_sync", crash)
    with pytest.raises(RuntimeError, match="power cut"):
        connected.sync(days=4, options=FAST)
    assert (connected.data_version, cost_totals(connected), connected.imports().height) == (
        version,
        before,
        log,
    )


def test_large_scopes_use_the_cost_details_report(connected: Workspace, fake: FakeAzure) -> None:
    options = SyncOptions(
        concurrency=FAST.concurrency,
        tuning=FAST.tuning,
        large_scope_resources=5,
        only=("inventory", "costs"),
    )
    report = connected.sync(days=2, options=options)
    assert "Cost Details files" in report.counts["costs"]
    blobs = fake.requests("GET", "^/blobs/")
    assert blobs
    assert all(b.authorization is None for b in blobs)
    assert all(r.status == 200 for r in blobs)
    assert fake.requests("GET", "costDetailsOperationResults")  # polled
    kinds = set(connected.imports().filter(pl.col("kind") == "cost")["format"])
    assert kinds == {"mca", "focus"}  # Prod by report, Dev (3 resources) by the Query API
    billed, effective = cost_totals(connected)[estate.SUB_PROD]
    assert billed == fake.served_total(estate.SUB_PROD, "ActualCost")
    assert effective == fake.served_total(estate.SUB_PROD, "AmortizedCost")


def test_the_secret_appears_nowhere(
    connected: Workspace, fake: FakeAzure, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    connected.sync(days=2, options=FAST)
    connected.test_connection("prod", options=FAST)
    assert caplog.records  # the SDKs did log
    assert not [r for r in caplog.records if estate.SECRET in r.getMessage()]
    for path in Path(connected.root).rglob("*"):
        if path.is_file():
            assert estate.SECRET.encode() not in path.read_bytes(), path


def test_a_wrong_secret_fails_the_sync_in_plain_words(
    tmp_path: Path, fake: FakeAzure, key: str
) -> None:
    ws = Workspace.open(tmp_path / "ws", create=True)
    good = estate.SECRET
    try:
        estate.SECRET = "wrong-but-long-secret-value"
        add_prod(ws, fake)
    finally:
        estate.SECRET = good
    report = ws.sync(options=FAST)
    assert [f.dataset for f in report.errors] == ["subscriptions"]
    assert report.errors[0].message.startswith("sign-in failed")
    assert "AADSTS7000215" in report.errors[0].message
    assert "wrong-but-long-secret-value" not in report.errors[0].message
    line = ws.imports().row(0, named=True)
    assert (line["kind"], line["status"]) == ("sync", "failed")


def test_a_low_remaining_quota_pauses_the_calls(connected: Workspace, fake: FakeAzure) -> None:
    fake.remaining_reads = 3  # x-ms-ratelimit-remaining-subscription-reads on every answer
    report = connected.sync(only=["inventory"], options=FAST)
    assert report.pauses >= 3
    assert f"paused {report.pauses} times for Azure's rate limits" in report.summary()
    assert report.seconds >= FAST.tuning.pause_s * 2


def test_listed_subscriptions_it_cannot_see_are_named(
    tmp_path: Path, fake: FakeAzure, key: str
) -> None:
    ws = Workspace.open(tmp_path / "ws", create=True)
    ghost = "44444444-4444-4444-8444-444444444444"
    add_prod(ws, fake, subscriptions=(estate.SUB_PROD, ghost))
    access = ws.test_connection("prod", options=FAST)
    assert access.not_visible == [ghost]
    assert [a.subscription.name for a in access.subscriptions] == ["Contoso Prod"]
    assert not access.ok
    assert (
        f"  {ghost}: not visible to this identity (no role on it, or another tenant)"
        in access.lines()
    )
    report = ws.sync(only=["inventory"], options=FAST)
    assert [(f.dataset, f.subscription.id if f.subscription else "") for f in report.errors] == [
        ("inventory", ghost)
    ]
    assert report.counts["inventory"] == "7 resources"
