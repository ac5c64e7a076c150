"""`genolog ingest pedigree`: upload a PED/TSV/CSV file to the server's pedigree import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from genolog.client import MetadataClient, ServerUnreachableError, error_for

TIMEOUT_S = 300.0


class PedigreeError(Exception):
    pass


def upload(
    project: str,
    path: Path,
    *,
    has_header: bool | None = None,
    create_missing_participants: bool = False,
    perform_sex_check: bool = True,
) -> dict[str, Any]:
    """POST the file to ``/api/v1/family/{project}/pedigree``; returns the server's counts."""
    client = MetadataClient()
    try:
        content = path.read_bytes()
    except OSError as e:
        raise PedigreeError(f"{path}: cannot read the pedigree file ({e.strerror or e})") from None
    params: dict[str, str] = {
        "create_missing_participants": str(create_missing_participants).lower(),
        "perform_sex_check": str(perform_sex_check).lower(),
    }
    if has_header is not None:
        params["has_header"] = str(has_header).lower()
    try:
        response = client.send(
            "POST",
            f"/api/v1/family/{project}/pedigree",
            params=params,
            files={"file": (path.name, content, "text/plain")},
            timeout=TIMEOUT_S,
        )
    except ServerUnreachableError as e:
        raise PedigreeError(str(e)) from None
    if response.status_code >= 400:
        refusal = error_for("POST", f"/family/{project}/pedigree", response)
        raise PedigreeError(
            f"{path}: the server refused the pedigree (HTTP {response.status_code}): {refusal.description}"
        )
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise PedigreeError(f"The server answered HTTP {response.status_code} without a JSON object")
    return body
