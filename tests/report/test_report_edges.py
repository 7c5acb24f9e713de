"""Reports of small workspaces: empty, out of period, several currencies, Unicode names, the CLI."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from helpers import focus_rows, write_focus
from pypdf import PdfReader

from cloudoptima import CloudOptimaError, Workspace
from cloudoptima.report.document import ReportDocument, Spanning

FIXED = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def text_of(path: Path) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(path).pages))


@pytest.fixture(scope="module")
def two_currencies(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """September in USD (subscription 'Prod') and in EUR (a Cyrillic name with €)."""
    root = tmp_path_factory.mktemp("currencies")
    ws = Workspace.open(root / "ws", create=True)
    euro_sub = "/subscriptions/00000000-0000-0000-0000-00000000000e"
    euro = [
        row.replace(",Prod,", ",Продакшн €,")
        for row in focus_rows(range(1, 29), currency="EUR", sub=euro_sub, cost=20.0)
    ]
    ws.ingest(
        [
            write_focus(root / "usd.csv", focus_rows(range(1, 29), currency="USD")),
            write_focus(root / "eur.csv", euro),
        ]
    )
    return ws


def test_an_empty_workspace_gives_a_short_report(workspace: Workspace, tmp_path: Path) -> None:
    written = workspace.report(tmp_path / "empty.pdf", generated_at=FIXED)
    assert (written.pages, written.period, written.currencies) == (1, None, [])
    assert "This workspace holds no cost data yet" in text_of(written.path)


def test_a_period_without_data_says_so(two_currencies: Workspace, tmp_path: Path) -> None:
    written = two_currencies.report(
        tmp_path / "march.pdf", start=date(2026, 3, 1), end=date(2026, 3, 31)
    )
    text = text_of(written.path)
    assert written.pages == 1
    assert "There is no cost data in March 2026" in text
    assert "USD from 2026-09-01 to 2026-09-28" in text


def test_each_currency_has_its_own_pages_never_added(
    two_currencies: Workspace, tmp_path: Path
) -> None:
    written = two_currencies.report(tmp_path / "both.pdf", sections=["kpis", "breakdowns"])
    assert written.currencies == ["EUR", "USD"] or written.currencies == ["USD", "EUR"]
    reader = PdfReader(written.path)
    by_currency = {
        c: " ".join(p.extract_text() for p in reader.pages if f"Amounts in {c}" in p.extract_text())
        for c in ("USD", "EUR")
    }
    usd = two_currencies.costs(metric="EffectiveCost", currency="USD")["EffectiveCost"].sum()
    eur = two_currencies.costs(metric="EffectiveCost", currency="EUR")["EffectiveCost"].sum()
    assert f"{float(usd):,.2f}" in by_currency["USD"]
    assert f"{float(eur):,.2f}" in by_currency["EUR"]
    assert f"{float(usd) + float(eur):,.2f}" not in text_of(written.path)
    assert written.figures["EUR"].spend == pytest.approx(float(eur))


def test_non_latin_names_and_currency_symbols_print(
    two_currencies: Workspace, tmp_path: Path
) -> None:
    written = two_currencies.report(tmp_path / "eur.pdf", sections=["breakdowns"], currency="EUR")
    assert "Продакшн €" in text_of(written.path)


def test_unknown_currency_section_and_paper_are_one_sentence(
    two_currencies: Workspace, tmp_path: Path
) -> None:
    with pytest.raises(CloudOptimaError, match="holds no cost billed in GBP; its currencies"):
        two_currencies.report(tmp_path / "x.pdf", currency="GBP")
    with pytest.raises(CloudOptimaError, match="unknown report section 'cover'"):
        two_currencies.report(tmp_path / "x.pdf", sections=["cover"])
    with pytest.raises(CloudOptimaError, match="unknown paper size 'A3'"):
        two_currencies.report(tmp_path / "x.pdf", paper="A3")
    with pytest.raises(CloudOptimaError, match=r"ends .* before it starts"):
        two_currencies.report(tmp_path / "x.pdf", start=date(2026, 9, 5), end=date(2026, 9, 1))
    assert not (tmp_path / "x.pdf").exists()


def test_a_long_table_repeats_its_header_on_every_page(tmp_path: Path) -> None:
    doc = ReportDocument(paper="A4", running_title="Test", stamp=FIXED)
    doc.add_page()
    rows = [[f"group-{i:03d}", f"{i * 1000.5:,.2f}"] for i in range(150)]
    rows.insert(3, Spanning("az group delete --name group-002"))
    doc.data_table(("Resource group", "Cost (USD)"), rows, widths=(60, 40), align="LR")
    path = tmp_path / "long.pdf"
    doc.output(str(path))
    pages = [p.extract_text() for p in PdfReader(path).pages]
    assert len(pages) >= 3
    assert all("Resource group Cost (USD)" in re.sub(r"\s+", " ", p) for p in pages)
    assert "group-149 149,074.50" in pages[-1]


def cli(ws: Workspace, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cloudoptima", "--workspace", str(ws.root), "report", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_command_writes_the_report(two_currencies: Workspace, tmp_path: Path) -> None:
    out = cli(
        two_currencies,
        "--out",
        str(tmp_path / "r.pdf"),
        "--start",
        "2026-09-01",
        "--end",
        "2026-09-28",
        "--sections",
        "summary,kpis",
        "--sections",
        "appendix",
        "--paper",
        "Letter",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"{tmp_path / 'r.pdf'}: 5 pages, 1 Sep 2026 to 28 Sep 2026"
    assert "Executive summary" in text_of(tmp_path / "r.pdf")


def test_the_command_refuses_in_one_sentence(two_currencies: Workspace, tmp_path: Path) -> None:
    out = cli(two_currencies, "--out", str(tmp_path / "r.pdf"), "--sections", "charts")
    assert out.returncode == 2
    assert out.stderr.strip().startswith("Error: unknown report section 'charts'")
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "r.pdf").exists()
