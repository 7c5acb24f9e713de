"""Which export a cost file comes from, and when it ran, as far as the file declares it.

A newer delivery may replace an older one only when both come from the same export
(same dataset, same scope). Where the export says so, that is certain:

- an export run's ``manifest.json`` names its scope (``exportConfig.resourceId``) and
  the time it was submitted (``runInfo.submittedTime``);
- Azure's storage paths name the export: the classic layout
  ``<export>/<YYYYMMDD-YYYYMMDD>/<export>_<guid>.csv`` and the partitioned layout
  ``<YYYYMMDD-YYYYMMDD>/<export>/<yyyyMMddHHmm>/<guid>/<part>``, which also carries
  the run time.

Anything else is inferred from the rows by :mod:`cloudoptima.ingest.supersede`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cloudoptima.ingest.detect import Detected

_DATE_RANGE = re.compile(r"^\d{8}-\d{8}$")
_RUN_TIME = re.compile(r"^\d{12}$")
_EXPORTS = "/providers/microsoft.costmanagement/exports/"


@dataclass(frozen=True)
class ExportIdentity:
    """The declared scope of an export (None: not declared) and when it ran."""

    scope: str | None = None  # a lower-case ARM scope, or 'export:<name>' from the path
    source: str = "rows"  # manifest | path | rows
    exported_at: datetime | None = None


def identity_of(detected: Detected) -> ExportIdentity:
    """What the manifest, else the storage path, declares about the export."""
    from_path = _from_path(detected.path)
    manifest = detected.manifest
    resource_id = str(manifest.get("exportConfig", {}).get("resourceId") or "").lower()
    submitted = _timestamp(manifest.get("runInfo", {}).get("submittedTime"))
    exported_at = submitted or from_path.exported_at
    if resource_id:
        scope = resource_id.split(_EXPORTS)[0].rstrip("/") or "/"
        return ExportIdentity(scope, "manifest", exported_at)
    return ExportIdentity(from_path.scope, from_path.source, exported_at)


def _from_path(path: Path) -> ExportIdentity:
    parts = [p.lower() for p in path.parts]
    ranges = [i for i, part in enumerate(parts) if _DATE_RANGE.match(part)]
    if not ranges:
        return ExportIdentity()
    at = ranges[-1]
    before = parts[at - 1] if at > 0 else ""
    after = parts[at + 1 : at + 3]
    # classic: <export>/<range>/<export>_<guid>.csv
    if before and len(after) == 1 and after[0].startswith(before + "_"):
        return ExportIdentity(f"export:{before}", "path")
    # partitioned: <range>/<export>/<yyyyMMddHHmm>/...
    if len(after) == 2 and _RUN_TIME.match(after[1]):
        ran = datetime.strptime(after[1], "%Y%m%d%H%M")
        return ExportIdentity(f"export:{after[0]}", "path", ran)
    return ExportIdentity()


def _timestamp(value: object) -> datetime | None:
    """An ISO 8601 time as naive UTC; Azure writes 7 fraction digits, Python reads 6."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = re.sub(r"(\.\d{6})\d+", r"\1", value.strip()).replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def contains(outer: ExportIdentity, inner: ExportIdentity) -> bool | None:
    """Whether ``outer``'s declared scope holds all of ``inner``'s; None: cannot tell.

    ARM scopes nest by path (a subscription holds its resource groups); export names
    from paths are equal or unrelated. A billing account and a subscription cannot be
    compared by their ids, so the rows decide.
    """
    if outer.scope is None or inner.scope is None:
        return None
    if outer.scope == inner.scope:
        return True
    exports = (outer.scope.startswith("export:"), inner.scope.startswith("export:"))
    if all(exports):
        return False
    if any(exports):
        return None
    if inner.scope.startswith(outer.scope + "/"):
        return True
    subscriptions = outer.scope.startswith("/subscriptions/") and inner.scope.startswith(
        "/subscriptions/"
    )
    if subscriptions or outer.scope.startswith(inner.scope + "/"):
        return False
    return None
