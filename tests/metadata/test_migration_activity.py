"""Migration 0010: the pages' recent activity is read from ``project_activity``, which every request's
``Tx.finish`` writes and the migration fills from what was recorded before it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.service import Service, overview
from tests.metadata.support import migrate
from tests.metadata.test_migration_creations import SEEDED_ACTIVITY, _seed

pytestmark = pytest.mark.usefixtures("back_at_head")


def _activity(svc: Service, project_id: int) -> list[tuple[str, list[tuple[str, str, int]]]]:
    with svc.db.read() as conn:
        found = overview.recent_activity(conn, {project_id: "p"})
    return [(a.author, sorted(a.changes)) for a in found]


def test_activity_reads_the_same_once_filled_by_the_migration(svc: Service) -> None:
    project_id = _seed(svc)
    written = _activity(svc, project_id)
    assert written == SEEDED_ACTIVITY
    with svc.db.read() as conn:
        rows = conn.execute(sa.select(sa.func.count()).select_from(t.project_activity)).scalar()
    assert rows == 1 + 4 + 4 + 1  # a row per request, kind and operation
    migrate(svc, "0009", down=True)
    migrate(svc, "head")
    assert _activity(svc, project_id) == written
