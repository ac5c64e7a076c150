"""The pages' GraphQL: queries run in-process, for the page's caller, on the API's own executor.

The answer is the same JSON the ``/graphql`` endpoint sends, so the templates see exactly what API users
see, with the same permission checks and the same batched SQL (a fixed number of statements per query,
whatever the rows). The query function is the application's (``app.state.graphql_in_process``, of type
``service.in_process.InProcessQuery``): the pages do not import the GraphQL front end.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from genolog.metadata.service import Session
from genolog.metadata.service.in_process import InProcessQuery


def query(
    request: Request, session: Session, text: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``data`` of a read query; a genolog error (a 404 for an unreadable project, a 400 for a bad id)
    is raised as itself, so the page shows it."""
    run: InProcessQuery = request.app.state.graphql_in_process
    return run(session, text, variables)
