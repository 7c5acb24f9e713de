"""CloudOptima: FinOps analytics for Azure on DuckDB.

Quick start::

    import cloudoptima
    ws = cloudoptima.Workspace.open("data/workspace")
    ws.ingest(["focuscost_2026-10.csv"]); ws.costs(by="ServiceName")
"""

from __future__ import annotations

from cloudoptima.errors import CloudOptimaError, IngestError, WorkspaceError
from cloudoptima.ingest.importer import ImportResult
from cloudoptima.workspace import Workspace

__all__ = ["CloudOptimaError", "ImportResult", "IngestError", "Workspace", "WorkspaceError"]
__version__ = "0.1.0"
