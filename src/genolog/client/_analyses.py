"""Analyses over the REST API, shaped like the published metamist client's ``AnalysisApi``.

Scripts written for metamist change only their imports::

    from genolog.client import Analysis, AnalysisApi, AnalysisStatus
    # was: from metamist.apis import AnalysisApi
    #      from metamist.model.analysis import Analysis
    #      from metamist.model.analysis_status import AnalysisStatus

    analysis_id = AnalysisApi().create_analysis(
        project="sandbox-test",
        analysis=Analysis(type="web", status=AnalysisStatus("completed"), output="...", meta={...},
                          sequencing_group_ids=["CPG11"]),
    )

The server comes from `genolog.client.server_settings` (``GENOLOG_URL``/``GENOLOG_TOKEN``, the
``[metadata]`` config table, or ``http://127.0.0.1:8000``). The analysis-runner guid of the config, if
any, goes along as the ``sm-ar-guid`` header, as metamist's client sends it. Refusals raise
`GenologApiError` (also importable as ``ApiError``, its old name) or its subclass for the status.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from genolog.client._http import GenologApiError, MetadataClient
from genolog.client._server import ServerSettings, server_settings

TIMEOUT_S = 60.0


class AnalysisStatus(StrEnum):
    """``AnalysisStatus('completed')`` as in ``metamist.model.analysis_status``."""

    QUEUED = "queued"
    IN_PROGRESS = "in-progress"
    FAILED = "failed"
    COMPLETED = "completed"
    UNKNOWN = "unknown"


@dataclass
class Analysis:
    """A new analysis (``metamist.model.analysis.Analysis``): linked to sequencing groups and/or cohorts."""

    type: str
    status: AnalysisStatus | str
    output: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    active: bool | None = None
    sequencing_group_ids: list[str] | None = None
    cohort_ids: list[str] | None = None
    outputs: Any = None
    author: str | None = None

    def to_json(self) -> dict[str, Any]:
        body = {k: v for k, v in asdict(self).items() if v is not None}
        body["status"] = str(AnalysisStatus(self.status))
        return body


@dataclass
class AnalysisUpdateModel:
    """Fields to change on an existing analysis (``metamist.model.analysis_update_model``)."""

    status: AnalysisStatus | str | None = None
    output: str | None = None
    meta: dict[str, Any] | None = None
    active: bool | None = None
    outputs: Any = None

    def to_json(self) -> dict[str, Any]:
        body = {k: v for k, v in asdict(self).items() if v is not None}
        if self.status is not None:
            body["status"] = str(AnalysisStatus(self.status))
        return body


# The name this client's errors had before the client was shared; kept for scripts that catch it.
ApiError = GenologApiError


class AnalysisApi:
    """Create, update and read analyses (the metamist client's method names and arguments)."""

    def __init__(self, settings: ServerSettings | None = None) -> None:
        self.settings = settings or server_settings()
        self._client = MetadataClient(self.settings)

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        from genolog.config import try_get_ar_guid

        guid = try_get_ar_guid()  # None without a config
        headers = {"sm-ar-guid": guid} if guid else {}
        return self._client.call(method, path, json=body, headers=headers, timeout=TIMEOUT_S)

    def create_analysis(self, project: str, analysis: Analysis) -> int:
        """Create the analysis in `project`; returns its id."""
        return int(self._call("PUT", f"/analysis/{project}/", analysis.to_json()))

    def update_analysis(self, analysis_id: int, analysis_update_model: AnalysisUpdateModel) -> bool:
        """Change status, output, meta or active of an analysis."""
        return bool(self._call("PATCH", f"/analysis/{analysis_id}/", analysis_update_model.to_json()))

    def get_analysis_by_id(self, analysis_id: int) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"/analysis/{analysis_id}/details")
        return result

    def query_analyses(self, **query: Any) -> list[dict[str, Any]]:
        """``POST /analysis/query`` with the given fields (``projects``, ``type``, ``status``, ...)."""
        result: list[dict[str, Any]] = self._call("POST", "/analysis/query", query)
        return result
