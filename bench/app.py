"""Benchmark the app: render time of every page on the demo, warm and right after a status change.

Usage::

    .venv/bin/python bench/app.py                  # the demo estate
    .venv/bin/python bench/app.py --rows 10000000  # and a 10M-row workspace too

Each page of the app's navigation is rendered with Streamlit's AppTest, logged in as an
admin by presetting the session state (as the app tests do), three times:

- cold: right after clearing ``st.cache_data`` (a new import does that to every query;
  the fitted forecast stays in its own cache, keyed on the data version);
- warm: again, served by the cached queries (median of three renders);
- after a status change: a finding is dismissed or reopened through the Workspace just
  before, as an analyst on the Recommendations page does; only what depends on finding
  statuses is recomputed, never a forecast (median of three changes).

Targets on the demo: every page < 1 s warm and < 3 s after a status change. With
``--rows``, workspace (b) is the demo plus ``--resources`` synthetic resources whose daily
cost rows bring the ``costs`` table to ``--rows`` rows (written straight into the tables
with DuckDB; ingest has its own benchmark); its target is < 3 s warm. The script
prints a table per workspace and always exits 0.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from streamlit.testing.v1 import AppTest  # noqa: E402

from cloudoptima import Workspace  # noqa: E402
from cloudoptima.auth import UserStore  # noqa: E402

APP = REPO / "app.py"
END = date(2026, 11, 24)
START = date(END.year - 1, END.month, 1)  # 13 months, like the demo
DAYS = (END - START).days + 1
NEXT_MONTH = date(END.year + END.month // 12, END.month % 12 + 1, 1)
DEFAULT_RESOURCES = 5_000
TARGET_LARGE_S = 3.0
REPEAT = 3  # warm and after-a-change times are the median of this many renders
SUBSCRIPTIONS = 8
# ARM type, share of resources, ServiceName, ServiceCategory, ResourceType, meters
MIX = (
    (
        "microsoft.compute/virtualmachines",
        0.30,
        "Virtual Machines",
        "Compute",
        "Virtual machine",
        ["D4s v5", "D8s v5", "E4s v5", "B2ms", "Data Transfer Out"],
    ),
    (
        "microsoft.compute/disks",
        0.25,
        "Storage",
        "Storage",
        "Disk",
        ["P10 LRS Disk", "P20 LRS Disk", "E10 LRS Disk", "Disk Operations"],
    ),
    (
        "microsoft.storage/storageaccounts",
        0.12,
        "Storage Accounts",
        "Storage",
        "Storage account",
        ["Hot LRS Data Stored", "Cool LRS Data Stored", "Write Operations", "Read Operations"],
    ),
    (
        "microsoft.sql/servers/databases",
        0.08,
        "Azure SQL Database",
        "Databases",
        "SQL database",
        ["S2 DTUs", "vCore", "Data Stored", "Backup Storage"],
    ),
    (
        "microsoft.web/serverfarms",
        0.07,
        "Azure App Service",
        "Compute",
        "App Service plan",
        ["P1 v3", "P2 v3", "S1"],
    ),
    (
        "microsoft.network/publicipaddresses",
        0.06,
        "Virtual Network",
        "Networking",
        "Public IP address",
        ["Standard IPv4 Static Public IP"],
    ),
    (
        "microsoft.operationalinsights/workspaces",
        0.04,
        "Azure Monitor",
        "Management and Governance",
        "Log Analytics workspace",
        ["Analytics Logs Data Ingestion", "Data Retention"],
    ),
    (
        "microsoft.network/applicationgateways",
        0.03,
        "Application Gateway",
        "Networking",
        "Application gateway",
        ["Standard v2 Fixed Cost", "Standard v2 Capacity Units"],
    ),
    ("microsoft.keyvault/vaults", 0.05, "Key Vault", "Security", "Key vault", ["Operations"]),
)
NOISY_LOGGERS = (
    "streamlit.runtime.caching.cache_data_api",
    "streamlit.runtime.scriptrunner_utils.script_run_context",
)
TEAMS = ["platform", "digital", "research", "clinical", "data", "finance"]
ENVS = ["prod", "prod", "dev", "test"]
REGIONS = [("eastus", "East US"), ("westeurope", "West Europe"), ("northeurope", "North Europe")]


# -- the large workspace -----------------------------------------------------------------
def _sql_list(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _bench_resources_sql(n: int) -> str:
    """A temp table of ``n`` resources with everything costs and inventory need."""
    cases, upper = [], 0.0
    for index, (_, share, *_rest) in enumerate(MIX):
        upper += share
        cases.append(f"WHEN u < {upper:.4f} THEN {index + 1}")
    kind = "CASE " + " ".join(cases) + " ELSE 1 END"
    pick = lambda column: _sql_list([str(m[column]) for m in MIX])  # noqa: E731
    meters = "[" + ", ".join(_sql_list(m[5]) for m in MIX) + "]"  # type: ignore[arg-type]
    region_ids = _sql_list([r[0] for r in REGIONS])
    region_names = _sql_list([r[1] for r in REGIONS])
    return f"""
    CREATE TEMP TABLE bench_res AS
    WITH base AS (
        SELECT range AS i, {kind} AS k, i % {SUBSCRIPTIONS} AS s, i % 120 AS g
        FROM (SELECT range, (hash(range * 7919) % 100000) / 100000.0 AS u FROM range({n}))
    )
    SELECT i, k,
           {pick(0)}[k] AS type, {pick(2)}[k] AS service, {pick(3)}[k] AS category,
           {pick(4)}[k] AS display_type, {meters}[k] AS meters,
           printf('%08x-b3c0-4e00-9000-%012x', 2000 + s, s) AS sub_guid,
           'Contoso Pharma Bench ' || lpad((s + 1)::VARCHAR, 2, '0') AS sub_name,
           'RG-Bench-' || {_sql_list(TEAMS)}[g % {len(TEAMS)} + 1] || '-' || lpad(g::VARCHAR, 3, '0') AS rg,
           split_part({pick(0)}[k], '/', 2)[1:4] || '-bench-' || lpad(i::VARCHAR, 6, '0') AS name,
           {region_ids}[i % {len(REGIONS)} + 1] AS region_id,
           {region_names}[i % {len(REGIONS)} + 1] AS region_name,
           CASE WHEN i % 8 = 0 THEN '{{}}'
                ELSE '{{"env":"' || {_sql_list(ENVS)}[i % {len(ENVS)} + 1] || '","team":"' ||
                     {_sql_list(TEAMS)}[g % {len(TEAMS)} + 1] || '","costcenter":"CC-' || (1000 + g * 10) || '"}}'
           END AS tags,
           0.2 + (hash(i * 104729) % 4000) / 100.0 AS daily_cost
    FROM base"""


def _resource_id(alias: str) -> str:
    return (
        f"'/subscriptions/' || {alias}.sub_guid || '/resourcegroups/' || lower({alias}.rg) || "
        f"'/providers/' || {alias}.type || '/' || {alias}.name"
    )


def _inventory_sql(import_id: int) -> str:
    seen = f"TIMESTAMP '{END} 02:00:00'"
    return f"""
    INSERT INTO resources BY NAME
    SELECT {_resource_id("r")} AS resource_id, r.name, r.type, r.region_id AS location,
           lower(r.rg) AS resource_group, r.sub_guid AS subscription_id, r.tags::JSON AS tags,
           '{{}}'::JSON AS properties,
           CASE WHEN r.k = 1 THEN 'Standard_D4s_v5' END AS vm_size,
           CASE WHEN r.k = 1 THEN (['running', 'running', 'running', 'deallocated'])[r.i % 4 + 1] END AS power_state,
           CASE WHEN r.k = 2 THEN (['Attached', 'Attached', 'Attached', 'Unattached'])[r.i % 4 + 1] END AS disk_state,
           CASE WHEN r.k = 2 THEN 'Premium_LRS' END AS sku_name,
           CASE WHEN r.k = 2 THEN 256.0 END AS disk_size_gb,
           CASE WHEN r.k = 6 THEN r.i % 5 > 0 END AS public_ip_associated,
           {seen} - INTERVAL (r.i % 700) DAY AS time_created, {seen} AS first_seen, {seen} AS last_seen,
           {import_id} AS _import_id
    FROM bench_res r"""


def _costs_sql(rows: int, resources: int, import_id: int, account: tuple[str, str]) -> str:
    """``rows`` daily cost rows: series s = resource (s % resources) x meter (s // resources)."""
    return f"""
    INSERT INTO costs BY NAME
    WITH rows_ AS (
        SELECT range // {DAYS} AS series, range % {DAYS} AS d FROM range({rows})
    ), x AS (
        SELECT series % {resources} AS i, series // {resources} AS m,
               DATE '{START}' + d::INTEGER AS day, d FROM rows_
    )
    SELECT {_resource_id("r")} AS ResourceId, r.name AS ResourceName, r.display_type AS ResourceType,
           r.type AS x_ResourceType, r.service AS ServiceName, r.category AS ServiceCategory,
           r.service AS x_SkuMeterCategory, r.meters[r.m % len(r.meters) + 1] AS SkuMeter,
           r.service || ' - ' || r.meters[r.m % len(r.meters) + 1] AS ChargeDescription,
           '/subscriptions/' || r.sub_guid AS SubAccountId, r.sub_name AS SubAccountName,
           'Subscription' AS SubAccountType, r.rg AS x_ResourceGroupName,
           r.region_id AS RegionId, r.region_name AS RegionName, r.tags::JSON AS Tags,
           cost::DECIMAL(38, 10) AS BilledCost, cost::DECIMAL(38, 10) AS EffectiveCost,
           (cost * 1.15)::DECIMAL(38, 10) AS ListCost, cost::DECIMAL(38, 10) AS ContractedCost,
           'USD' AS BillingCurrency, 'USD' AS PricingCurrency,
           '{account[0]}' AS BillingAccountId, '{account[1]}' AS BillingAccountName,
           date_trunc('month', r.day)::TIMESTAMP AS BillingPeriodStart,
           (date_trunc('month', r.day) + INTERVAL 1 MONTH)::TIMESTAMP AS BillingPeriodEnd,
           r.day::TIMESTAMP AS ChargePeriodStart, (r.day + 1)::TIMESTAMP AS ChargePeriodEnd,
           'Usage' AS ChargeCategory, 'Usage-Based' AS ChargeFrequency, 'Standard' AS PricingCategory,
           24.0 AS ConsumedQuantity, 'Hours' AS ConsumedUnit, 24.0 AS PricingQuantity, 'Hours' AS PricingUnit,
           'Microsoft' AS ProviderName, 'Microsoft' AS PublisherName, 'Microsoft' AS InvoiceIssuerName,
           {import_id} AS _import_id, 'focus' AS _dataset
    FROM (SELECT *, daily_cost / (1 + m) * (1 + d / 2000.0)
                    * CASE WHEN dayofweek(day) IN (0, 6) THEN 0.85 ELSE 1.0 END AS cost
          FROM x JOIN bench_res USING (i)) AS r"""


def build_large(demo: Workspace, root: Path, rows: int, resources: int) -> Workspace:
    """The demo plus synthetic resources whose daily cost brings ``costs`` to ``rows`` rows."""
    shutil.copytree(demo.root, root, ignore=shutil.ignore_patterns("demo-source", "raw"))
    ws = Workspace.open(root)
    with ws.store.write(memory_limit="4GB") as tx:
        con = tx.con
        have = con.execute("SELECT count(*) FROM costs").fetchone()[0]  # type: ignore[index]
        extra = max(rows - int(have), 0)
        account = con.execute(
            "SELECT any_value(BillingAccountId), any_value(BillingAccountName) FROM costs"
        ).fetchone()
        import_id = con.execute("SELECT coalesce(max(import_id), 0) + 1 FROM imports").fetchone()[0]  # type: ignore[index]
        con.execute(_bench_resources_sql(resources))
        con.execute(_inventory_sql(import_id))
        con.execute(_costs_sql(extra, resources, import_id, account or ("", "")))  # type: ignore[arg-type]
        con.execute(
            """INSERT INTO imports (import_id, file, kind, format, version, dataset, rows, billing_period_start,
                                    billing_period_end, status, message, started_at, finished_at)
               VALUES (?, 'bench/app.py (synthetic)', 'cost', 'focus', '1.2', 'focus', ?, ?, ?, 'loaded',
                       'synthetic cost rows', now()::TIMESTAMP, now()::TIMESTAMP)""",
            [import_id, extra, START, NEXT_MONTH],
        )
    ws.ingest([])  # stores the findings of the new data, as an import does
    return ws


# -- measuring ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Timing:
    page: str
    cold: float
    warm: float
    after_change: float
    problem: str | None


def navigation_pages() -> list[str]:
    """The page scripts of the app's navigation (cloudoptima/ui/shell.py), in menu order."""
    shell = REPO / "cloudoptima" / "ui" / "shell.py"
    return re.findall(
        r"""st\.Page\(\s*["']pages/(\w+)\.py["']""", shell.read_text(encoding="utf-8")
    )


def _problem(at: AppTest) -> str | None:
    """The first exception or error message the page shows, if any."""
    for kind, elements in (("exception", at.exception), ("error", at.error)):
        for element in elements:
            text = " ".join(str(element.value).split())
            return f"{kind}: {text[:120]}"
    if not at.title:  # a page that stopped early (not logged in) must not pass as fast
        return "no title: the page did not render"
    return None


def _render(at: AppTest, page: str) -> float:
    started = time.perf_counter()
    at.switch_page(f"pages/{page}.py").run()
    return time.perf_counter() - started


class StatusFlipper:
    """Dismisses, then reopens, one finding: a status change like an analyst's."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.finding = str(ws.findings(status="open")["finding_id"][0])
        self.dismissed = False

    def flip(self) -> float:
        started = time.perf_counter()
        if self.dismissed:
            self.ws.set_finding_status(self.finding, "open", by="bench")
        else:
            self.ws.set_finding_status(self.finding, "dismissed", reason="bench", by="bench")
        self.dismissed = not self.dismissed
        return time.perf_counter() - started


def measure(ws: Workspace, org_name: str, tmp: Path, pages: list[str]) -> list[Timing]:
    """Render every page cold, warm and after a status change as an admin of ``ws``."""
    import streamlit as st
    import streamlit.logger

    from cloudoptima.ui.shell import STARTED

    store = UserStore(tmp / f"credentials-{ws.root.name}.yaml")
    store.add_organisation("default", ws.root, org_name)
    store.add_user("admin", org="default", role="admin")
    os.environ["CLOUDOPTIMA__AUTH__CREDENTIALS_FILE"] = str(store.path)
    os.environ["CLOUDOPTIMA__AUTH__COOKIE_KEY"] = "bench-cookie-key-long-enough-for-hmac-sha256"
    for name in NOISY_LOGGERS:  # AppTest runs outside a server: every cache call warns
        streamlit.logger.get_logger(name).disabled = True
    at = AppTest.from_file(str(APP), default_timeout=900)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "admin"
    at.session_state["co_org"] = "default"
    at.session_state[STARTED] = time.time()  # a session needs its login time (ui/shell.py)
    started = time.perf_counter()
    at.run()  # the default page, Overview: imports, and the forecast's Prophet fits
    print(f"    first visit (Overview, fits the forecast): {time.perf_counter() - started:.1f} s")
    flipper = StatusFlipper(ws)
    timings = []
    for page in pages:
        st.cache_data.clear()
        cold = _render(at, page)
        problem = _problem(at)
        warm = statistics.median(_render(at, page) for _ in range(REPEAT))
        after = []
        for _ in range(REPEAT):
            flipper.flip()
            after.append(_render(at, page))
        problem = problem or _problem(at)
        timings.append(Timing(page, cold, warm, statistics.median(after), problem))
    return timings


def describe(ws: Workspace) -> str:
    costs = ws.sql("SELECT count(*) AS n FROM costs").item()
    resources = ws.sql("SELECT count(*) AS n FROM resources").item()
    return f"{costs:,} cost rows, {resources:,} resources"


def report(title: str, timings: list[Timing], warm_target: float, change_target: float) -> None:
    print(f"\n{title}")
    print(
        f"  {'page':<16} {'cold s':>8} {'warm s':>8} {'changed s':>10}  "
        f"targets: warm < {warm_target:.0f} s, after a change < {change_target:.0f} s"
    )
    for t in timings:
        ok = t.warm < warm_target and t.after_change < change_target
        verdict = "PASS" if ok and not (t.problem or "").startswith("exception") else "FAIL"
        note = f"  ({t.problem})" if t.problem else ""
        print(
            f"  {t.page:<16} {t.cold:>8.2f} {t.warm:>8.2f} {t.after_change:>10.2f}  {verdict}{note}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, default=0, help="also measure a workspace with this many cost rows"
    )
    parser.add_argument(
        "--resources",
        type=int,
        default=DEFAULT_RESOURCES,
        help="synthetic resources added to the demo for workspace (b)",
    )
    args = parser.parse_args(argv)
    os.chdir(REPO)
    pages = navigation_pages()
    with tempfile.TemporaryDirectory(prefix="bench-app-") as name:
        tmp = Path(name)
        started = time.perf_counter()
        demo = Workspace.open(tmp / "demo", create=True)
        demo.build_demo(end=END)
        print(f"(a) demo: {describe(demo)} (built in {time.perf_counter() - started:.1f} s)")
        flip = StatusFlipper(demo)
        print(f"    a status change takes {min(flip.flip(), flip.flip()) * 1000:.0f} ms")
        report("(a) demo workspace", measure(demo, "Contoso Pharma", tmp, pages), 1.0, 3.0)
        if args.rows:
            started = time.perf_counter()
            large = build_large(demo, tmp / "large", args.rows, args.resources)
            print(
                f"\n(b) large: {describe(large)} (built in {time.perf_counter() - started:.1f} s)"
            )
            timings = measure(large, "Contoso Pharma (large)", tmp, pages)
            report(f"(b) {args.rows:,} cost rows", timings, TARGET_LARGE_S, TARGET_LARGE_S)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
