"""CloudOptima: FinOps analytics for Azure on DuckDB.

Quick start::

    import cloudoptima
    ws = cloudoptima.Workspace.open("data/workspace", create=True)
    ws.ingest(["focuscost_2026-10.csv"]); ws.costs(by="ServiceName")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cloudoptima.errors import CloudOptimaError, IngestError, WorkspaceError
from cloudoptima.workspace import Workspace

if TYPE_CHECKING:
    from cloudoptima.analysis.forecast import ForecastResult
    from cloudoptima.analysis.rates import RateOptimization
    from cloudoptima.ingest.importer import ImportResult

__all__ = [
    "CloudOptimaError",
    "ForecastResult",
    "ImportResult",
    "IngestError",
    "RateOptimization",
    "Workspace",
    "WorkspaceError",
]
__version__ = "0.1.0"

# Result types load on first use, so `import cloudoptima` (and the command line) starts fast.
_LAZY = {
    "ForecastResult": "cloudoptima.analysis.forecast",
    "ImportResult": "cloudoptima.ingest.importer",
    "RateOptimization": "cloudoptima.analysis.rates",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'cloudoptima' has no attribute {name!r}")
