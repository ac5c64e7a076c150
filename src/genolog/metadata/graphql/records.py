"""GraphQL types for records about the data: analysis-runner logs and audit-log entries.

Loaders take a ``Siblings`` group and fetch the relation once for all of its nodes, as in ``nodes.py``.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

import strawberry
from strawberry.scalars import JSON

from genolog.metadata.context import naive_utc
from genolog.metadata.graphql.context import GraphQLContext, Siblings, group
from genolog.metadata.graphql.nodes import cache_key, project_of, raw_json
from genolog.metadata.graphql.projects import GraphQLProject
from genolog.metadata.service.reads import records as reads
from genolog.metadata.service.reads.rows import IdSource, Rows, parse_json


@strawberry.type(name="GraphQLAuditLog")
class GraphQLAuditLog:
    pk: strawberry.Private[int]
    owner_pk: strawberry.Private[int]  # the entity whose change this entry records
    id: int
    author: str
    timestamp: datetime.datetime
    ar_guid: str | None
    comment: str | None
    meta_raw: strawberry.Private[str | None]

    @strawberry.field(metadata=raw_json("meta_raw"))
    def meta(self) -> JSON:
        return parse_json(self.meta_raw)


def audit_log_nodes(rows: Sequence[Mapping[str, Any]]) -> list[GraphQLAuditLog]:
    return [
        GraphQLAuditLog(
            pk=r["id"],
            owner_pk=r["owner_id"],
            id=r["id"],
            author=r["author"],
            timestamp=naive_utc(r["timestamp"]),
            ar_guid=r["ar_guid"],
            comment=r["comment"],
            meta_raw=r["meta"],
        )
        for r in rows
    ]


def _audit_logs_by_owner(rows: Rows) -> dict[int, list[GraphQLAuditLog]]:
    """Audit-log entries (each row with its ``owner_id``) grouped by owner, oldest first."""
    return group(rows, audit_log_nodes(rows), lambda n: n.owner_pk)


def audit_logs_of_analyses(sib: Siblings[Any], pk: int) -> list[GraphQLAuditLog]:
    """Every audit-log entry under which an analysis changed: its creation and each update."""

    def load(ids: IdSource) -> dict[int, list[GraphQLAuditLog]]:
        return _audit_logs_by_owner(reads.audit_logs_of_analyses(sib.ctx, ids))

    found: list[GraphQLAuditLog] = sib.load("audit_logs", load).get(pk, [])
    return found


def audit_log_of_participants(sib: Siblings[Any], pk: int) -> GraphQLAuditLog | None:
    """The audit-log entry of the request that last wrote a participant's row."""

    def load(ids: IdSource) -> dict[int, list[GraphQLAuditLog]]:
        return _audit_logs_by_owner(reads.audit_logs_of_participants(sib.ctx, ids))

    found: list[GraphQLAuditLog] = sib.load("audit_log", load).get(pk, [])
    return found[0] if found else None


@strawberry.type(name="GraphQLAnalysisRunner")
class GraphQLAnalysisRunner:
    sib: strawberry.Private[Siblings[Any]]
    id: strawberry.Private[str]  # its cursor: the ar_guid
    project_id: strawberry.Private[int]
    ar_guid: str
    output_path: str
    timestamp: datetime.datetime
    access_level: str
    repository: str
    commit: str
    script: str
    description: str
    driver_image: str
    config_path: str | None
    cwd: str | None
    environment: str
    hail_version: str | None
    batch_url: str
    submitting_user: str
    status: str
    exit_code: int | None
    duration_seconds: float | None
    finished_at: datetime.datetime | None
    meta_raw: strawberry.Private[str | None]

    @strawberry.field(metadata=raw_json("meta_raw"))
    def meta(self) -> JSON:
        return parse_json(self.meta_raw)

    @strawberry.field
    def project(self) -> GraphQLProject:
        return project_of(self.sib, self.project_id)


def analysis_runner_nodes(
    ctx: GraphQLContext, rows: Sequence[Mapping[str, Any]]
) -> list[GraphQLAnalysisRunner]:
    # no int primary key (ar_guid is one): the group is keyed by the rows' project ids, which is all that
    # its only relation, .project, needs
    sib: Siblings[Any] = Siblings(ctx, getattr(rows, "ids", None))
    sib.nodes = [
        GraphQLAnalysisRunner(
            sib=sib,
            id=r["ar_guid"],
            project_id=r["project_id"],
            ar_guid=r["ar_guid"],
            output_path=r["output_path"],
            timestamp=naive_utc(r["timestamp"]),
            access_level=r["access_level"],
            repository=r["repository"],
            commit=r["commit"],
            script=r["script"],
            description=r["description"],
            driver_image=r["driver_image"],
            config_path=r["config_path"],
            cwd=r["cwd"],
            environment=r["environment"],
            hail_version=r["hail_version"],
            batch_url=r["batch_url"],
            submitting_user=r["submitting_user"],
            status=r["status"],
            exit_code=r["exit_code"],
            duration_seconds=r["duration_seconds"],
            finished_at=naive_utc(r["finished_at"]),
            meta_raw=r["meta"],
        )
        for r in rows
    ]
    return sib.nodes


def analysis_runner_by_guid(ctx: GraphQLContext, ar_guid: str) -> list[GraphQLAnalysisRunner]:
    return analysis_runner_nodes(ctx, reads.analysis_runner_by_guid(ctx, ar_guid))


def analysis_runners_of_projects(
    sib: Siblings[Any],
    pk: int,
    ar_guid: Any,
    author: Any,
    repository: Any,
    access_level: Any,
    environment: Any,
) -> list[GraphQLAnalysisRunner]:
    """A project's analysis-runner logs, newest first (as the REST listing); ``author`` filters on the
    submitting user."""

    def load(ids: IdSource) -> dict[int, list[GraphQLAnalysisRunner]]:
        rows = reads.analysis_runners_of_projects(
            sib.ctx,
            ids,
            ar_guid=ar_guid,
            author=author,
            repository=repository,
            access_level=access_level,
            environment=environment,
        )
        by_project: dict[int, list[GraphQLAnalysisRunner]] = {}
        for node in analysis_runner_nodes(sib.ctx, rows):
            by_project.setdefault(node.project_id, []).append(node)
        return by_project

    key = cache_key("analysis_runner", ar_guid, author, repository, access_level, environment)
    found: list[GraphQLAnalysisRunner] = sib.load(key, load).get(pk, [])
    return found
