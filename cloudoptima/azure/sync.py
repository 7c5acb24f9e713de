"""A sync: fetch a connection's inventory, metrics and costs as files ingest reads.

:func:`fetch` signs in, lists the subscriptions in scope and fetches each dataset,
writing what landed whole into ``folder`` (Resource Graph JSON, Azure Monitor JSON
lines, a FOCUS CSV, Cost Details CSVs). It never raises for Azure's failures: each
one is a :class:`~cloudoptima.azure.report.PartFailure` of a dataset and
subscription, and a part that failed writes no file, so importing the folder leaves
that part's previous data as it was. The workspace imports the files through its
one way in and :func:`record_sync` adds the sync's own line to the import log.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cloudoptima.azure import require_sdk
from cloudoptima.azure.access import Subscription
from cloudoptima.azure.connections import Connection
from cloudoptima.azure.options import SyncOptions, SyncProgress
from cloudoptima.azure.problems import explain
from cloudoptima.azure.report import PartFailure, SyncReport

if TYPE_CHECKING:
    import duckdb

    from cloudoptima.azure.clients import AzureSession

# Share of the progress bar each stage takes.
_STAGES = {"subscriptions": 0.05, "inventory": 0.25, "metrics": 0.35, "costs": 0.3, "import": 0.05}


class _Progress:
    """Turns (done, total) within a stage into a fraction of the whole sync."""

    def __init__(self, callback: SyncProgress | None) -> None:
        self._callback = callback
        self._base = 0.0

    def stage(self, name: str, text: str) -> Any:
        weight = _STAGES[name]
        base = self._base
        self._base += weight

        def tick(done: int, total: int) -> None:
            if self._callback:
                self._callback(min(base + weight * done / max(total, 1), 1.0), text)

        tick(0, 1)
        return tick


def fetch(
    connection: Connection,
    secret: str | None,
    folder: Path,
    options: SyncOptions,
    progress: SyncProgress | None = None,
) -> tuple[SyncReport, list[Path]]:
    """Fetch the datasets of ``options`` into ``folder``; the report and the files to import."""
    require_sdk()
    from cloudoptima.azure.clients import AzureSession

    report = SyncReport(connection.name, _now(), datasets=options.only)
    folder.mkdir(parents=True, exist_ok=True)
    steps = _Progress(progress)
    session = AzureSession(connection, secret, options.tuning)
    try:
        tick = steps.stage("subscriptions", "Signing in and listing subscriptions")
        subscriptions = _subscriptions(session, report, secret)
        tick(1, 1)
        files = _fetch_datasets(session, subscriptions, folder, options, report, steps, secret)
    finally:
        session.close()
    report.retries, report.pauses = session.stats.retries, session.stats.pauses
    return report, files


def _subscriptions(
    session: AzureSession, report: SyncReport, secret: str | None
) -> list[Subscription]:
    from cloudoptima.azure.access import in_scope, visible_subscriptions

    try:
        visible = visible_subscriptions(session)
    except Exception as exc:  # sign-in or listing failed: nothing else can run
        report.failures.append(
            PartFailure("subscriptions", None, explain(exc, dataset="subscriptions", secret=secret))
        )
        return []
    chosen, missing = in_scope(session.connection.subscriptions, visible)
    for sub_id in missing:
        for dataset in report.datasets:
            report.failures.append(
                PartFailure(
                    dataset,
                    Subscription(sub_id, sub_id),
                    "the identity cannot see this subscription (no role on it, or another tenant)",
                )
            )
    report.subscriptions = len(chosen)
    return chosen


def _fetch_datasets(
    session: AzureSession,
    subscriptions: list[Subscription],
    folder: Path,
    options: SyncOptions,
    report: SyncReport,
    steps: _Progress,
    secret: str | None,
) -> list[Path]:
    from cloudoptima.azure.inventory import fetch_inventory

    if not subscriptions:
        return []
    files: list[Path] = []
    tick = steps.stage("inventory", "Reading the inventory (Resource Graph)")
    inventory = fetch_inventory(
        session,
        subscriptions,
        batch=options.subscription_batch,
        concurrency=options.concurrency,
        secret=secret,
        tick=tick,
    )
    if "inventory" in options.only:
        report.failures.extend(inventory.failures)
        if inventory.done:
            files.append(_write(folder / "inventory.json", inventory.to_json()))
            report.counts["inventory"] = f"{len(inventory.records):,} resources"
    listed = [s for s in subscriptions if s.id in inventory.done]
    if "metrics" in options.only:
        _note_unlisted("metrics", subscriptions, listed, report)
        files += _metrics(
            session, inventory.records, listed, folder, options, report, steps, secret
        )
    if "costs" in options.only:
        counts = _resource_counts(inventory.records)
        files += _costs(session, subscriptions, counts, folder, options, report, steps, secret)
    return files


def _note_unlisted(
    dataset: str,
    subscriptions: Sequence[Subscription],
    listed: Sequence[Subscription],
    report: SyncReport,
) -> None:
    for sub in subscriptions:
        if sub not in listed:
            report.failures.append(
                PartFailure(
                    dataset,
                    sub,
                    "its resources could not be listed (Resource Graph), so none were read",
                )
            )


def _metrics(
    session: AzureSession,
    records: list[dict[str, Any]],
    subscriptions: list[Subscription],
    folder: Path,
    options: SyncOptions,
    report: SyncReport,
    steps: _Progress,
    secret: str | None,
) -> list[Path]:
    from cloudoptima.azure.metrics import fetch_metrics

    end = _now().replace(minute=0, second=0, microsecond=0)
    fetched = fetch_metrics(
        session,
        records,
        subscriptions,
        start=end - timedelta(days=options.days),
        end=end,
        concurrency=options.concurrency,
        secret=secret,
        tick=steps.stage("metrics", "Reading hourly metrics (Azure Monitor)"),
    )
    report.failures.extend(fetched.failures)
    if not fetched.responses:
        return []
    report.counts["metrics"] = f"{fetched.points:,} points of {fetched.resources:,} resources"
    return [_write(folder / "metrics.json", fetched.to_json_lines())]


def _costs(
    session: AzureSession,
    subscriptions: list[Subscription],
    counts: dict[str, int],
    folder: Path,
    options: SyncOptions,
    report: SyncReport,
    steps: _Progress,
    secret: str | None,
) -> list[Path]:
    from cloudoptima.azure import cost_focus
    from cloudoptima.azure.costs import fetch_costs

    fetched = fetch_costs(
        session,
        subscriptions,
        days=options.days,
        today=_now().date(),
        resource_counts=counts,
        large_scope_resources=options.large_scope_resources,
        secret=secret,
        tick=steps.stage("costs", "Reading daily costs (Cost Management)"),
    )
    report.failures.extend(fetched.failures)
    files = []
    if fetched.query_done:  # some subscription's Query API costs landed whole
        files.append(cost_focus.write_csv(fetched.focus_rows, folder / "costs-focus.csv"))
    for name, content in fetched.detail_files.items():
        (folder / name).write_bytes(content)
        files.append(folder / name)
    if files:
        report.counts["costs"] = (
            f"{len(fetched.focus_rows):,} daily FOCUS rows"
            + (
                f" and {len(fetched.detail_files)} Cost Details files"
                if fetched.detail_files
                else ""
            )
            + f", {fetched.first_day} to {fetched.last_day}"
        )
    return files


def _resource_counts(records: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in records:
        sub = str(record.get("subscriptionId") or "").lower()
        counts[sub] = counts.get(sub, 0) + 1
    return counts


def record_sync(con: duckdb.DuckDBPyConnection, report: SyncReport, results: list[Any]) -> None:
    """Finish ``report`` with the imports' outcome and add the sync's line to the import log."""
    report.imports = results
    for result in results:
        if result.status == "failed":
            report.failures.append(
                PartFailure(_dataset_of(result), None, f"import failed: {result.error}")
            )
    report.finished = _now()
    row = con.execute("SELECT coalesce(max(import_id), 0) + 1 FROM imports").fetchone()
    report.import_id = int(row[0]) if row else 1
    con.execute(
        """INSERT INTO imports (import_id, file, kind, format, rows, status, error, message,
               started_at, finished_at) VALUES (?, ?, 'sync', 'azure', ?, ?, ?, ?, ?, ?)""",
        [
            report.import_id,
            f"azure sync: {report.connection}",
            sum(r.rows for r in results if r.status == "loaded"),
            "loaded" if report.ok else "failed",
            "; ".join(f.sentence() for f in report.failures) or None,
            report.summary(),
            report.started,
            report.finished,
        ],
    )


def _dataset_of(result: Any) -> str:
    return {"cost": "costs", "inventory": "inventory", "metrics": "metrics"}.get(
        str(result.kind), "sync"
    )


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
