"""Migration 0007: participants, samples, assays and sequencing groups record their creation on their row.

History reads the same before and after: down to 0006 the creations become ``change`` rows (as the
service wrote them before), and back up they stay so, read as they always were."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.context import AuditInfo, Tx
from genolog.metadata.models import ParticipantUpsert, SampleUpsert
from genolog.metadata.service import Service, overview
from genolog.metadata.service.history import changes_of
from genolog.metadata.store import history, projects, sequencing_groups
from genolog.metadata.store.upserts import upsert_items
from tests.metadata.support import migrate, sample_with_group

KINDS = ("assay", "participant", "sample", "sequencing_group")
#: what ``_seed``'s requests changed, newest first: (author, [(operation, entity, how many)])
SEEDED_ACTIVITY = [
    ("curator", [("update", "sample", 1)]),
    ("loader-2", [("create", kind, 1) for kind in KINDS]),
    ("loader-0", [("create", kind, 2) for kind in KINDS]),
    ("seed", [("create", "project", 1)]),
]


pytestmark = pytest.mark.usefixtures("back_at_head")


def _seed(svc: Service) -> int:
    """Two requests creating participants with samples, and a third updating one sample."""
    with svc.db.write() as conn:
        tx = Tx(conn, svc.codecs, AuditInfo(author="seed"))
        project_id = projects.create(tx, "p", "p", create_test_project=False)
        tx.finish()
    for batch in ((0, 1), (2,)):
        with svc.db.write() as conn:
            tx = Tx(conn, svc.codecs, AuditInfo(author=f"loader-{batch[0]}"))
            items = [
                ParticipantUpsert.model_validate(
                    {"external_ids": {"": f"P{i}"}, "samples": [sample_with_group(f"S{i}")]}
                )
                for i in batch
            ]
            upsert_items(tx, project_id, items)
            tx.finish()
    with svc.db.write() as conn:
        tx = Tx(conn, svc.codecs, AuditInfo(author="curator"))
        upsert_items(
            tx, project_id, [SampleUpsert.model_validate({"external_ids": {"": "S1"}, "meta": {"qc": 1}})]
        )
        tx.finish()
    return project_id


def _histories(svc: Service, project_id: int) -> dict[str, Any]:
    """What every reader of the change record answers for the project."""
    with svc.db.read() as conn:
        tx = Tx(conn, svc.codecs)
        ids = {
            kind: conn.execute(sa.select(t.metadata.tables[kind].c.id).order_by(sa.text("id")))
            .scalars()
            .all()
            for kind in t.CREATED_ON_ROW
        }
        return {
            "rest": {kind: [history.read(tx, kind, i) for i in kind_ids] for kind, kind_ids in ids.items()},
            "web": changes_of(tx, {k: v for k, v in ids.items() if k != "participant"}),
            "overview": overview.recent_activity(conn, {project_id: "p"}),
            "creation_history": sequencing_groups.creation_history(conn, [project_id]),
        }


def test_history_reads_the_same_down_to_0006_and_up_again(svc: Service) -> None:
    project_id = _seed(svc)
    before = _histories(svc, project_id)
    assert [h["operation"] for h in before["rest"]["sample"][1]] == ["create", "update"]
    assert before["rest"]["sample"][1][0]["author"] == "loader-0"
    assert [(a.author, sorted(a.changes)) for a in before["overview"]] == SEEDED_ACTIVITY
    assert len(before["web"]) == 3 * 3 + 1
    [counted] = before["creation_history"][project_id]
    assert counted["count"] == 3
    with svc.db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.change)).scalar() == 2  # project, update
    migrate(svc, "0006", down=True)
    with svc.db.read() as conn:
        creations = conn.execute(
            sa.select(t.change.c.entity, sa.func.count())
            .where(t.change.c.operation == "create")
            .group_by(t.change.c.entity)
            .order_by(t.change.c.entity)
        ).all()
    assert creations == [
        ("assay", 3),
        ("participant", 3),
        ("project", 1),
        ("sample", 3),
        ("sequencing_group", 3),
    ]
    migrate(svc, "head")
    assert _histories(svc, project_id) == before
