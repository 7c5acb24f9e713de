"""The sandbox holds even when the guard is bypassed: no files, no settings, one workspace."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from cloudoptima import Workspace
from cloudoptima.ai.sandbox import QueryError, QueryTimeout, Sandbox, Sources, execute
from cloudoptima.ai.views import VIEW_NAMES


@pytest.fixture
def sandbox(demo_workspace: Workspace) -> Sandbox:
    return Sandbox(Sources(demo_workspace.store.live_path(), demo_workspace.findings, _no_forecast))


def _no_forecast() -> object:
    raise AssertionError("not needed")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('{secret}')",
        "SELECT * FROM read_text('{secret}')",
        "SELECT * FROM glob('{folder}/*')",
        "SELECT * FROM '{secret}'",
        "COPY (SELECT 1) TO '{folder}/out.csv'",
        "ATTACH '{folder}/other.duckdb' AS other",
        "EXPORT DATABASE '{folder}/dump'",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET enable_external_access = true",
        "SET lock_configuration = false",
        "INSERT INTO live.costs SELECT * FROM live.costs LIMIT 1",
        "DELETE FROM live.resources",
    ],
)
def test_statements_past_the_guard_still_fail(sandbox: Sandbox, tmp_path: Path, sql: str) -> None:
    folder = tmp_path / "files"
    folder.mkdir()
    secret = folder / "secret.csv"
    secret.write_text("password\nhunter2\n")
    con = sandbox.connect()  # the connection the guard's statements run on, guard bypassed
    try:
        with pytest.raises(duckdb.Error):
            con.execute(sql.format(secret=secret, folder=folder)).fetchall()
    finally:
        con.close()
    assert sorted(p.name for p in folder.iterdir()) == ["secret.csv"]  # nothing written


def test_the_live_data_cannot_be_changed(sandbox: Sandbox, demo_workspace: Workspace) -> None:
    before = demo_workspace.sql("SELECT count(*) FROM costs").item()
    con = sandbox.connect()
    try:
        with pytest.raises(duckdb.Error, match=r"read-only|read only"):
            con.execute("DELETE FROM live.costs")
    finally:
        con.close()
    assert demo_workspace.sql("SELECT count(*) FROM costs").item() == before


def test_only_the_workspace_given_is_attached(sandbox: Sandbox, demo_workspace: Workspace) -> None:
    con = sandbox.connect()
    try:
        files = {
            r[0]
            for r in con.execute(
                "SELECT path FROM duckdb_databases() WHERE path IS NOT NULL"
            ).fetchall()
        }
    finally:
        con.close()
    assert files == {str(demo_workspace.store.live_path())}


def test_views_answer_like_the_raw_tables(sandbox: Sandbox, demo_workspace: Workspace) -> None:
    raw = demo_workspace.sql(
        "SELECT ServiceName AS service_name, sum(EffectiveCost) AS cost FROM costs GROUP BY 1 ORDER BY 1"
    )
    viewed = sandbox.run(
        "SELECT service_name, sum(effective_cost) AS cost FROM daily_costs GROUP BY 1 ORDER BY 1"
    ).frame
    assert viewed.equals(raw)
    assert set(VIEW_NAMES) == {
        "daily_costs",
        "resources",
        "findings",
        "forecasts",
        "forecast_month_end",
    }


def test_findings_come_from_the_facade_with_resource_tags(
    sandbox: Sandbox, demo_workspace: Workspace
) -> None:
    frame = sandbox.run(
        "SELECT finding_id, monthly_savings, tags FROM findings ORDER BY finding_id"
    ).frame
    expected = demo_workspace.findings().select("finding_id", "monthly_savings").sort("finding_id")
    assert frame.select("finding_id", "monthly_savings").equals(expected)
    assert frame["tags"].null_count() < frame.height


def test_rows_are_capped(demo_workspace: Workspace) -> None:
    capped = Sandbox(
        Sources(demo_workspace.store.live_path(), demo_workspace.findings, _no_forecast), row_cap=7
    )
    result = capped.run("SELECT * FROM daily_costs")
    assert (result.frame.height, result.truncated) == (7, True)
    small = capped.run("SELECT * FROM daily_costs LIMIT 7")
    assert (small.frame.height, small.truncated) == (7, False)


def test_a_slow_query_is_interrupted(demo_workspace: Workspace) -> None:
    quick = Sandbox(
        Sources(demo_workspace.store.live_path(), demo_workspace.findings, _no_forecast),
        time_limit=0.5,
    )
    with pytest.raises(QueryTimeout, match=r"longer than 0\.5 seconds"):
        quick.run(
            "SELECT count(*) FROM daily_costs a, daily_costs b WHERE a.effective_cost > b.effective_cost"
        )


def test_sql_errors_are_one_line(sandbox: Sandbox) -> None:
    with pytest.raises(QueryError) as failed:
        sandbox.run("SELECT no_such_column FROM daily_costs")
    assert "no_such_column" in str(failed.value)
    assert "\n" not in str(failed.value)


def test_execute_caps_and_times_a_plain_connection() -> None:
    con = duckdb.connect()
    frame, truncated = execute(con, "SELECT * FROM range(10) t(i)", 3, 5.0)
    assert frame.equals(pl.DataFrame({"i": [0, 1, 2]}))
    assert truncated
