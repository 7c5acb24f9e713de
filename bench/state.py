"""Benchmark a finding status change on a large workspace: time and disk growth.

Usage::

    .venv/bin/python bench/state.py --rows 10000000

Builds (once, under ``bench/out/``, git-ignored) the demo estate plus ``--rows``
synthetic daily cost rows, so the cost database is as large as a real 10M-row
estate's, then times what a user runs to change one finding's status:

* ``cloudoptima findings set-status ID dismissed --reason ...``, the whole command
  as a process (start-up included), several runs;
* the same change from Python on an open workspace (what the app's Apply button does).

and reports how much the workspace folder grew. A status change is one small write
to ``state.sqlite``: it must not copy the cost database (goal: under 0.5 s).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from cloudoptima import Workspace  # noqa: E402

DEFAULT_OUT = Path(__file__).resolve().parent / "out"

SYNTHETIC = """
INSERT INTO costs BY NAME
SELECT (1 + (i % 97)) / 10.0 AS BilledCost, (1 + (i % 97)) / 10.0 AS EffectiveCost,
       'USD' AS BillingCurrency, 'Usage' AS ChargeCategory,
       TIMESTAMP '2026-10-01' + INTERVAL (i % 55) DAY AS ChargePeriodStart,
       TIMESTAMP '2026-10-02' + INTERVAL (i % 55) DAY AS ChargePeriodEnd,
       date_trunc('month', TIMESTAMP '2026-10-01' + INTERVAL (i % 55) DAY) AS BillingPeriodStart,
       '/subscriptions/00000000-0000-0000-0000-0000000000b1/resourcegroups/rg-bulk/providers/'
           || 'microsoft.compute/virtualmachines/vm' || (i % 5000) AS ResourceId,
       'Virtual Machines' AS ServiceName, 'Bulk' AS SubAccountName,
       '/subscriptions/00000000-0000-0000-0000-0000000000b1' AS SubAccountId,
       -1 AS _import_id, 'focus' AS _dataset
FROM range(?) AS t(i)
"""


def build(root: Path, rows: int) -> Workspace:
    """The demo estate plus ``rows`` synthetic cost rows (built once and reused)."""
    if (root / "CURRENT").exists():
        return Workspace.open(root)
    ws = Workspace.open(root, create=True)
    ws.build_demo(end=None)
    with ws.store.write(memory_limit="2GB") as tx:
        tx.con.execute(SYNTHETIC, [rows])
        ws._store_findings(tx)  # findings of the grown data, as an import would store them
    return ws


def folder_bytes(root: Path) -> int:
    """Bytes of every file under ``root``."""
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def time_cli(root: Path, finding: str, runs: int) -> list[float]:
    """Wall-clock seconds of the whole set-status command, alternating two statuses."""
    seconds = []
    for run in range(runs):
        args = ["dismissed", "--reason", f"bench run {run}"] if run % 2 == 0 else ["open"]
        command = [
            str(REPO / ".venv" / "bin" / "cloudoptima"),
            "--workspace",
            str(root),
            "findings",
            "set-status",
            finding,
            *args,
        ]
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        seconds.append(time.perf_counter() - start)
    return seconds


def time_library(ws: Workspace, finding: str, runs: int) -> list[float]:
    """Seconds of ``Workspace.set_finding_status`` on an open workspace."""
    seconds = []
    for run in range(runs):
        start = time.perf_counter()
        if run % 2 == 0:
            ws.set_finding_status(finding, "dismissed", reason=f"bench run {run}")
        else:
            ws.set_finding_status(finding, "open")
        seconds.append(time.perf_counter() - start)
    return seconds


def summary(seconds: list[float]) -> str:
    return f"min {min(seconds):.3f} s, median {statistics.median(seconds):.3f} s, max {max(seconds):.3f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    root = args.out / f"state-{args.rows}"
    ws = build(root, args.rows)
    rows = ws.sql("SELECT count(*) FROM costs").item()
    finding = str(ws.findings(status="open").item(0, "finding_id"))
    before, generation = folder_bytes(root), ws.data_version
    cli = time_cli(root, finding, args.runs)
    library = time_library(ws, finding, args.runs)
    grown = folder_bytes(root) - before
    print(f"workspace: {rows:,} cost rows, {before / 1e9:.2f} GB on disk, finding {finding}")
    print(f"cloudoptima findings set-status (whole command, {args.runs} runs): {summary(cli)}")
    print(f"Workspace.set_finding_status ({args.runs} runs): {summary(library)}")
    print(
        f"disk growth over {2 * args.runs} changes: {grown / 1e3:,.1f} kB; "
        f"cost database generation {generation} -> {ws.data_version} (unchanged: no copy)"
    )


if __name__ == "__main__":
    main()
