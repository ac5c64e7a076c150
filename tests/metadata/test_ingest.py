"""Bulk ingest over NDJSON: server-side matching by external id, idempotence, dry runs, all or nothing."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson
import pytest
import sqlalchemy as sa

from genolog.client import IngestError, ingest
from genolog.client._server import ServerSettings
from genolog.metadata import tables as t
from genolog.metadata.service import Service
from genolog.metadata.store.upserts import CHUNK
from tests.metadata.live import live_server
from tests.metadata.support import Api, assert_rejected, sequencing_assay


def sample_record(i: int, *, lanes: int = 1, participant: bool = True, note: str = "x") -> dict[str, Any]:
    reads = [f"gs://b/S{i}_L{lane}_R{r}.fastq.gz" for lane in range(1, lanes + 1) for r in (1, 2)]
    sample = {
        "external_ids": {"": f"S{i}"},
        "type": "blood",
        "meta": {"note": note},
        "sequencing_groups": [
            {
                "type": "genome",
                "technology": "short-read",
                "platform": "illumina",
                "assays": [sequencing_assay(*reads)],
            }
        ],
    }
    if not participant:
        return {"sample": sample}
    return {"participant": {"external_ids": {"": f"P{i}"}, "reported_sex": 1 + i % 2, "samples": [sample]}}


def send(api: Api, records: list[dict[str, Any]], dry_run: bool = False, project: str = "proj") -> Any:
    body = b"".join(orjson.dumps(r) + b"\n" for r in records)
    return api.call(
        "POST",
        f"/ingest/{project}",
        params={"dry_run": dry_run},
        content=body,
        headers={"Content-Type": "application/x-ndjson"},
    )


def counts(response: Any) -> dict[str, dict[str, int]]:
    assert response.status_code == 200, response.text
    return response.json()["counts"]


def totals(api: Api) -> tuple[int, int, int]:
    samples = api.ok("POST", "/sample/", json={"project_ids": ["proj"]})
    sgs = api.ok("GET", "/sequencing-group/project/proj")
    history = api.ok("GET", f"/sample/{samples[0]['id']}/audit-history") if samples else []
    return len(samples), sum(len(v) for by_type in sgs.values() for v in by_type.values()), len(history)


def test_reingest_is_unchanged_and_a_partial_change_updates_only_that(api: Api) -> None:
    api.project()
    records = [sample_record(i) for i in range(1, 31)]
    first = counts(send(api, records))
    assert {k: v["created"] for k, v in first.items()} == {
        "participant": 30,
        "sample": 30,
        "sequencing_group": 30,
        "assay": 30,
    }
    before = totals(api)
    again = counts(send(api, records))
    assert all(v["created"] == v["updated"] == 0 for v in again.values())
    assert {k: v["unchanged"] for k, v in again.items()} == {
        "participant": 30,
        "sample": 30,
        "sequencing_group": 30,
        "assay": 30,
    }
    assert totals(api) == before  # no new rows, no new history
    changed = set(random.Random(4).sample(range(30), 3))
    edited = [sample_record(i + 1, note="y") if i in changed else r for i, r in enumerate(records)]
    third = counts(send(api, edited))
    assert third["sample"] == {"created": 0, "updated": 3, "unchanged": 27}
    assert (
        third["participant"]["updated"]
        == third["assay"]["updated"]
        == third["sequencing_group"]["updated"]
        == 0
    )
    notes = {
        s["external_ids"][""]: s["meta"]["note"]
        for s in api.ok("POST", "/sample/", json={"project_ids": ["proj"]})
    }
    assert sorted(e for e, n in notes.items() if n == "y") == sorted(f"S{i + 1}" for i in changed)


def test_ids_are_drawn_for_new_entities_only(api: Api, svc: Service) -> None:
    """PostgreSQL draws a new sample's group and assay ids with the sample's: none may be lost, so a bulk
    ingest, its re-ingest and one more sample give every kind consecutive ids."""
    api.project()
    records = [sample_record(i, participant=False) for i in range(CHUNK + 5)]
    assert counts(send(api, records))["sample"]["created"] == CHUNK + 5
    assert counts(send(api, records))["sample"]["unchanged"] == CHUNK + 5
    nested = sample_record(CHUNK + 5, participant=False)
    nested["sample"]["nested_samples"] = [sample_record(CHUNK + 6, participant=False)["sample"]]
    assert counts(send(api, [nested]))["sample"]["created"] == 2
    with svc.db.read() as conn:
        for table, count in ((t.sample, CHUNK + 7), (t.sequencing_group, CHUNK + 7), (t.assay, CHUNK + 7)):
            ids = sorted(conn.execute(sa.select(table.c.id)).scalars())
            assert len(ids) == count and ids[-1] - ids[0] == count - 1, table.name


def test_a_new_lane_replaces_the_group_and_a_new_type_adds_one(api: Api) -> None:
    api.project()
    counts(send(api, [sample_record(1, participant=False)]))
    [old_sg] = api.ok("GET", "/sequencing-group/project/proj")[api.ok("POST", "/sample/", json={})[0]["id"]][
        "genome"
    ]
    lanes = counts(send(api, [sample_record(1, lanes=2, participant=False)]))
    # the assay holding lane 1 matched by its reads and gained lane 2; the group's assay set did not change
    assert lanes["assay"] == {"created": 0, "updated": 1, "unchanged": 0}
    assert lanes["sequencing_group"]["unchanged"] == 1
    exome = sample_record(1, participant=False)
    group = exome["sample"]["sequencing_groups"][0]
    group["type"] = "exome"
    group["assays"] = [
        sequencing_assay("gs://b/S1_exome_R1.fq.gz", "gs://b/S1_exome_R2.fq.gz", sequencing_type="exome")
    ]
    added = counts(send(api, [exome]))
    assert added["sequencing_group"]["created"] == 1 and added["assay"]["created"] == 1
    by_type = next(iter(api.ok("GET", "/sequencing-group/project/proj").values()))
    assert by_type["genome"] == [old_sg] and len(by_type["exome"]) == 1
    # a second assay in the genome group: a new assay set, so a new group that keeps the sample's genome slot
    both = sample_record(1, lanes=2, participant=False)
    both["sample"]["sequencing_groups"][0]["assays"].append(
        sequencing_assay("gs://b/S1_topup_R1.fq.gz", "gs://b/S1_topup_R2.fq.gz")
    )
    replaced = counts(send(api, [both]))
    assert replaced["sequencing_group"] == {"created": 1, "updated": 0, "unchanged": 0, "archived": 1}
    assert next(iter(api.ok("GET", "/sequencing-group/project/proj").values()))["genome"] != [old_sg]


def test_a_dry_run_reports_and_writes_nothing(api: Api) -> None:
    api.project()
    counts(send(api, [sample_record(1)]))
    response = send(api, [sample_record(1, note="changed"), sample_record(2)], dry_run=True)
    report = response.json()
    assert report["dry_run"] is True and report["records"] == 2
    assert report["counts"]["sample"] == {"created": 1, "updated": 1, "unchanged": 0}
    shown = {(c["entity"], c["external_id"], c["operation"]) for c in report["changes"]}
    assert ("sample", "S1", "update") in shown and ("sample", "S2", "create") in shown
    assert ("participant", "P1", "update") not in shown
    samples = api.ok("POST", "/sample/", json={"project_ids": ["proj"]})
    assert [(s["external_ids"][""], s["meta"]["note"]) for s in samples] == [("S1", "x")]


def test_a_bad_record_in_a_later_chunk_rolls_back_the_whole_request(api: Api) -> None:
    api.project()
    records = [{"sample": {"external_ids": {"": f"S{i}"}, "type": "blood"}} for i in range(CHUNK + 5)]
    records[CHUNK + 2]["sample"]["type"] = "goo"
    assert_rejected(send(api, records), 400, f"record {CHUNK + 3}:", "Unknown sample type 'goo'")
    assert api.ok("POST", "/sample/", json={"project_ids": ["proj"]}) == []


@pytest.mark.parametrize(
    ("records", "status", "fragments"),
    [
        ([sample_record(1), sample_record(1)], 409, ("record 2:", "'P1'", "also in record 1")),
        # a sample may have no type (as in Metamist), but not an empty one
        (
            [{"sample": {"external_ids": {"": "S1"}, "type": ""}}],
            400,
            ("record 1:", "Unknown sample type ''"),
        ),
        (
            [{"participant": {"external_ids": {"": "P1"}}, "sample": {"type": "blood"}}],
            400,
            ("record 1:", "exactly one"),
        ),
        (
            [{"sample": {"type": "blood", "external_ids": {"": "S1"}, "meta": "x"}}],
            400,
            ("record 1:", "sample.meta"),
        ),
        ([{"sample": {"type": "blood"}}], 400, ("record 1:", "primary external id")),
    ],
    ids=["duplicate", "empty-type", "both-kinds", "bad-meta", "no-eid"],
)
def test_bad_records_are_named(
    api: Api, records: list[dict[str, Any]], status: int, fragments: tuple[str, ...]
) -> None:
    api.project()
    assert_rejected(send(api, records), status, *fragments)
    assert api.ok("POST", "/sample/", json={"project_ids": ["proj"]}) == []


def test_not_json_and_no_write_role_are_refused(api: Api) -> None:
    api.project(members={"rita": ["reader"]})
    bad = api.call(
        "POST", "/ingest/proj", content=b'{"sample": \n', headers={"Content-Type": "application/x-ndjson"}
    )
    assert_rejected(bad, 400, "record 1:")
    refused = api.call("POST", "/ingest/proj", user="rita", content=orjson.dumps(sample_record(1)))
    assert refused.status_code == 403


def test_the_client_streams_records_and_names_the_bad_one(svc: Service) -> None:
    api = Api(svc)
    api.project()
    with live_server(svc) as url:
        settings = ServerSettings(url=url, token=api.user("admin", "admin")["Authorization"].split()[1])
        report = ingest("proj", (sample_record(i) for i in range(1, 401)), settings=settings)
        assert report["counts"]["sample"]["created"] == 400 and report["records"] == 400
        again = ingest("proj", (sample_record(i) for i in range(1, 401)), settings=settings, dry_run=True)
        assert again["counts"]["sample"]["unchanged"] == 400 and again["changes"] == []
        with pytest.raises(IngestError) as refused:
            ingest("proj", [sample_record(500), {"sample": {"type": "blood"}}], settings=settings)
        assert refused.value.status == 400 and refused.value.line == 2


def test_bulk_ingests_at_once_each_land_whole_or_not_at_all(svc: Service) -> None:
    """Each request's writes go on its own connection's writer thread: three multi-chunk ingests at once
    land whole, and a fourth that fails in its last chunk leaves nothing."""
    api = Api(svc)
    for name in ("one", "two", "three", "bad"):
        api.project(name)
    total = 2 * CHUNK + 10
    bad = [sample_record(i, participant=False) for i in range(total)]
    bad[-1]["sample"]["type"] = "goo"
    with live_server(svc) as url, ThreadPoolExecutor(4) as pool:
        settings = ServerSettings(url=url, token=api.user("admin", "admin")["Authorization"].split()[1])
        sent = {
            name: pool.submit(
                ingest, name, [sample_record(i, participant=False) for i in range(total)], settings=settings
            )
            for name in ("one", "two", "three")
        }
        failed = pool.submit(ingest, "bad", bad, settings=settings)
        for report in sent.values():
            assert report.result()["counts"]["sample"]["created"] == total
        with pytest.raises(IngestError, match="Unknown sample type 'goo'"):
            failed.result()
    for name in ("one", "two", "three"):
        samples = api.ok("POST", "/sample/", json={"project_ids": [name]})
        assert sorted(s["external_ids"][""] for s in samples) == sorted(f"S{i}" for i in range(total))
        groups = api.ok("GET", f"/sequencing-group/project/{name}")
        assert sum(len(ids) for by_type in groups.values() for ids in by_type.values()) == total
    assert api.ok("POST", "/sample/", json={"project_ids": ["bad"]}) == []
