"""The command line contract: commands, JSON shape, exit codes, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from helpers import focus_rows, write_focus

from cloudoptima.cli import main


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real console entry point in a child process."""
    return subprocess.run(
        [sys.executable, "-m", "cloudoptima", *args], capture_output=True, text=True, timeout=120
    )


def test_costs_json_is_an_array_of_group_objects(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    export = write_focus(tmp_path / "sep.csv", focus_rows(range(1, 11)))
    assert run("--workspace", ws, "ingest", str(export)).returncode == 0
    out = run(
        "--workspace",
        ws,
        "costs",
        "--by",
        "ServiceName,tag:team",
        "--start",
        "2026-09-01",
        "--end",
        "2026-09-05",
        "--format",
        "json",
    )
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert rows == [
        {
            "ServiceName": "Virtual Machines",
            "tag:team": "t1",
            "BillingCurrency": "USD",
            "BilledCost": 55.0,
            "EffectiveCost": 50.0,
            # how much of each figure the other metric stood in for (none here: FOCUS has both)
            "BilledCostFallback": 0.0,
            "EffectiveCostFallback": 0.0,
        },
        {
            "ServiceName": "Virtual Machines",
            "tag:team": "t0",
            "BillingCurrency": "USD",
            "BilledCost": 50.0,
            "EffectiveCost": 45.0,
            "BilledCostFallback": 0.0,
            "EffectiveCostFallback": 0.0,
        },
    ]


def test_costs_csv_and_table(tmp_path: Path) -> None:
    runner = CliRunner()
    ws = str(tmp_path / "ws")
    export = write_focus(tmp_path / "sep.csv", focus_rows(range(1, 3)))
    assert runner.invoke(main, ["--workspace", ws, "ingest", str(export)]).exit_code == 0
    csv_out = runner.invoke(
        main, ["--workspace", ws, "costs", "--by", "x_ResourceGroupName", "--format", "csv"]
    )
    assert csv_out.output.splitlines() == [
        "x_ResourceGroupName,BillingCurrency,BilledCost,EffectiveCost,BilledCostFallback,"
        "EffectiveCostFallback",
        "RG-App,USD,42.0000000000,38.0000000000,0.0000000000,0.0000000000",
    ]
    table = runner.invoke(main, ["--workspace", ws, "costs"]).output.splitlines()
    assert table[0].split() == ["BillingCurrency", "BilledCost", "EffectiveCost"]
    assert table[2].split() == ["USD", "42.00", "38.00"]


def test_user_errors_exit_non_zero_without_traceback(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    bad = tmp_path / "empty.csv"
    bad.write_text("")
    out = run("--workspace", ws, "ingest", str(bad))
    assert out.returncode == 1
    assert "FAILED  empty.csv: is empty" in out.stderr
    assert "Traceback" not in out.stderr
    out = run("--workspace", ws, "costs", "--by", "Nonsense")
    assert out.returncode == 2
    assert out.stderr.startswith("Error: cannot group costs by 'Nonsense'")
    assert "Traceback" not in out.stderr


def test_imports_lists_the_log(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    export = write_focus(tmp_path / "sep.csv", focus_rows(range(1, 3)))
    run("--workspace", ws, "ingest", str(export), str(export))
    out = run("--workspace", ws, "imports", "--format", "json")
    log = json.loads(out.stdout)
    assert [(r["import_id"], r["status"], r["rows"]) for r in log] == [
        (2, "skipped", 0),
        (1, "loaded", 4),
    ]
