"""Talking to a genolog metadata server: GraphQL queries, used like ``metamist.graphql``.

    from genolog.client import gql, query

    SG_QUERY = gql("query ($p: String!) { project(name: $p) { sequencingGroups { id } } }")
    print(query(SG_QUERY, {"p": "sandbox-test"}))

The server and token come from ``GENOLOG_URL`` / ``GENOLOG_TOKEN``, else the ``[metadata]`` table of
genolog's config (``url``, ``token``), else ``http://127.0.0.1:8000`` without a token. ``ingest`` streams
participant and sample records to the server's bulk ingest route. ``AnalysisApi`` (with ``Analysis``,
``AnalysisStatus`` and ``AnalysisUpdateModel``) creates and updates analyses like metamist's client.

All of them (and `genolog ingest`, the analysis runner and the demo) talk to the server through
``MetadataClient`` / ``AsyncMetadataClient``: shared connections, retries with backoff where a call can
be repeated, and one error hierarchy: ``GenologApiError`` (``status``, and the server's ``name`` and
``description``) with ``NotFoundError``, ``UnauthenticatedError``, ``ForbiddenError``, ... for the
statuses callers tell apart, and ``ServerUnreachableError`` when there was no answer. ``ApiError``,
``QueryError`` and ``IngestError`` are kinds of ``GenologApiError``.
"""

from genolog.client._analyses import Analysis, AnalysisApi, AnalysisStatus, AnalysisUpdateModel, ApiError
from genolog.client._graphql import GraphQLQuery, QueryError, gql, query, query_async
from genolog.client._http import (
    AsyncMetadataClient,
    BadRequestError,
    ConflictError,
    ForbiddenError,
    GenologApiError,
    MetadataClient,
    NotFoundError,
    ServerUnavailableError,
    ServerUnreachableError,
    UnauthenticatedError,
    error_for,
)
from genolog.client._ingest import IngestError, ingest
from genolog.client._server import server_settings

__all__ = [
    "Analysis",
    "AnalysisApi",
    "AnalysisStatus",
    "AnalysisUpdateModel",
    "ApiError",
    "AsyncMetadataClient",
    "BadRequestError",
    "ConflictError",
    "ForbiddenError",
    "GenologApiError",
    "GraphQLQuery",
    "IngestError",
    "MetadataClient",
    "NotFoundError",
    "QueryError",
    "ServerUnavailableError",
    "ServerUnreachableError",
    "UnauthenticatedError",
    "error_for",
    "gql",
    "ingest",
    "query",
    "query_async",
    "server_settings",
]
