"""Batched reads of the records about the data: analysis-runner records and audit-log entries."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.service.reads.filters import FilterSpec, Where, conditions
from genolog.metadata.service.reads.rows import IdSource, Rows, columns, fetch, restricted
from genolog.metadata.service.session import Session

ar = t.analysis_runner


def analysis_runners(session: Session, where: Where) -> Rows:
    """Readable analysis-runner records, newest first (as the REST listing), with their last writer's
    ``audit_log_id`` (which the REST record shows)."""
    statement = (
        sa.select(*columns(ar), ar.c.audit_log_id).where(*where).order_by(ar.c.timestamp.desc(), ar.c.ar_guid)
    )
    return fetch(session, restricted(session, statement, ar), ar.c.project_id)


def analysis_runner_by_guid(session: Session, ar_guid: str) -> Rows:
    return analysis_runners(session, [ar.c.ar_guid == ar_guid])


def analysis_runners_listed(session: Session, project_ids: list[int], equal: dict[str, Any]) -> Rows:
    """These projects' records whose fields equal the values in ``equal`` (``None``: any): the REST
    API's listings."""
    where: Where = [ar.c.project_id.in_(project_ids)]
    where += [ar.c[field] == value for field, value in equal.items() if value is not None]
    return analysis_runners(session, where)


def analysis_runners_of_projects(
    session: Session,
    project_ids: IdSource,
    ar_guid: FilterSpec | None,
    author: FilterSpec | None,
    repository: FilterSpec | None,
    access_level: FilterSpec | None,
    environment: FilterSpec | None,
) -> Rows:
    """These projects' analysis-runner records; ``author`` filters on the submitting user."""
    where = [ar.c.project_id.in_(project_ids), *conditions(ar.c.ar_guid, ar_guid)]
    where += conditions(ar.c.submitting_user, author) + conditions(ar.c.repository, repository)
    where += conditions(ar.c.access_level, access_level) + conditions(ar.c.environment, environment)
    return analysis_runners(session, where)


def _audit_logs(session: Session, pairs: sa.Subquery) -> Rows:
    """Audit-log entries for ``(owner_id, audit_log_id)`` pairs of entities read through this layer, by
    owner, oldest first: an entry is shown as a record of a readable entity's changes."""
    log = t.audit_log
    statement = (
        sa.select(pairs.c.owner_id, *columns(log))
        .join(log, log.c.id == pairs.c.audit_log_id)
        .order_by(pairs.c.owner_id, log.c.id)
    )
    return fetch(session, statement)


def audit_logs_of_analyses(session: Session, analysis_ids: IdSource) -> Rows:
    """Every audit-log entry under which these analyses changed (each row with its analysis as
    ``owner_id``): their creation and each update.

    The change record has one row per request that changed an analysis; the analysis row itself names
    the last writer (which covers analyses written before the change record kept them)."""
    c, an = t.change, t.analysis
    pairs = sa.union(
        sa.select(c.c.entity_id.label("owner_id"), c.c.audit_log_id).where(
            c.c.entity == "analysis", c.c.entity_id.in_(analysis_ids)
        ),
        sa.select(an.c.id.label("owner_id"), an.c.audit_log_id).where(
            an.c.id.in_(analysis_ids), an.c.audit_log_id.is_not(None)
        ),
    ).subquery()
    return _audit_logs(session, pairs)


def audit_logs_of_participants(session: Session, participant_ids: IdSource) -> Rows:
    """The audit-log entry of the request that last wrote each participant's row (``owner_id``)."""
    p = t.participant
    pairs = (
        sa.select(p.c.id.label("owner_id"), p.c.audit_log_id)
        .where(p.c.id.in_(participant_ids), p.c.audit_log_id.is_not(None))
        .subquery()
    )
    return _audit_logs(session, pairs)
