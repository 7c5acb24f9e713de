"""Workspace files: creation, schema migration in place, generations."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from helpers import focus_rows, write_focus

from cloudoptima import Workspace, WorkspaceError
from cloudoptima.storage.migrations import SCHEMA_VERSION, migrate, schema_version


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
    assert ws.sql("SELECT max(version) FROM schema_info").item() == SCHEMA_VERSION == 3
    assert ws.sql("SELECT count(*) FROM settings").item() == 0
    assert ws.totals().row(0, named=True)["BilledCost"] == pytest.approx(12.5)


def test_a_newer_workspace_is_refused(tmp_path: Path) -> None:
    _make_v1_workspace(tmp_path / "new")
    con = duckdb.connect(str(tmp_path / "new" / "db-000001.duckdb"))
    con.execute("INSERT INTO schema_info VALUES (99, now()::TIMESTAMP)")
    con.close()
    with pytest.raises(WorkspaceError, match="schema version 99, newer than"):
        Workspace.open(tmp_path / "new").ingest([])


def test_new_workspace_has_current_schema_and_no_data(workspace: Workspace) -> None:
    assert workspace.is_empty()
    con, _ = workspace.store.connect_reader()
    assert schema_version(con) == SCHEMA_VERSION
    tables = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    con.close()
    assert {"costs", "resources", "metrics", "imports", "settings"} <= tables


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


def test_imported_files_are_kept_in_raw(tmp_path: Path, workspace: Workspace) -> None:
    path = write_focus(tmp_path / "sep.csv", focus_rows(range(1, 3)))
    workspace.ingest([path])
    [kept] = list((workspace.root / "raw").rglob("sep.csv"))
    assert kept.read_bytes() == path.read_bytes()


def test_default_workspace_location_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUDOPTIMA_WORKSPACE", str(tmp_path / "from-env"))
    assert Workspace.open().root == tmp_path / "from-env"
