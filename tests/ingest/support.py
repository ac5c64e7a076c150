"""Helpers for the ingest tests: read files with known contents, manifests, and a stand-in ingest client."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genolog.client import IngestError


def write_reads(folder: Path, *names: str) -> dict[str, str]:
    """Small files whose contents follow from their names; returns name -> md5."""
    digests = {}
    for name in names:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = (f"@{name}\nACGT\n+\nIIII\n" * (1 + len(name) % 5)).encode()
        path.write_bytes(data)
        digests[name] = hashlib.md5(data, usedforsecurity=False).hexdigest()
    return digests


def write_manifest(path: Path, rows: Iterable[Iterable[str]], delimiter: str = "\t") -> Path:
    path.write_text("".join(delimiter.join(r) + "\n" for r in rows))
    return path


class FakeIngestError(IngestError):
    """What the real client raises, made by the stand-in."""


@dataclass
class FakeClient:
    """Stands in for ``genolog.client.ingest`` where a test needs a particular answer: records what it is sent."""

    calls: list[tuple[str, list[dict[str, Any]], bool]] = field(default_factory=list)
    refuse: FakeIngestError | None = None

    def ingest(
        self, project: str, records: Iterable[dict[str, Any]], *, dry_run: bool = False
    ) -> dict[str, Any]:
        sent = list(records)
        self.calls.append((project, sent, dry_run))
        if self.refuse is not None:
            raise self.refuse
        counts = {
            e: {"created": 0, "updated": 0, "unchanged": 0}
            for e in ("participant", "sample", "sequencing_group", "assay")
        }
        counts["sample"]["created"] = len(sent)
        return {"dry_run": dry_run, "counts": counts, "changes": []}
