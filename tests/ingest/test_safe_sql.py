"""Values from users and files reach SQL only as parameters or through the quoting helper."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cloudoptima import Workspace
from cloudoptima.cli import main
from cloudoptima.errors import CloudOptimaError
from cloudoptima.ingest import azure_exports

# The export has no currency column, so --currency is the value that would reach SQL.
NO_CURRENCY = "cost-exports/opencost_values_VirtualMachine.csv"
INJECTION = "EUR' || (SELECT string_agg(file, ',') FROM imports) || '"


@pytest.mark.parametrize("currency", [INJECTION, "US$", "EURO", "", "X'Y", "usd'--"])
def test_a_bad_currency_is_refused_and_nothing_is_stored(
    samples: Path, workspace: Workspace, currency: str
) -> None:
    [result] = workspace.ingest([samples / NO_CURRENCY], currency=currency)
    assert result.status == "failed"
    assert result.error == (
        f"--currency {currency!r} is not an ISO 4217 currency code; "
        "use three letters such as USD, EUR or GBP"
    )
    assert workspace.sql("SELECT count(*) FROM costs").item() == 0
    log = workspace.imports().row(0, named=True)
    assert (log["status"], log["rows"], log["error"]) == ("failed", 0, result.error)


def test_the_cli_refuses_an_injected_currency(samples: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    args = ["--workspace", str(ws), "ingest", str(samples / NO_CURRENCY), "--currency", INJECTION]
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 1
    assert "is not an ISO 4217 currency code" in out.output
    assert Workspace.open(ws).sql("SELECT count(*) FROM costs").item() == 0


def test_a_valid_currency_is_stored_upper_case(samples: Path, workspace: Workspace) -> None:
    [result] = workspace.ingest([samples / NO_CURRENCY], currency=" eur ")
    assert result.status == "loaded", result.error
    assert workspace.sql("SELECT DISTINCT BillingCurrency FROM costs").item() == "EUR"


def test_the_sql_builder_itself_refuses_an_injected_currency() -> None:
    # Defence in depth: even a caller that skips the importer's check cannot inject.
    cols = azure_exports.LegacyColumns(["Date", "Cost"], ["c0", "c1"])
    with pytest.raises(CloudOptimaError, match="not an ISO 4217"):
        azure_exports.focus_select(cols, "actual", INJECTION)
    exprs = azure_exports.focus_select(cols, "actual", "chf")
    assert exprs["BillingCurrency"] == "upper(trim(coalesce(NULL, 'CHF')))"
