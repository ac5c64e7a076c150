"""The read files an assay's ``meta.reads`` lists: shown by the sample and sequencing-group pages, and
matched by name by the search box."""

from __future__ import annotations

from typing import Any


def read_files(assay: dict[str, Any]) -> list[dict[str, Any]]:
    """An assay's read files (``meta.reads``: files, or lists of them per lane or pair)."""
    files: list[dict[str, Any]] = []

    def visit(value: Any) -> None:
        if isinstance(value, dict):
            files.append(value)
            for secondary in value.get("secondaryFiles") or []:
                visit(secondary)
        elif isinstance(value, list):
            for item in value:
                visit(item)

    visit((assay.get("meta") or {}).get("reads"))
    return files
