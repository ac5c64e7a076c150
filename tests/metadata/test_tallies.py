"""The projects' tallies (``store.tallies``: counts and meta keys kept by every write) always equal what
counting every row gives, through each kind of write that changes them, and migration 0011 fills them so."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.service import Service
from tests.metadata.support import Api, migrate, sample_with_group


def counted(svc: Service) -> Counter[tuple[int, str, str]]:
    """The tallies, counted here from every row."""
    found: Counter[tuple[int, str, str]] = Counter()
    with svc.db.read() as conn:
        for p in conn.execute(sa.select(t.participant)).mappings():
            found[(p["project_id"], "participants", "")] += 1
            for key in p["meta"]:
                found[(p["project_id"], "participant_meta", key)] += 1
        active = {}
        for s in conn.execute(sa.select(t.sample)).mappings():
            active[s["id"]] = s["active"]
            if s["active"]:
                found[(s["project_id"], "samples", "")] += 1
                for key in s["meta"]:
                    found[(s["project_id"], "sample_meta", key)] += 1
        for g in conn.execute(sa.select(t.sequencing_group)).mappings():
            if not g["archived"] and active[g["sample_id"]]:
                found[(g["project_id"], "sequencing_groups", g["type"])] += 1
    return found


def stored(svc: Service) -> Counter[tuple[int, str, str]]:
    pt = t.project_tally
    with svc.db.read() as conn:
        rows = conn.execute(sa.select(pt.c.project_id, pt.c.tally, pt.c.name, pt.c.n)).all()
    assert all(n > 0 for *_, n in rows), rows  # a tally that reaches 0 is dropped
    keys = [tuple(key) for *key, _ in rows]
    assert len(keys) == len(set(keys)), rows  # one row per tally and name
    return Counter({(p, tally, name): n for p, tally, name, n in rows})


def check(svc: Service) -> Counter[tuple[int, str, str]]:
    found = stored(svc)
    assert found == counted(svc)
    return found


def participant(name: str, *samples: dict[str, Any], **meta: Any) -> dict[str, Any]:
    return {"external_ids": {"": name}, "meta": meta, "samples": list(samples)}


def sample(name: str, **meta: Any) -> dict[str, Any]:
    return {**sample_with_group(name), "meta": meta}


def test_every_write_keeps_the_tallies(svc: Service, api: Api) -> None:
    api.project("proj")
    api.project("other")
    api.ok(
        "PUT",
        "/participant/proj/upsert-many",
        json=[
            participant("P1", sample("S1", depth=30, site="a"), sex="f"),
            participant("P2", sample("S2", depth=40), sample("S3"), sex="m", age=3),
        ],
    )
    api.ok("PUT", "/participant/other/upsert-many", json=[participant("O1", sample("T1", depth=1))])
    with svc.db.read() as conn:
        ids = dict(
            conn.execute(sa.select(t.sample_external_id.c.external_id, t.sample.c.id).join(t.sample)).all()
        )
        proj = conn.execute(sa.select(t.project.c.id).where(t.project.c.name == "proj")).scalar_one()
    sid = {name: svc.codecs.sample.format(i) for name, i in ids.items()}
    found = check(svc)
    assert found[(proj, "samples", "")] == 3 and found[(proj, "sequencing_groups", "genome")] == 3
    assert found[(proj, "sample_meta", "depth")] == 2 and found[(proj, "participant_meta", "age")] == 1

    # meta keys come and go: S1 loses site (its only holder) and gains qc
    api.ok(
        "PUT",
        "/sample/proj/upsert-many",
        json=[{"external_ids": {"": "S1"}, "meta": {"site": None, "qc": 1}}],
    )
    found = check(svc)
    assert (proj, "sample_meta", "site") not in found and found[(proj, "sample_meta", "qc")] == 1

    # a participant's meta through its own route
    with svc.db.read() as conn:
        p2 = conn.execute(
            sa.select(t.participant_external_id.c.participant_id).where(
                t.participant_external_id.c.external_id == "P2"
            )
        ).scalar_one()
    api.ok("POST", f"/participant/{p2}/update-participant", json={"meta": {"age": None, "weight": 9}})
    check(svc)

    # merging S3 into S2: S3 is deactivated, its group moves over and still counts
    api.ok("PATCH", f"/sample/{sid['S2']}/{sid['S3']}")
    found = check(svc)
    assert found[(proj, "samples", "")] == 2 and found[(proj, "sequencing_groups", "genome")] == 3

    # a deactivated sample's groups and meta keys stop counting; active again, they count again
    api.ok("PATCH", f"/sample/{sid['S1']}", json={"active": False})
    found = check(svc)
    assert found[(proj, "sequencing_groups", "genome")] == 2 and (proj, "sample_meta", "qc") not in found
    api.ok("PATCH", f"/sample/{sid['S1']}", json={"active": True})
    check(svc)

    # archiving a group; replacing a group's assays (archived, and a new one made)
    groups = api.ok("GET", "/sequencing-group/project/proj")
    api.ok("PATCH", "/sequencing-group/archive", json=[groups[sid["S1"]]["genome"][0]])
    found = check(svc)
    assert found[(proj, "sequencing_groups", "genome")] == 2
    replaced = {**sample_with_group("S2"), "meta": {}}
    replaced["sequencing_groups"][0]["assays"][0]["meta"]["reads"][0]["location"] = "gs://b/new_1.fq.gz"
    api.ok("PUT", "/sample/proj/upsert-many", json=[replaced])
    check(svc)

    # a request that fails changes nothing, tallies included
    before = stored(svc)
    bad = api.call(
        "PUT", "/participant/proj/upsert-many", json=[participant("P9", sample("S9", x=1)), {"id": 10**6}]
    )
    assert bad.status_code >= 400
    assert stored(svc) == before

    # wiping a test project drops its tallies with its rows; the other projects keep theirs
    api.ok("PUT", "/participant/proj-test/upsert-many", json=[participant("Q1", sample("U1", z=1))])
    check(svc)
    api.ok("DELETE", "/project/proj-test")
    found = check(svc)
    assert {p for p, _, _ in found} == {proj, proj + 2}  # proj, other (their -test twins hold nothing now)


@pytest.mark.usefixtures("back_at_head")
def test_the_migration_fills_the_tallies_from_the_rows(svc: Service, api: Api) -> None:
    api.project("proj")
    api.ok(
        "PUT",
        "/participant/proj/upsert-many",
        json=[participant("P1", sample("S1", depth=30), sex="f"), participant("P2", sample("S2"), age=3)],
    )
    written = check(svc)
    migrate(svc, "0010", down=True)
    with svc.db.read() as conn:
        assert "project_tally" not in sa.inspect(conn).get_table_names()
    migrate(svc, "head")
    assert check(svc) == written
    # groups found by project after the migration filled in their project
    page = api.ok(
        "POST", "/graphql", base="", json={"query": '{ project(name: "proj") { sequencingGroups { id } } }'}
    )
    assert len(page["data"]["project"]["sequencingGroups"]) == 2


def test_concurrent_writers_of_the_same_rows_keep_the_tallies(svc: Service, api: Api) -> None:
    """Writers changing the same samples at once (on PostgreSQL, in parallel until one waits for the
    other): each notes what the rows contributed only once it holds the project's change lock."""
    api.project("proj")
    api.ok(
        "PUT", "/participant/proj/upsert-many", json=[participant(f"P{i}", sample(f"S{i}")) for i in range(4)]
    )
    api.user("admin", "admin")  # the token made before the threads start

    def write(worker: int) -> None:
        for step in range(6):
            meta = {f"k{(worker + step) % 3}": step, f"k{(worker + step + 1) % 3}": None}
            body = [
                {"external_ids": {"": f"S{i}"}, "meta": meta, "active": (worker + step) % 4 != 0}
                for i in range(4)
            ]
            api.ok("PUT", "/sample/proj/upsert-many", json=body)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, range(4)))
    check(svc)
