"""`genolog ingest pedigree`: upload a PED/TSV/CSV file to the server's pedigree import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from genolog.client import server_settings

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
    server = server_settings()
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
    url = f"{server.url}/api/v1/family/{project}/pedigree"
    try:
        response = httpx.post(
            url,
            params=params,
            files={"file": (path.name, content, "text/plain")},
            headers=server.headers,
            timeout=TIMEOUT_S,
        )
    except httpx.TransportError as e:
        raise PedigreeError(f"Cannot reach the metadata server at {server.url}: {e}") from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code >= 400:
        description = body.get("description") if isinstance(body, dict) else None
        raise PedigreeError(
            f"{path}: the server refused the pedigree (HTTP {response.status_code}): "
            f"{description or response.text.strip() or response.reason_phrase}"
        )
    if not isinstance(body, dict):
        raise PedigreeError(f"The server answered HTTP {response.status_code} without a JSON object")
    return body
