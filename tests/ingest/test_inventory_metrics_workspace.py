"""Inventory snapshots and metrics through the workspace: first/last seen, re-import."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import polars as pl
import polars.testing

from cloudoptima import Workspace


def _arg_page(path: Path, ids: list[str]) -> Path:
    data = [
        {
            "id": i,
            "name": i.rsplit("/", 1)[-1],
            "type": "microsoft.network/publicipaddresses",
            "location": "westeurope",
            "resourceGroup": "rg",
            "subscriptionId": "s1",
            "tags": {},
            "sku": {"name": "Standard"},
            "properties": {"ipAddress": "1.2.3.4"},
        }
        for i in ids
    ]
    path.write_text(
        json.dumps(
            {"count": len(data), "data": data, "skip_token": None, "total_records": len(data)}
        )
    )
    return path


def test_snapshots_keep_first_seen_and_advance_last_seen(
    tmp_path: Path, workspace: Workspace
) -> None:
    rid = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses/"
    day1, day2 = datetime(2026, 11, 1), datetime(2026, 11, 8)
    workspace.ingest([_arg_page(tmp_path / "a.json", [rid + "ip1", rid + "ip2"])], seen_at=day1)
    workspace.ingest([_arg_page(tmp_path / "b.json", [rid + "ip2", rid + "ip3"])], seen_at=day2)
    seen = workspace.sql(
        "SELECT name, first_seen, last_seen, public_ip_associated FROM resources ORDER BY name"
    )
    expected = pl.DataFrame(
        {
            "name": ["ip1", "ip2", "ip3"],
            "first_seen": [day1, day1, day2],
            "last_seen": [day1, day2, day2],
            "public_ip_associated": [False, False, False],
        }
    )
    pl.testing.assert_frame_equal(seen, expected, check_dtypes=False)


def test_real_rest_samples_load(samples: Path, workspace: Workspace) -> None:
    rest = samples / "azure-rest"
    results = workspace.ingest(
        [
            rest / "resourcegraph_ResourcesFirstPageQuery_2022-10-01.json",
            rest / "compute_Disk_ListBySubscription_2024-03-02.json",
            rest / "compute_VirtualMachine_ListBySubscription_ByLocation_2024-07-01.json",
            rest / "monitor_vm_metrics_captured_response.json",
            rest / "monitor_GetMetric_2023-10-01.json",
        ]
    )
    assert [(r.status, r.kind) for r in results] == [
        ("loaded", "inventory"),
        ("loaded", "inventory"),
        ("loaded", "inventory"),
        ("loaded", "metrics"),
        ("loaded", "metrics"),
    ]
    # the VM list example repeats one placeholder id for both VMs: one resource
    assert workspace.sql("SELECT count(*) FROM resources").item() == 3 + 3 + 1
    cpu = workspace.sql(
        "SELECT count(*) AS n, max(average) AS top FROM metrics WHERE metric = 'Percentage CPU'"
    ).row(0, named=True)
    assert cpu["n"] > 0
    assert cpu["top"] > 0


def test_reimporting_overlapping_metrics_replaces_points(
    samples: Path, tmp_path: Path, workspace: Workspace
) -> None:
    source = samples / "azure-rest" / "monitor_vm_metrics_captured_response.json"
    workspace.ingest([source])
    before = workspace.sql("SELECT count(*) FROM metrics").item()
    copy = tmp_path / "again.json"
    copy.write_text(json.dumps(json.loads(source.read_text())) + "\n")  # same points, other bytes
    [result] = workspace.ingest([copy])
    assert result.status == "loaded"
    assert workspace.sql("SELECT count(*) FROM metrics").item() == before
