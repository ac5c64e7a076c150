"""Writers' edit forms: a sample's or participant's meta keys, an analysis' status and active flag.

The sample, participant and analysis pages show these forms only to callers who may write the project
(``WRITE``, as the REST API's updates need). Each POST writes through the service the REST API uses
(a meta edit through ``samples.change_meta`` and ``participants.change_meta``, which upsert as ``PATCH
/api/v1/sample/{id}`` and ``update-participant`` do; the status edit through ``analyses.set_status``,
which updates as ``PATCH /api/v1/analysis/{id}/`` does) in one write transaction, recorded in the audit
log as the signed-in user's, then redirects to the page, whose history shows the change.

A meta value is parsed as JSON when it is valid JSON (``7``, ``true``, ``[1, 2]``, ``{"a": 1}``,
``"7"``), else kept as the text typed. Meta is stored through a JSON merge patch, so setting a key to an
object replaces the old object (the patch drops the keys it no longer has) rather than merging into it.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from genolog.metadata.errors import BadRequest, NotFound
from genolog.metadata.ids import int_or_none
from genolog.metadata.service import analyses, participants, samples
from genolog.web import flash
from genolog.web.render import PageRoute, page_write

router = APIRouter(route_class=PageRoute, include_in_schema=False)

ANALYSIS_STATUSES = analyses.STATUSES  # the status form's choices
_LONGEST_KEY = 200


def parse_value(text: str) -> Any:
    """The value typed in the form: JSON when it parses as JSON, else the text itself."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return text
    if _holds_null(value):
        raise BadRequest(
            "A meta value cannot be or hold null (a merge patch deletes such keys): use Remove key instead."
        )
    return value


def _holds_null(value: Any) -> bool:
    if value is None:
        return True
    return isinstance(value, dict) and any(_holds_null(v) for v in value.values())


def checked_key(key: str) -> str:
    key = key.strip()
    if not key:
        raise BadRequest("Enter the meta key to set or remove.")
    if len(key) > _LONGEST_KEY:
        raise BadRequest(f"A meta key can be at most {_LONGEST_KEY} characters long, got {len(key)}.")
    if not key.isprintable():
        raise BadRequest(f"Invalid meta key {key!r}: no control characters.")
    return key


def replacing_patch(old: Any, new: Any) -> Any:
    """The merge patch that turns ``old`` into exactly ``new`` (objects lose the keys ``new`` lacks)."""
    if not isinstance(new, dict):
        return new
    before = old if isinstance(old, dict) else {}
    patch: dict[str, Any] = {k: replacing_patch(before.get(k), v) for k, v in new.items()}
    patch.update({k: None for k in before if k not in new})
    return patch


def meta_patch(meta: dict[str, Any] | None, action: str, key: str, value: str) -> tuple[dict[str, Any], str]:
    """The patch of a meta form (``set`` or ``remove`` ``key``) and the message saying what it did."""
    key, meta = checked_key(key), meta or {}
    if action == "set":
        new = parse_value(value)
        shown = new if isinstance(new, str) else orjson.dumps(new).decode()
        return {key: replacing_patch(meta.get(key), new)}, f"Set meta.{key} to {shown}."
    if action == "remove":
        if key not in meta:
            raise BadRequest(f"There is no meta key {key!r} to remove.")
        return {key: None}, f"Removed meta.{key}."
    raise BadRequest(f"Unknown action {action!r}: set or remove.")


def _back(request: Request, path: str, message: str) -> Response:
    response = RedirectResponse(path, status_code=303)
    flash.put(request, response, message)
    return response


@router.post("/projects/{project}/samples/{sample_id}/meta")
def edit_sample_meta(
    request: Request,
    project: str,
    sample_id: str,
    action: str = Form(""),
    key: str = Form(""),
    value: str = Form(""),
) -> Response:
    with page_write(request) as session:
        shown_id, message = samples.change_meta(
            session, project, sample_id, lambda meta: meta_patch(meta, action, key, value)
        )
    return _back(request, f"/projects/{project}/samples/{shown_id}", message)


@router.post("/projects/{project}/participants/{participant_id}/meta")
def edit_participant_meta(
    request: Request,
    project: str,
    participant_id: str,
    action: str = Form(""),
    key: str = Form(""),
    value: str = Form(""),
) -> Response:
    number = int_or_none(participant_id)
    if number is None:
        raise NotFound(f"Participant {participant_id!r} not found in project {project!r}")
    with page_write(request) as session:
        message = participants.change_meta(
            session, project, participant_id, lambda meta: meta_patch(meta, action, key, value)
        )
    return _back(request, f"/projects/{project}/participants/{number}", message)


@router.post("/projects/{project}/analyses/{analysis_id}/status")
def edit_analysis_status(
    request: Request,
    project: str,
    analysis_id: str,
    status: str = Form(""),
    active: str | None = Form(None),
) -> Response:
    number = analyses.number_in_project(project, analysis_id)  # refused before the caller is looked up
    with page_write(request) as session:
        change = analyses.set_status(session, project, analysis_id, status, active is not None)
    state = "active" if change.active else "inactive"
    return _back(request, f"/projects/{project}/analyses/{number}", f"Analysis {number}: {status}, {state}.")
