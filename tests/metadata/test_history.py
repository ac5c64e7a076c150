import json

import sqlalchemy as sa

from genolog.metadata import tables as t
from tests.metadata.support import Api, sample_with_group


def test_every_change_is_kept_with_author_time_and_request_context(api: Api) -> None:
    api.project(members={"writer-bob": ["writer"]})
    headers = {
        "sm-on-behalf-of": "pipeline-x",
        "sm-ar-guid": "a1b2c3",
        "sm-extra-values": json.dumps({"HAIL_BATCH_ID": "42"}),
    }
    [s] = api.ok(
        "PUT", "/sample/proj/upsert-many", user="writer-bob", headers=headers, json=[sample_with_group("S1")]
    )
    api.ok("PATCH", f"/sample/{s['id']}", user="admin", json={"meta": {"qc": "pass"}})
    api.ok("PATCH", f"/sample/{s['id']}", user="admin", json={"meta": {"qc": None}, "type": "saliva"})

    history = api.ok("GET", f"/sample/{s['id']}/audit-history")
    assert [h["operation"] for h in history] == ["create", "update", "update"]
    created, first, second = history
    assert created["author"] == "writer-bob" and created["on_behalf_of"] == "pipeline-x"
    assert created["ar_guid"] == "a1b2c3"
    assert (
        created["meta"]["HAIL_BATCH_ID"] == "42"
        and created["meta"]["path"] == "/api/v1/sample/proj/upsert-many"
    )
    assert created["old"] is None and created["new"]["external_ids"] == {"": "S1"}
    # the sample as it was created, not as it is now
    assert created["new"]["meta"] == {} and created["new"]["type"] == "blood"
    assert created["changes"]["type"] == {"old": None, "new": "blood"}
    assert first["author"] == "admin" and first["changes"] == {"meta": {"old": {}, "new": {"qc": "pass"}}}
    assert second["changes"] == {
        "meta": {"old": {"qc": "pass"}, "new": {}},
        "type": {"old": "blood", "new": "saliva"},
    }
    assert created["timestamp"] <= first["timestamp"] <= second["timestamp"]


def test_one_request_writes_one_audit_entry_for_all_its_rows(api: Api) -> None:
    api.project()
    [s] = api.ok("PUT", "/sample/proj/upsert-many", json=[sample_with_group("S1")])
    sg = s["sequencing_groups"][0]
    sample_entry = api.ok("GET", f"/sample/{s['id']}/audit-history")[0]["audit_log_id"]
    sg_entry = api.ok("GET", f"/sequencing-group/{sg['id']}/history")[0]["audit_log_id"]
    assay_entry = api.ok("GET", f"/assay/{sg['assays'][0]['id']}/history")[0]["audit_log_id"]
    assert sample_entry == sg_entry == assay_entry


def test_sequencing_group_history_shows_archival_and_unchanged_writes_add_nothing(api: Api) -> None:
    api.project()
    [s] = api.ok("PUT", "/sample/proj/upsert-many", json=[sample_with_group("S1")])
    sg_id = s["sequencing_groups"][0]["id"]
    api.ok("PATCH", f"/sample/{s['id']}", json={"meta": {}})  # no change: no history row
    assert len(api.ok("GET", f"/sample/{s['id']}/audit-history")) == 1
    api.ok("PATCH", "/sequencing-group/archive", json=[sg_id])
    history = api.ok("GET", f"/sequencing-group/{sg_id}/history")
    assert history[-1]["changes"]["archived"] == {"old": False, "new": True}


def test_participant_family_and_analysis_histories(api: Api) -> None:
    api.project()
    [p] = api.ok(
        "PUT",
        "/participant/proj/upsert-many",
        json=[{"external_ids": {"": "P1"}, "samples": [sample_with_group("S1")]}],
    )
    api.ok(
        "POST",
        f"/participant/{p['id']}/update-participant",
        json={"reported_sex": 2, "phenotypes": {"hpo": ["HP:1"]}},
    )
    history = api.ok("GET", f"/participant/{p['id']}/history")
    assert history[-1]["changes"] == {
        "reported_sex": {"old": None, "new": 2},
        "phenotypes": {"old": {}, "new": {"hpo": ["HP:1"]}},
    }
    files = {"file": ("f.ped", "F1\tP1\t0\t0\t2\t2\n")}
    api.ok("POST", "/family/proj/pedigree", files=files)
    family = api.ok("GET", "/family/proj/")[0]
    api.ok("POST", "/family/", json={"id": family["id"], "description": "index family"})
    family_history = api.ok("GET", f"/family/{family['id']}/history")
    assert [h["operation"] for h in family_history] == ["create", "update"]
    assert family_history[-1]["changes"] == {"description": {"old": None, "new": "index family"}}

    sg_id = p["samples"][0]["sequencing_groups"][0]["id"]
    analysis_id = api.ok(
        "PUT",
        "/analysis/proj/",
        json={"type": "qc", "status": "queued", "sequencing_group_ids": [sg_id], "meta": {}},
    )
    api.ok("PATCH", f"/analysis/{analysis_id}/", json={"status": "in-progress"})
    api.ok("PATCH", f"/analysis/{analysis_id}/", json={"status": "completed", "output": "gs://x/y.html"})
    statuses = [h["new"]["status"] for h in api.ok("GET", f"/analysis/{analysis_id}/history")]
    assert statuses == ["queued", "in-progress", "completed"]


