"""The metadata server's side of a run: the access check, the run's record and its outcome."""

from __future__ import annotations

from typing import Any

from genolog.client import GenologApiError, MetadataClient, ServerUnreachableError, server_settings
from genolog.client._server import ServerSettings
from genolog.runner.errors import RunnerError

TIMEOUT_S = 30.0


class MetadataServer:
    """The caller's server (``GENOLOG_URL``/``GENOLOG_TOKEN`` or the ``[metadata]`` config), as the caller."""

    def __init__(self, settings: ServerSettings | None = None) -> None:
        self.settings = settings or server_settings()
        self._client = MetadataClient(self.settings)

    @property
    def url(self) -> str:
        return self.settings.url

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            return self._client.call(method, path, timeout=TIMEOUT_S, **kwargs)
        except ServerUnreachableError as e:
            raise RunnerError(f"Cannot reach the metadata server at {self.url} ({e.reason}).") from None
        except GenologApiError as e:
            raise RunnerError(e.description.rstrip(".") + ".") from None

    def check_access(self, dataset: str, access_level: str) -> dict[str, Any]:
        """The caller's user name and roles when it may run at this level; a `RunnerError` otherwise."""
        result: dict[str, Any] = self._call(
            "GET", f"/analysis-runner/{dataset}/access", params={"access_level": access_level}
        )
        return result

    def create_record(self, project: str, record: dict[str, Any], meta: dict[str, Any]) -> str:
        params = {k: v for k, v in record.items() if v is not None}
        return str(self._call("PUT", f"/analysis-runner/{project}/", params=params, json=meta))

    def finish_record(
        self, ar_guid: str, status: str, exit_code: int | None, duration_seconds: float
    ) -> dict[str, Any]:
        body = {"status": status, "exit_code": exit_code, "duration_seconds": round(duration_seconds, 3)}
        result: dict[str, Any] = self._call("PATCH", f"/analysis-runner/{ar_guid}/outcome", json=body)
        return result

    def update_meta(self, ar_guid: str, patch: dict[str, Any]) -> None:
        self._call("PATCH", f"/analysis-runner/{ar_guid}/meta", json=patch)

    # the runs with their outcome come from genolog's own route: Metamist's record has no place for it
    def record(self, ar_guid: str) -> dict[str, Any]:
        found = self._call("GET", "/analysis-runner/runs", params={"ar_guid": ar_guid})
        if not found:
            raise RunnerError(f"There is no analysis-runner record {ar_guid!r} that you can read.")
        result: dict[str, Any] = found[0]
        return result

    def records(self, project: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call(
            "GET", "/analysis-runner/runs", params={"project_names": project}
        )
        return result
