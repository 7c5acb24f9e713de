"""One Workspace shared by many threads (as the app shares it between sessions) while
another process publishes imports: the read connection is swapped under them, and no
query may fail or see a half-written state."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

from helpers import focus_rows, write_focus

from cloudoptima import Workspace

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from cloudoptima import Workspace
    ws = Workspace.open(sys.argv[1])
    for path in sys.argv[2:]:
        [result] = ws.ingest([Path(path)])
        assert result.status == "loaded", result.error
    """
)


def test_threads_keep_reading_while_another_process_publishes(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "ws", create=True)
    ws.ingest([write_focus(tmp_path / "base.csv", focus_rows(range(1, 29), resources=20))])
    months = [f"2026-{m:02d}" for m in range(1, 9)]
    files = [
        str(write_focus(tmp_path / f"{m}.csv", focus_rows(range(1, 29), month=m, resources=20)))
        for m in months
    ]
    errors: list[BaseException] = []
    seen: set[tuple[int, int]] = set()
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                # Heavy enough that swaps happen while a query runs on the old connection.
                frame = ws.sql(
                    """SELECT count(DISTINCT _import_id) AS imports, count(*) AS rows,
                              sum(BilledCost * r.range) AS weighted
                       FROM costs, range(200) AS r"""
                )
                imports, rows = int(frame["imports"][0]), int(frame["rows"][0])
                assert rows == imports * 28 * 20 * 200  # only whole imports are ever seen
                seen.add((imports, rows))
            except BaseException as exc:  # any failure of any kind fails the test
                errors.append(exc)

    readers = [threading.Thread(target=read) for _ in range(4)]
    for thread in readers:
        thread.start()
    try:
        writer = subprocess.run(
            [sys.executable, "-c", WRITER, str(ws.root), *files],
            capture_output=True,
            text=True,
            timeout=300,
        )
        time.sleep(0.5)  # let the readers pick up the last generation
    finally:
        done.set()
        for thread in readers:
            thread.join(timeout=60)
    assert writer.returncode == 0, writer.stderr
    assert not errors, errors[:3]
    assert len(seen) >= 3  # the readers saw several generations come and go
    assert max(seen)[0] == 1 + len(months)
    assert ws.data_version == 2 + len(months)
