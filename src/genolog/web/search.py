"""The search box: ``/search?q=...`` finds any internal id, external id or read file name across the
projects the caller may read (``service.search`` says how, and what it costs).

One exact hit redirects (303) to its page; several list them grouped by kind; none says so and lists the
external ids that start with or contain the text.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from genolog.metadata.service.search import Hit, search
from genolog.web.render import PageRoute, page_read, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

# kind -> heading, in the order the results page lists them
HEADINGS = {
    "sample": "Samples",
    "sequencing_group": "Sequencing groups",
    "participant": "Participants",
    "family": "Families",
    "analysis": "Analyses",
    "cohort": "Cohorts",
}
_PATHS = {
    "sample": "samples",
    "sequencing_group": "sequencing-groups",
    "participant": "participants",
    "family": "families",
    "analysis": "analyses",
}


def hit_url(hit: Hit) -> str | None:
    """The hit's page; cohorts have none of their own (their project's page lists what they hold)."""
    path = _PATHS.get(hit.kind)
    if path is None:
        return None
    return f"/projects/{quote(hit.project, safe='')}/{path}/{quote(hit.id, safe='')}"


def grouped(hits: list[Hit]) -> list[tuple[str, list[Hit]]]:
    """(heading, hits) per kind that has any, in HEADINGS' order."""
    return [
        (heading, found)
        for kind, heading in HEADINGS.items()
        if (found := [h for h in hits if h.kind == kind])
    ]


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, q: str = "") -> Response:
    q = q.strip()
    with page_read(request) as opened:
        results = search(opened, q)
    if len(results.exact) == 1 and (url := hit_url(results.exact[0])) is not None:
        return RedirectResponse(url, status_code=303)
    return render(
        request,
        "search.html",
        opened.caller,
        results=results,
        search_query=q,
        hit_url=hit_url,
        grouped=grouped,
    )
