"""Cost Management export runs: a folder with ``manifest.json`` and partitioned parts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cloudoptima.errors import IngestError
from cloudoptima.ingest.detect import Detected, detect

_DATASETS = {"focuscost": "focus", "actualcost": "actual", "amortizedcost": "amortized"}


def find_manifests(folder: Path) -> list[Path]:
    """Every export run under ``folder``, oldest run first (a damaged manifest's run first:
    its import then says what is wrong with it)."""
    manifests = sorted(folder.rglob("manifest.json"))
    return sorted(manifests, key=_submitted_at)


def _submitted_at(manifest: Path) -> str:
    try:
        return _submitted(_read(manifest))
    except IngestError:
        return ""


def detect_export_run(folder: Path, kind: str | None) -> Detected:
    """Detect the run whose ``manifest.json`` sits in ``folder``."""
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        raise IngestError(
            folder, "is a folder without a manifest.json; give the export files instead"
        )
    manifest = _read(manifest_path)
    parts = tuple(_part_paths(folder, manifest))
    first = detect(parts[0], kind)
    if first.kind != "cost":
        raise IngestError(parts[0], "is listed in an export manifest but is not a cost export")
    dataset_type = str(manifest.get("exportConfig", {}).get("type", "")).lower()
    dataset = _DATASETS.get(dataset_type, first.dataset)
    version = manifest.get("exportConfig", {}).get("dataVersion") or first.version
    return Detected(
        folder,
        "cost",
        first.format,
        version,
        dataset,
        first.file_type,
        parts,
        first.header,
        manifest,
        sniffed=first.sniffed,
        choice=kind,
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise IngestError(path, f"is not a readable export manifest ({exc})") from exc
    except RecursionError:
        raise IngestError(
            path, "is not a readable export manifest: it is nested too deeply"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("blobs"), list):
        raise IngestError(path, "is not an export manifest: it has no 'blobs' list")
    return data


def _submitted(manifest: dict[str, Any]) -> str:
    run = manifest.get("runInfo", {})
    return str(run.get("submittedTime") or run.get("startDate") or "")


def _part_paths(folder: Path, manifest: dict[str, Any]) -> list[Path]:
    paths = []
    for index, blob in enumerate(manifest["blobs"]):
        name = str(blob.get("blobName", "") if isinstance(blob, dict) else "").rsplit("/", 1)[-1]
        if name.strip() in ("", ".", ".."):
            raise IngestError(
                folder / "manifest.json",
                f"blob {index + 1} ('{name}') does not name a file: the manifest is damaged",
            )
        candidate = folder / name
        if not candidate.is_file():
            raise IngestError(
                folder / "manifest.json",
                f"blob {index + 1} ('{name}') is listed but missing from the folder: "
                "the export run was not copied completely",
            )
        paths.append(candidate)
    if not paths:
        raise IngestError(folder / "manifest.json", "lists no data files")
    return paths


def expected_rows(detected: Detected) -> int | None:
    """The row count the manifest promises, when it gives one."""
    count = detected.manifest.get("dataRowCount")
    return int(count) if isinstance(count, int) else None
