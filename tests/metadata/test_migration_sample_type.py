"""Migration 0009 lets a sample have no type (Metamist accepts one). On SQLite it changes the table's stored
definition rather than recreating the table, whose drop would cascade to the samples' assays and groups:
down and up again keeps every row, and a downgrade is refused while a sample has no type."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.service import Service
from tests.metadata.support import Api, dump, migrate, sample_with_group

pytestmark = pytest.mark.usefixtures("back_at_head")


def _nullable(svc: Service) -> bool:
    with svc.db.read() as conn:
        [column] = [c for c in sa.inspect(conn).get_columns("sample") if c["name"] == "type"]
    return bool(column["nullable"])


def _activity(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted(tuple(v for k, v in row.items() if k != "id") for row in rows)


def test_down_and_up_keeps_every_row_and_the_type_becomes_optional(api: Api, svc: Service) -> None:
    api.project()
    api.ok("PUT", "/sample/proj/upsert-many", json=[sample_with_group("S1"), sample_with_group("S2")])
    assert _nullable(svc)
    with svc.db.read() as conn:
        before = dump(conn)
    assert before["assay"] and before["sequencing_group"] and before["sample_external_id"]

    migrate(svc, "0008", down=True)
    assert not _nullable(svc)
    with svc.db.read() as conn:
        at_0008 = dump(conn)
        assert at_0008 == {
            name: [
                {k: v for k, v in row.items() if k != "project_id" or name != "sequencing_group"}
                for row in rows
            ]
            for name, rows in before.items()
            if name in at_0008
        }
        assert set(before) - set(at_0008) == {"project_activity", "project_tally"}  # 0010's, 0011's
        with pytest.raises(sa.exc.IntegrityError):  # NOT NULL again
            conn.execute(sa.update(t.sample).values(type=None))
    migrate(svc, "head")
    with svc.db.read() as conn:
        after = dump(conn)
    # 0010 fills the activity again, 0011 the tallies: the same counts, their ids in their own order
    for filled in ("project_activity", "project_tally"):
        assert _activity(after.pop(filled)) == _activity(before.pop(filled))
    assert after == before

    [untyped] = api.ok("PUT", "/sample/proj/upsert-many", json=[{"external_ids": {"": "U1"}}])
    assert api.ok("GET", f"/sample/{untyped['id']}")["type"] is None
    with pytest.raises(RuntimeError, match="1 samples have no type"):
        migrate(svc, "0008", down=True)
    api.ok("PATCH", f"/sample/{untyped['id']}", json={"type": "blood"})
    migrate(svc, "0008", down=True)
    migrate(svc, "head")
    assert api.ok("GET", f"/sample/{untyped['id']}")["type"] == "blood"
