"""Workspace files: creation, schema migration in place, generations."""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest
from helpers import focus_rows, write_focus

from cloudoptima import Workspace, WorkspaceError
from cloudoptima.storage.migrations import SCHEMA_VERSION, migrate, schema_version
from cloudoptima.storage.schema import TABLES
from cloudoptima.storage.sql import quote_ident


def _make_v1_workspace(root: Path) -> None:
    """A workspace as the first release wrote it: schema version 1, one cost row."""
    root.mkdir(parents=True)
    con = duckdb.connect(str(root / "db-000001.duckdb"))
    migrate(con, target=1)
    con.execute(
        "INSERT INTO costs (BilledCost, BillingCurrency, _import_id) VALUES (12.5, 'EUR', 1)"
    )
    con.close()
    (root / "CURRENT").write_text("db-000001.duckdb\n")


def test_an_older_workspace_is_upgraded_in_place_keeping_its_data(tmp_path: Path) -> None:
    _make_v1_workspace(tmp_path / "old")
    ws = Workspace.open(tmp_path / "old")
    assert ws.sql("SELECT max(version) FROM schema_info").item() == SCHEMA_VERSION == 5
    assert ws.settings()["old_snapshot.days"] == 90
    assert ws.totals().row(0, named=True)["BilledCost"] == pytest.approx(12.5)


def _columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    rows = con.execute(
        """SELECT table_name, column_name, data_type FROM information_schema.columns
           WHERE table_name <> 'schema_info' ORDER BY table_name, ordinal_position"""
    ).fetchall()
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        tables.setdefault(table, []).append((column, data_type))
    return tables


def test_an_upgraded_workspace_has_exactly_the_schema_of_a_new_one(tmp_path: Path) -> None:
    _make_v1_workspace(tmp_path / "old")
    upgraded, fresh = (
        Workspace.open(tmp_path / "old"),
        Workspace.open(tmp_path / "new", create=True),
    )
    shapes = []
    for ws in (upgraded, fresh):
        con, _ = ws.store.connect_reader()
        shapes.append(_columns(con))
        con.close()
    assert shapes[0] == shapes[1]
    # ... and the code's own description of the tables is what the migrations built
    con = duckdb.connect()
    for table, columns in TABLES.items():
        con.execute(
            f"CREATE TABLE {table} ({', '.join(f'{quote_ident(c)} {t}' for c, t in columns.items())})"
        )
    assert _columns(con) == shapes[1]


def test_settings_and_statuses_of_a_version_3_workspace_move_to_the_state_store(
    tmp_path: Path,
) -> None:
    root = tmp_path / "v3"
    root.mkdir()
    con = duckdb.connect(str(root / "db-000001.duckdb"))
    migrate(con, target=3)
    con.execute("""INSERT INTO settings VALUES ('old_snapshot.days', '120'),
                   ('_analysis_state', '{"import": 3}')""")
    con.execute(
        """INSERT INTO findings (finding_id, rule, status, status_reason) VALUES
           ('idle_vm:1', 'idle_vm', 'dismissed', 'lab machine'),
           ('old_snapshot:2', 'old_snapshot', 'resolved',
            'no longer matches the rule, or the resource is gone'),
           ('idle_vm:3', 'idle_vm', 'open', NULL)"""
    )
    con.close()
    (root / "CURRENT").write_text("db-000001.duckdb\n")
    ws = Workspace.open(root)
    assert ws.settings()["old_snapshot.days"] == 120
    statuses = ws.state.statuses()
    assert statuses.select("finding_id", "status", "reason").rows() == [
        ("idle_vm:1", "dismissed", "lab machine")
    ]
    tables = set(ws.sql("SELECT table_name FROM information_schema.tables")["table_name"])
    assert not {"settings", "findings"} & tables


def test_a_newer_workspace_is_refused(tmp_path: Path) -> None:
    _make_v1_workspace(tmp_path / "new")
    con = duckdb.connect(str(tmp_path / "new" / "db-000001.duckdb"))
    con.execute("INSERT INTO schema_info VALUES (99, now()::TIMESTAMP)")
    con.close()
    with pytest.raises(WorkspaceError, match="schema version 99, newer than"):
        Workspace.open(tmp_path / "new")


def test_new_workspace_has_current_schema_and_no_data(workspace: Workspace) -> None:
    assert workspace.is_empty()
    con, _ = workspace.store.connect_reader()
    assert schema_version(con) == SCHEMA_VERSION
    tables = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    con.close()
    assert {"costs", "resources", "metrics", "imports", "reservation_recommendations"} <= tables


def test_each_write_publishes_a_generation_and_old_ones_are_pruned(
    tmp_path: Path, workspace: Workspace
) -> None:
    for month in ("2026-06", "2026-07", "2026-08", "2026-09", "2026-10"):
        workspace.ingest(
            [write_focus(tmp_path / f"{month}.csv", focus_rows(range(1, 3), month=month))]
        )
    assert workspace.data_version == 6
    files = sorted(p.name for p in workspace.root.glob("db-*.duckdb"))
    assert files == ["db-000004.duckdb", "db-000005.duckdb", "db-000006.duckdb"]
    assert (workspace.root / "CURRENT").read_text().strip() == "db-000006.duckdb"


def test_imported_files_are_kept_in_raw_compressed(tmp_path: Path, workspace: Workspace) -> None:
    path = write_focus(tmp_path / "sep.csv", focus_rows(range(1, 28)))
    parquet = tmp_path / "oct.parquet"
    pl.read_csv(
        write_focus(tmp_path / "oct.csv", focus_rows(range(1, 3), month="2026-10"))
    ).write_parquet(parquet)
    workspace.ingest([path, parquet])
    [kept] = list((workspace.root / "raw").rglob("sep.csv.gz"))
    assert gzip.decompress(kept.read_bytes()) == path.read_bytes()
    assert kept.stat().st_size < path.stat().st_size / 3
    [as_is] = list((workspace.root / "raw").rglob("oct.parquet"))  # compressed already
    assert as_is.read_bytes() == parquet.read_bytes()
    workspace.ingest([path])  # imported before: nothing new is kept
    assert len(list((workspace.root / "raw").rglob("*.gz"))) == 1


def test_the_demo_keeps_its_files_once(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "demo", create=True)
    ws.build_demo(end=date(2026, 2, 10))
    assert (ws.root / "demo-source").is_dir()
    assert not (ws.root / "raw").exists()


def test_default_workspace_location_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUDOPTIMA_WORKSPACE", str(tmp_path / "from-env"))
    assert Workspace.open(create=True).root == tmp_path / "from-env"