def test_a_creation_is_recorded_on_its_row_and_read_back_whole(api: Api) -> None:
    api.project()
    [s] = api.ok("PUT", "/sample/proj/upsert-many", json=[sample_with_group("S1", "gs://b/S1_R1.fq.gz")])
    sg = s["sequencing_groups"][0]
    with api.svc.db.read() as conn:
        stored = conn.execute(sa.select(t.change.c.entity).where(t.change.c.entity != "project")).all()
        created_by = {
            kind: conn.execute(sa.select(t.metadata.tables[kind].c.created_audit_log_id)).scalars().all()
            for kind in ("sample", "assay", "sequencing_group")
        }
    assert stored == []  # no change rows: each row names the request that created it
    [[entry]] = set(map(tuple, created_by.values()))
    # unchanged since: the creation reads as the entity's current state
    [created] = api.ok("GET", f"/sample/{s['id']}/audit-history")
    current = api.ok("GET", f"/sample/{s['id']}")
    assert created["audit_log_id"] == entry and created["operation"] == "create"
    assert created["new"]["id"] == s["id"] and created["new"]["meta"] == current["meta"]
    assay = api.ok("GET", f"/assay/{sg['assays'][0]['id']}/history")[0]["new"]
    assert assay["meta"]["reads"][0]["location"] == "gs://b/S1_R1.fq.gz"
    [sg_created] = api.ok("GET", f"/sequencing-group/{sg['id']}/history")
    assert sg_created["new"]["id"] == sg["id"] and sg_created["changes"]["type"]["new"] == "genome"


def test_a_creation_recorded_as_a_change_row_before_migration_0007_reads_as_before(api: Api) -> None:
    api.project()
    [s] = api.ok("PUT", "/sample/proj/upsert-many", json=[sample_with_group("S1")])
    api.ok("PATCH", f"/sample/{s['id']}", json={"meta": {"qc": "pass"}})
    sample_id = api.svc.codecs.sample.parse(s["id"])
    before = api.ok("GET", f"/sample/{s['id']}/audit-history")
    # the creation as revisions before 0007 recorded it: a ``change`` row (numbered before the update's),
    # nothing on the sample's row
    with api.svc.db.write() as conn:
        entry, project_id = conn.execute(
            sa.select(t.sample.c.created_audit_log_id, t.sample.c.project_id).where(
                t.sample.c.id == sample_id
            )
        ).one()
        conn.execute(sa.update(t.sample).values(created_audit_log_id=None))
        conn.execute(
            t.change.insert().values(
                id=0,
                audit_log_id=entry,
                entity="sample",
                entity_id=sample_id,
                project_id=project_id,
                operation="create",
            )
        )
    assert api.ok("GET", f"/sample/{s['id']}/audit-history") == before
    assert [h["operation"] for h in before] == ["create", "update"]
    assert before[0]["new"]["meta"] == {} and before[1]["new"]["meta"] == {"qc": "pass"}


def test_sample_history_is_its_versions_with_raw_ids_as_metamist_answers(api: Api) -> None:
    """getHistoryOfSample answers Metamist's SampleInternal versions (raw integer ids, the root and parent
    too); genolog's audit entries are at /audit-history."""
    api.project()
    nested = {"external_ids": {"": "S1-a"}, "type": "saliva"}
    [s] = api.ok(
        "PUT", "/sample/proj/upsert-many", json=[{**sample_with_group("S1"), "nested_samples": [nested]}]
    )
    child = s["nested_samples"][0]["id"]
    api.ok("PATCH", f"/sample/{child}", user="admin", json={"meta": {"qc": "pass"}, "active": False})
    parse = api.svc.codecs.sample.parse
    created, updated = api.ok("GET", f"/sample/{child}/history")
    assert created == {
        "id": parse(child),
        "external_ids": {"": "S1-a"},
        "meta": {},
        "project": created["project"],
        "type": "saliva",
        "participant_id": None,
        "active": True,
        "sample_root_id": parse(s["id"]),
        "sample_parent_id": parse(s["id"]),
        "author": "admin",
    }
    assert updated == {**created, "meta": {"qc": "pass"}, "active": False}
    assert [h["operation"] for h in api.ok("GET", f"/sample/{child}/audit-history")] == ["create", "update"]
