"""Benchmark the PDF report on the demo workspace: the whole ``cloudoptima report`` command.

Usage::

    .venv/bin/python bench/report.py [--runs 3]

Builds the demo workspace once under ``bench/out/report-demo`` (git-ignored), then
times ``cloudoptima report --out ...`` as a process, start-up included:

* the first run after an import, when the forecast is fitted (Prophet) and cached;
* later runs, which read the cached forecast, as the app and a second report do.

It prints the seconds of each run, the pages written and the file's size.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from cloudoptima import Workspace  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"


def demo(root: Path) -> Path:
    """The demo workspace (seed 7, data to 2026-11-24), built once."""
    if not (root / "CURRENT").exists():
        shutil.rmtree(root, ignore_errors=True)
        Workspace.open(root, create=True).build_demo(end=date(2026, 11, 24))
    return root


def run_report(root: Path, target: Path) -> tuple[float, str]:
    command = [sys.executable, "-m", "cloudoptima", "--workspace", str(root), "report"]
    started = time.perf_counter()
    done = subprocess.run(
        [*command, "--out", str(target)], capture_output=True, text=True, check=True
    )
    return time.perf_counter() - started, done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    root = demo(OUT / "report-demo")
    shutil.rmtree(root / "cache", ignore_errors=True)  # the first run fits the forecast
    target = OUT / "report-demo.pdf"
    first, said = run_report(root, target)
    later = [run_report(root, target)[0] for _ in range(args.runs)]
    size = target.stat().st_size / 1024
    print(said)
    print(f"cloudoptima report, first run (fits the forecast): {first:6.2f} s")
    print(
        f"cloudoptima report, cached forecast ({args.runs} runs): median "
        f"{statistics.median(later):6.2f} s, max {max(later):6.2f} s"
    )
    print(f"file size: {size:,.0f} KiB")


if __name__ == "__main__":
    main()
