"""The in-process GraphQL query of the pages, as a signature below the front ends.

The pages read entities through the GraphQL API's own executor (the same answers, permission checks and
batched SQL as ``/graphql``), but no front end imports another: the application (``metadata.app``) puts
a query function of this type on ``app.state.graphql_in_process`` when it is assembled, and the pages
take it from there.
"""

from __future__ import annotations

from typing import Any, Protocol

from genolog.metadata.service.session import Session


class QueryFailed(RuntimeError):
    """A page's query failed for a reason other than the caller's request (a bug in the page)."""


class InProcessQuery(Protocol):
    def __call__(
        self, session: Session, text: str, variables: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """``data`` of a read query run as ``session``'s caller, as the JSON ``/graphql`` sends; a genolog
        error (a 404 for an unreadable project, a 400 for a bad id) is raised as itself, any other error
        as ``QueryFailed``."""
        ...
