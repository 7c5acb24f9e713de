"""The analysis commands' contracts: anomalies and forecast output shapes."""

from __future__ import annotations

import json
import subprocess
import sys

from cloudoptima import Workspace


def cli(ws: Workspace, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cloudoptima", "--workspace", str(ws.root), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_forecast_json_document(demo_workspace: Workspace) -> None:
    out = cli(
        demo_workspace, "forecast", "--by", "SubAccountName", "--budget", "9000", "--format", "json"
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert (doc["data_end"], doc["forecast_start"], doc["metric"]) == (
        "2026-11-24",
        "2026-11-25",
        "EffectiveCost",
    )
    assert len(doc["series"]) == 3
    first = doc["series"][0]
    point = first["points"][0]
    assert {"ds", "yhat", "lower", "upper", "lower_95", "upper_95"} <= point.keys()
    assert (
        point["lower_95"] <= point["lower"] <= point["yhat"] <= point["upper"] <= point["upper_95"]
    )
    assert first["points"][-1]["ds"] == "2026-12-31"
    month = first["month_end"]
    assert month["projected"] == month["actual_to_date"] + month["forecast_rest"]
    assert first["budget"]["budget"] == 9000
    assert {row["model"] for row in first["backtest"]} == {"prophet", "seasonal_naive"}
    assert all(row["mape"] > 0 for row in first["backtest"])


def test_forecast_table_names_the_data_end(demo_workspace: Workspace) -> None:
    out = cli(demo_workspace, "forecast")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(
        "EffectiveCost forecast from 2026-11-25; cost data ends 2026-11-24"
    )
    assert "Backtest MAPE %" in out.stdout


def test_anomalies_json_lists_contributors(demo_workspace: Workspace) -> None:
    out = cli(demo_workspace, "anomalies", "--format", "json")
    rows = json.loads(out.stdout)
    spike = next(r for r in rows if r["value"] == "Azure Data Factory")
    assert spike["date"] == "2026-10-17"
    assert spike["contributors"][0]["resource_id"].endswith("/factories/adf-cp-prod-etl")
    table = cli(demo_workspace, "anomalies").stdout
    assert "adf-cp-prod-etl" in table
