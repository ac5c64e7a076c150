"""Talking to a genolog metadata server: GraphQL queries, used like ``metamist.graphql``.

    from genolog.client import gql, query

    SG_QUERY = gql("query ($p: String!) { project(name: $p) { sequencingGroups { id } } }")
    print(query(SG_QUERY, {"p": "sandbox-test"}))

The server and token come from ``GENOLOG_URL`` / ``GENOLOG_TOKEN``, else the ``[metadata]`` table of
genolog's config (``url``, ``token``), else ``http://127.0.0.1:8000`` without a token. ``ingest`` streams
participant and sample records to the server's bulk ingest route. ``AnalysisApi`` (with ``Analysis``,
``AnalysisStatus`` and ``AnalysisUpdateModel``) creates and updates analyses like metamist's client.
"""

from genolog.client._analyses import Analysis, AnalysisApi, AnalysisStatus, AnalysisUpdateModel, ApiError
from genolog.client._graphql import GraphQLQuery, QueryError, gql, query, query_async
from genolog.client._ingest import IngestError, ingest
from genolog.client._server import server_settings

__all__ = [
    "Analysis",
    "AnalysisApi",
    "AnalysisStatus",
    "AnalysisUpdateModel",
    "ApiError",
    "GraphQLQuery",
    "IngestError",
    "QueryError",
    "gql",
    "ingest",
    "query",
    "query_async",
    "server_settings",
]
