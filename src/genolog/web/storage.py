"""Local web storage, served read-only by `genolog serve` at each dataset's ``web_url``.

On the cloud a dataset's web bucket sits behind a web server that only the dataset's members reach. For
local storage, ``genolog serve`` plays that part: ``GET /web/<project>/<path>`` answers the file
``<path>`` of the project's web folder under the server's data dir (`genolog.paths.local_web_folder`:
``sandbox-test`` -> ``<data_dir>/sandbox-test-web``, ``sandbox`` -> ``<data_dir>/sandbox-main-web``),
which is where `genolog.paths.local_storage_config` puts the ``web`` category and what its ``web_url``
names. The rules:

- authentication as for the REST API (a bearer token, or the development user), or the web interface's
  session cookie (so a display link opens in the signed-in browser); only callers who may
  read the project see its files, everyone else gets the 404 an unknown project gets;
- nothing outside the folder is reachable: ``..`` segments (also percent-encoded), absolute parts and
  symbolic links leading out are refused with a 404, as are hidden files and folders;
- a folder answers its ``index.html``; files get a content type from their name (HTML as UTF-8);
- every file is served under ``Content-Security-Policy: sandbox`` (without ``allow-same-origin``): a
  report's HTML or SVG may run its scripts, but in an opaque origin of its own, never as this server's
  pages. Anyone who can write a web folder (an analysis job) can put HTML there, and in the app's origin
  its script could read the signed-in viewer's pages and post their forms (add itself as a member admin).
  Sandboxed, its requests to the app are cross-origin: the browser sends them without the session cookie
  and does not let the script read the answers, and the forms refuse an ``Origin: null``. The same holds
  for the report's own requests for other files of the storage (images, stylesheets, scripts kept beside
  it): they come without the session cookie and are refused, so a report shows fully only when it is
  self-contained (inline or ``data:`` assets, as FastQE's and MultiQC's reports are). Links between
  reports work: a navigation carries the cookie.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse

from genolog.metadata.errors import NotFound
from genolog.metadata.http import request_service
from genolog.metadata.service import Service
from genolog.metadata.service.browser import require_file_reader
from genolog.paths import WEB_ROUTE, local_web_folder
from genolog.web.session import credentials

router = APIRouter(prefix=WEB_ROUTE, tags=["web"])

# Scripts, forms, downloads and pop-ups (links opening in a new tab, outside the sandbox) still work in a
# report; same-origin access, top-level navigation and plugins do not.
SANDBOX_POLICY = (
    "sandbox allow-scripts allow-forms allow-modals allow-downloads allow-popups "
    "allow-popups-to-escape-sandbox"
)
_TEXT_TYPES = {".html", ".htm", ".txt", ".tsv", ".csv", ".json", ".css", ".js", ".svg", ".md", ".log"}


def resolve_inside(folder: Path, relative: str) -> Path | None:
    """The file `relative` names inside `folder`, or None when it is missing or would leave the folder.

    `relative` is the already percent-decoded URL path; every segment must be an ordinary name."""
    parts = [p for p in relative.split("/") if p]
    if any(p in (".", "..") or p.startswith(".") or "\\" in p or "\0" in p for p in parts):
        return None
    try:
        root = folder.resolve(strict=True)
        target = root.joinpath(*parts).resolve(strict=True)  # follows symbolic links ...
    except (OSError, RuntimeError):
        return None
    if not target.is_relative_to(root):  # ... so one leading out of the folder is caught here
        return None
    if target.is_dir():
        index = target / "index.html"
        target = index.resolve() if index.exists() else target
        if not target.is_relative_to(root):
            return None
    return target if target.is_file() else None


def media_type(path: Path) -> str:
    guessed, _ = mimetypes.guess_type(path.name)
    kind = guessed or "application/octet-stream"
    if path.suffix.lower() in _TEXT_TYPES or kind.startswith("text/"):
        return f"{kind}; charset=utf-8"
    return kind


@router.api_route("/{project}/{path:path}", methods=["GET", "HEAD"], include_in_schema=False)
def web_file(
    project: str, path: str, request: Request, svc: Service = Depends(request_service)
) -> FileResponse:
    """A file of the project's local web storage (readers of the project only)."""
    require_file_reader(svc, credentials(request), project)
    target = resolve_inside(local_web_folder(svc.settings.data_dir, project), path)
    if target is None:
        raise NotFound(f"No file {path!r} in the web storage of {project!r}")
    return FileResponse(
        target, media_type=media_type(target), headers={"Content-Security-Policy": SANDBOX_POLICY}
    )


def web_root_url(base_url: str, project: str) -> str:
    """For messages: where `project`'s web storage is served by the server at `base_url`."""
    return f"{base_url.rstrip('/')}{WEB_ROUTE}/{project}/"


__all__ = ["SANDBOX_POLICY", "media_type", "resolve_inside", "router", "web_root_url"]
