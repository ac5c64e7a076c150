"""Analysis records in a bulk ingest (a metadata sheet's QC values): written with the trees in one
transaction, matched on a re-send so that it changes nothing, updated when their values change."""

from __future__ import annotations

from typing import Any

from tests.metadata.support import Api, assert_rejected
from tests.metadata.test_ingest import counts, sample_record, send


def qc(sample: int, **meta: Any) -> dict[str, Any]:
    group = {"sample": f"S{sample}", "type": "genome", "technology": "short-read", "platform": "illumina"}
    return {"analysis": {"type": "qc", "meta": meta, "sequencing_group": group}}


def analyses(api: Api) -> list[dict[str, Any]]:
    return api.ok("POST", "/analysis/query", json={"projects": ["proj"]})


def test_analyses_are_created_then_unchanged_then_updated(api: Api) -> None:
    api.project()
    records = [sample_record(i) for i in (1, 2)]
    first = counts(send(api, [*records, qc(1, freemix=0.01), qc(2, freemix=0.02)]))
    assert first["analysis"] == {"created": 2, "updated": 0, "unchanged": 0}
    stored = {a["meta"]["freemix"]: a for a in analyses(api)}
    assert set(stored) == {0.01, 0.02}
    assert stored[0.01]["type"] == "qc" and stored[0.01]["status"] == "completed"
    sgs = api.ok("GET", "/sequencing-group/project/proj")
    sample_ids = {s["external_ids"][""]: s["id"] for s in api.ok("POST", "/sample/", json={})}
    assert stored[0.01]["sequencing_group_ids"] == sgs[sample_ids["S1"]]["genome"]

    again = counts(send(api, [*records, qc(1, freemix=0.01), qc(2, freemix=0.02)]))
    assert again["analysis"] == {"created": 0, "updated": 0, "unchanged": 2}
    changed = counts(send(api, [*records, qc(1, freemix=0.01), qc(2, freemix=0.03)]))
    assert changed["analysis"] == {"created": 0, "updated": 1, "unchanged": 1}
    assert sorted(a["meta"]["freemix"] for a in analyses(api)) == [0.01, 0.03]


def test_a_dry_run_lists_the_analyses_and_writes_nothing(api: Api) -> None:
    api.project()
    response = send(api, [sample_record(1), qc(1, coverage=31.5)], dry_run=True)
    assert counts(response)["analysis"]["created"] == 1
    assert {"entity": "analysis", "operation": "create", "external_id": "S1 qc"}.items() <= next(
        c for c in response.json()["changes"] if c["entity"] == "analysis"
    ).items()
    assert analyses(api) == []


def test_bad_analysis_records_name_the_record_and_write_nothing(api: Api) -> None:
    api.project()
    assert_rejected(send(api, [sample_record(1), qc(9, x=1)]), 400, "record 2", "no sample 'S9'")
    exome = qc(1, x=1)
    exome["analysis"]["sequencing_group"]["type"] = "exome"
    assert_rejected(
        send(api, [sample_record(1), exome]), 400, "record 2", "no active exome/short-read/illumina"
    )
    assert_rejected(send(api, [qc(1, x=1), sample_record(1)]), 400, "record 2", "come before every analysis")
    assert_rejected(send(api, [sample_record(1), {"analysis": {"type": "qc"}}]), 400, "record 2")
    unknown = qc(1, x=1)
    unknown["analysis"]["type"] = "no-such-type"
    assert_rejected(send(api, [sample_record(1), unknown]), 400, "record 2")
    assert api.ok("POST", "/sample/", json={"project_ids": ["proj"]}) == []
