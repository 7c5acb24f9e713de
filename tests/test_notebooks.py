"""Every notebook in notebooks/ runs top to bottom on the demo workspace, without errors.

Notebooks are committed without outputs. A notebook may name the public API it needs in
its metadata (``"cloudoptima": {"requires": ["Workspace.ask"]}``); it is skipped, with
the reason, while this cloudoptima lacks it.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import cloudoptima

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
# What each notebook must print or show, besides the demo's import line.
EXPECTED = {
    "01-quickstart.ipynb": ["idle_vm"],
    "02-cost-overview.ipynb": ["Virtual Machines", "(unallocated)"],
    "03-findings-and-savings.ipynb": ["idle_vm", "dismissed"],
    "04-forecast-and-budgets.ipynb": ["Cost data ends 2026-11-24", "seasonal_naive"],
    "05-asking-questions.ipynb": [],
    "06-exporting-the-report.ipynb": ["contoso-october.pdf: 9 pages, October 2026"],
}
PLOTLY = "application/vnd.plotly.v1+json"


def test_there_are_notebooks() -> None:
    assert {p.name for p in NOTEBOOKS} == set(EXPECTED)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebooks_are_committed_without_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), (
        f"{path.name}: strip the outputs before committing (Kernel > Restart & Clear Output)"
    )


def missing_api(notebook: nbformat.NotebookNode) -> list[str]:
    """The public names a notebook needs that this cloudoptima does not have."""
    needs = notebook.metadata.get("cloudoptima", {}).get("requires", [])
    missing = []
    for name in needs:
        owner, _, attribute = name.partition(".")
        if not hasattr(getattr(cloudoptima, owner, None), attribute):
            missing.append(name)
    return missing


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: Path, tmp_path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    if missing := missing_api(notebook):
        pytest.skip(f"{path.name} needs {', '.join(missing)}, which this cloudoptima lacks yet")
    NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(
        str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in outputs
    )
    for expected in ["rows imported from 15 files", *EXPECTED[path.name]]:
        assert expected in text, f"{path.name} does not show {expected!r}"
    if path.name != "01-quickstart.ipynb":  # the analyst notebooks draw their figures inline
        assert any(PLOTLY in o.get("data", {}) for o in outputs)
