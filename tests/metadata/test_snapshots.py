"""The change record's snapshots keep the shape of their version (``store/snapshots.py``): a change of
shape must come with a new ``SNAPSHOT_VERSION`` and a reader for the old rows, never silently."""

from __future__ import annotations

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.context import Tx
from genolog.metadata.store import snapshots
from tests.metadata.support import Api, sample_with_group

# The fields of each entity's snapshot in version 1, as the change record has always held them.
VERSION_1 = {
    "project": ["id", "name", "dataset", "meta", "members"],
    "participant": [
        "id", "external_ids", "reported_sex", "reported_gender", "karyotype", "meta", "project", "phenotypes",
    ],
    "family": ["id", "external_ids", "project", "description", "coded_phenotype", "meta", "participants"],
    "sample": [
        "id", "external_ids", "participant_id", "active", "meta", "type", "project", "sample_parent_id",
        "sample_root_id",
    ],
    "assay": ["id", "external_ids", "sample_id", "meta", "type"],
    "sequencing_group": [
        "id", "type", "technology", "platform", "meta", "sample_id", "external_ids", "archived", "assays",
    ],
    "analysis": [
        "id", "type", "status", "output", "outputs", "sequencing_group_ids", "cohort_ids", "author",
        "timestamp_completed", "project", "active", "meta",
    ],
    "cohort": [
        "id", "name", "description", "author", "status", "template_id", "project", "sequencing_group_ids",
    ],
    "cohort_template": ["id", "name", "description", "criteria", "project"],
}  # fmt: skip


def test_the_snapshot_shapes_are_version_1s() -> None:
    assert snapshots.SNAPSHOT_VERSION == 1, "a new version: add its shapes here and a reader for version 1"
    assert set(snapshots.SNAPSHOTS) == set(VERSION_1)


def test_each_entitys_snapshot_has_exactly_its_version_1_fields(api: Api) -> None:
    api.project()
    [p] = api.ok(
        "PUT",
        "/participant/proj/upsert-many",
        json=[{"external_ids": {"": "P1"}, "samples": [sample_with_group("S1")]}],
    )
    api.ok("POST", "/family/proj/pedigree", files={"file": ("f.ped", "F1\tP1\t0\t0\t2\t2\n")})
    sg_id = p["samples"][0]["sequencing_groups"][0]["id"]
    api.ok("PUT", "/analysis/proj/", json={"type": "qc", "status": "queued", "sequencing_group_ids": [sg_id]})
    svc = api.svc
    with svc.db.read() as conn:
        tx = Tx(conn, svc.codecs)
        for entity, table in [
            ("project", t.project),
            ("participant", t.participant),
            ("family", t.family),
            ("sample", t.sample),
            ("assay", t.assay),
            ("sequencing_group", t.sequencing_group),
            ("analysis", t.analysis),
        ]:
            ids = list(conn.execute(sa.select(table.c.id)).scalars())
            taken = snapshots.snapshot(tx, entity, ids)
            assert ids and set(taken) == set(ids), entity
            for snapshot in taken.values():
                assert list(snapshot) == VERSION_1[entity], (
                    f"the {entity} snapshot changed shape: that needs a new SNAPSHOT_VERSION and a reader "
                    "for the rows of version 1 (store/snapshots.py)"
                )
