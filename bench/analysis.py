"""Benchmark the analyses: findings over a large estate, and forecasts of many series.

Usage::

    .venv/bin/python bench/analysis.py                 # 100,000 resources, 20 series
    .venv/bin/python bench/analysis.py --resources 20000 --series 5

Findings: a workspace of ``--resources`` resources (VMs, disks, NICs, public IPs,
storage accounts, snapshots, App Service plans, SQL databases) with 30 days of
hourly metrics for every VM (CPU, memory, network out) and 30 days of daily cost is
written straight into the workspace tables (ingest has its own benchmark), then
``run_rules`` evaluates the whole catalogue and ``analyze`` stores the findings.
Forecasts: the demo estate, forecast per resource for the ``--series`` costliest
resources, fitted in parallel. Each measurement runs in its own child process, so
its peak memory (``ru_maxrss``) is its own. Targets: findings < 15 s, forecasts < 30 s.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from cloudoptima import Workspace  # noqa: E402

END = date(2026, 11, 24)
TARGETS = {"findings": 15.0, "forecast": 30.0}
# share of resources per type, and the ARM type
MIX = (
    ("microsoft.compute/virtualmachines", 0.30),
    ("microsoft.compute/disks", 0.30),
    ("microsoft.network/networkinterfaces", 0.15),
    ("microsoft.network/publicipaddresses", 0.08),
    ("microsoft.storage/storageaccounts", 0.06),
    ("microsoft.compute/snapshots", 0.05),
    ("microsoft.web/serverfarms", 0.03),
    ("microsoft.sql/servers/databases", 0.03),
)


def build_estate(root: Path, resources: int) -> dict[str, int]:
    """Write inventory, metrics and cost for ``resources`` resources into a workspace."""
    ws = Workspace.open(root, create=True)
    with ws.store.write(memory_limit="4GB") as tx:
        con = tx.con
        con.execute(_resources_sql(resources))
        con.execute(_costs_sql())
        con.execute(_metrics_sql())
        con.execute(
            "INSERT INTO imports (import_id, status, kind, rows) VALUES (1, 'loaded', 'bench', 0)"
        )
        counts = {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("resources", "costs", "metrics")
        }  # type: ignore[index]
    return counts


def _type_case(column: str) -> str:
    cases, upper = [], 0.0
    for arm_type, share in MIX:
        upper += share
        cases.append(f"WHEN {column} < {upper:.2f} THEN '{arm_type}'")
    return "CASE " + " ".join(cases) + " ELSE 'microsoft.compute/virtualmachines' END"


def _resources_sql(n: int) -> str:
    seen = datetime.combine(END, datetime.min.time())
    return f"""
    INSERT INTO resources BY NAME
    SELECT '/subscriptions/s' || (i % 10) || '/resourcegroups/rg' || (i % 200) || '/providers/' || type || '/r' || i
               AS resource_id,
           'r' || i AS name, type, 'eastus' AS location, 'rg' || (i % 200) AS resource_group,
           's' || (i % 10) AS subscription_id,
           CASE WHEN i % 7 = 0 THEN '{{}}' ELSE '{{"env":"prod","team":"t","costcenter":"c"}}' END::JSON AS tags,
           '{{"currentServiceObjectiveName":"S2"}}'::JSON AS properties,
           CASE WHEN type LIKE '%virtualmachines' THEN 'Standard_D8s_v5' END AS vm_size,
           CASE WHEN type LIKE '%virtualmachines' THEN (['running','running','running','stopped','deallocated'])[i % 5 + 1] END
               AS power_state,
           CASE WHEN type LIKE '%disks' THEN (['Attached','Attached','Unattached'])[i % 3 + 1] END AS disk_state,
           CASE WHEN type LIKE '%disks' AND i % 3 > 0 THEN '/subscriptions/s0/vm' END AS managed_by,
           CASE WHEN type LIKE '%disks' THEN 'Premium_LRS' WHEN type LIKE '%serverfarms' THEN 'P2v3' END AS sku_name,
           CASE WHEN type LIKE '%serverfarms' THEN 'PremiumV3' END AS sku_tier,
           1024.0 AS disk_size_gb, 5000.0 AS disk_iops, 200.0 AS disk_mbps,
           CASE WHEN type LIKE '%publicipaddresses' THEN i % 4 > 0 END AS public_ip_associated,
           CASE WHEN type LIKE '%networkinterfaces' THEN i % 4 > 0 END AS nic_attached,
           CASE WHEN type LIKE '%storageaccounts' THEN 'Hot' END AS access_tier,
           CASE WHEN type LIKE '%serverfarms' THEN i % 3 END AS site_count,
           TIMESTAMP '{seen}' - INTERVAL (i % 400) DAY AS time_created,
           TIMESTAMP '{seen}' AS first_seen, TIMESTAMP '{seen}' AS last_seen, 1 AS _import_id
    FROM (SELECT range AS i, {_type_case("hash(range) % 1000 / 1000.0")} AS type FROM range({n}))"""


def _costs_sql() -> str:
    return f"""
    INSERT INTO costs BY NAME
    SELECT resource_id AS ResourceId, (1 + hash(resource_id) % 20)::DECIMAL(38, 10) AS BilledCost,
           (1 + hash(resource_id) % 20)::DECIMAL(38, 10) AS EffectiveCost, 'USD' AS BillingCurrency,
           DATE '{END}' - INTERVAL (d) DAY AS ChargePeriodStart, DATE '{END}' - INTERVAL (d - 1) DAY AS ChargePeriodEnd,
           24.0 AS ConsumedQuantity, 'Hours' AS ConsumedUnit, 'Standard' AS PricingCategory, 'Usage' AS ChargeCategory,
           type AS x_ResourceType, 1 AS _import_id, 'focus' AS _dataset
    FROM resources, range(30) AS t(d)"""


def _metrics_sql() -> str:
    end = datetime.combine(END, datetime.min.time()) + timedelta(hours=23)
    return f"""
    INSERT INTO metrics BY NAME
    SELECT resource_id, metric, timestamp, grain, value_ AS maximum, value_ AS average, value_ AS total,
           1.0 AS count, 1 AS _import_id
    FROM (SELECT resource_id, metric, TIMESTAMP '{end}' - INTERVAL (h) HOUR AS timestamp, 'PT1H' AS grain,
                 CASE metric WHEN 'Percentage CPU' THEN (hash(resource_id) % 90) + (h % 10)
                             WHEN 'Available Memory Percentage' THEN 20 + (hash(resource_id) % 70)
                             ELSE (hash(resource_id) % 1000) * 1e6 END AS value_
    FROM resources, range(720) AS t(h),
         (SELECT unnest(['Percentage CPU', 'Available Memory Percentage', 'Network Out Total']) AS metric)
    WHERE type = 'microsoft.compute/virtualmachines')"""


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_findings(root: Path) -> dict[str, Any]:
    """Time the rule catalogue and the stored analysis on a built estate."""
    from cloudoptima.analysis.config import rule_settings
    from cloudoptima.analysis.findings import run_rules

    ws = Workspace.open(root)
    started = time.perf_counter()
    found = run_rules(ws.reader, rule_settings(ws.settings()))
    rules_s = time.perf_counter() - started
    started = time.perf_counter()
    # a settings change recomputes the findings and stores them, as an import does
    ws.set_setting("old_snapshot.days", 91)
    return {
        "seconds": rules_s,
        "analyze_seconds": time.perf_counter() - started,
        "findings": found.height,
        "rss_mb": peak_rss_mb(),
    }


def child_forecast(root: Path, series: int) -> dict[str, Any]:
    """Time forecasts of the ``series`` costliest resources of the demo estate."""
    ws = Workspace.open(root)
    started = time.perf_counter()
    result = ws.forecast(by="ResourceId", top=series)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "series": result.points.get_column("series").n_unique(),
        "rss_mb": peak_rss_mb(),
    }


def run_child(*args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"child {args[0]} failed:\n{out.stderr}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--series", type=int, default=20)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--skip-forecast", action="store_true", help="time the findings only")
    args = parser.parse_args(argv)
    if args.child:
        kind, root = args.child[0], Path(args.child[1])
        result = (
            child_findings(root) if kind == "findings" else child_forecast(root, int(args.child[2]))
        )
        print(json.dumps(result))
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-analysis-") as tmp:
        started = time.perf_counter()
        counts = build_estate(Path(tmp) / "estate", args.resources)
        print(
            f"estate: {counts['resources']:,} resources, {counts['metrics']:,} metric points, "
            f"{counts['costs']:,} cost rows (built in {time.perf_counter() - started:.1f} s)"
        )
        findings = run_child("findings", str(Path(tmp) / "estate"))
        if args.skip_forecast:
            report(findings, None)
            return 0
        demo = Workspace.open(Path(tmp) / "demo", create=True)
        demo.build_demo(end=END)
        forecast = run_child("forecast", str(demo.root), str(args.series))
    report(findings, forecast)
    return 0


def report(findings: dict[str, Any], forecast: dict[str, Any] | None) -> None:
    ok_f = findings["seconds"] < TARGETS["findings"]
    print(
        f"findings: {findings['findings']:,} found in {findings['seconds']:.2f} s "
        f"(target < {TARGETS['findings']:.0f} s) {'PASS' if ok_f else 'FAIL'}; stored in "
        f"{findings['analyze_seconds']:.2f} s more; peak RSS {findings['rss_mb']:,.0f} MB"
    )
    if forecast is None:
        return
    ok_p = forecast["seconds"] < TARGETS["forecast"]
    print(
        f"forecast: {forecast['series']} series in {forecast['seconds']:.2f} s "
        f"(target < {TARGETS['forecast']:.0f} s) {'PASS' if ok_p else 'FAIL'}; peak RSS {forecast['rss_mb']:,.0f} MB"
    )


if __name__ == "__main__":
    raise SystemExit(main())
