"""Stand-in for ``metamist.apis`` / ``metamist.model``: ``AnalysisApi().create_analysis`` over genolog's
REST API (the same route metamist's client calls), for scripts run by the analysis runner in tests."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from genolog.client import server_settings


class AnalysisStatus(str):
    """``AnalysisStatus('completed')``."""


@dataclass
class Analysis:
    type: str
    status: str
    meta: dict[str, Any] = field(default_factory=dict)
    output: str | None = None
    active: bool | None = None
    sequencing_group_ids: list[str] | None = None


class AnalysisApi:
    def create_analysis(self, project: str, analysis: Analysis) -> int:
        settings = server_settings()
        body = {k: v for k, v in asdict(analysis).items() if v is not None}
        response = httpx.put(
            f"{settings.url}/api/v1/analysis/{project}/", json=body, headers=settings.headers, timeout=30
        )
        if response.status_code >= 400:
            raise RuntimeError(f"HTTP {response.status_code}: {response.json()['description']}")
        return int(response.json())
