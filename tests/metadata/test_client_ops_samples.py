"""The published metamist client's sample operations: the Parquet export, creation dates, merging."""

from __future__ import annotations

from typing import Any

from tests.metadata.client_calls import (
    Served,
    op,
    parquet,
    refused,
)
from tests.metadata.support import sample_with_group
from tests.metadata.test_client_ops_analyses import exome_sample


def seed(served: Served) -> dict[str, Any]:
    """proj: P1 with S1 (genome group, meta a/shared/tags) and S2 (exome group with an analysis, another
    organisation's id, meta shared/b); other: O1."""
    api = served.api
    api.project("proj", {"owner": ["reader", "writer"], "reader": ["reader"]})
    api.project("other", {"owner": ["reader", "writer"], "outsider": ["reader", "writer"]})
    s1 = {**sample_with_group("S1"), "meta": {"a": 1, "shared": "x", "tags": ["t1"], "deep": {"k": 1}}}
    s2 = {**exome_sample("S2"), "external_ids": {"": "S2", "kccg": "K2"}, "meta": {"shared": "y", "b": True}}
    [person] = api.ok(
        "PUT", "/participant/proj/upsert-many", json=[{"external_ids": {"": "P1"}, "samples": [s1, s2]}]
    )
    [o1] = api.ok("PUT", "/sample/other/upsert-many", json=[sample_with_group("O1")])
    first, second = person["samples"]
    sg2 = second["sequencing_groups"][0]["id"]
    analysis = api.ok(
        "PUT", "/analysis/proj/", json={"type": "cram", "status": "completed", "sequencing_group_ids": [sg2]}
    )
    served.set_created({first["id"]: "2024-01-15T23:30:00+00:00", second["id"]: "2024-02-20T00:10:00+00:00"})
    return {
        "P1": person["id"],
        "S1": first["id"],
        "S2": second["id"],
        "O1": o1["id"],
        "sg1": first["sequencing_groups"][0]["id"],
        "sg2": sg2,
        "assay2": second["sequencing_groups"][0]["assays"][0]["id"],
        "analysis": analysis,
    }


def test_sample_table_export_and_creation_dates(served: Served) -> None:
    ids = seed(served)
    export, dates, *refusals = served.calls(
        op("reader", "SampleApi", "export_samples", raw=True, project="proj"),
        op("reader", "SampleApi", "get_samples_create_date", request_body=[ids["S1"], ids["S2"]]),
        op("outsider", "SampleApi", "export_samples", raw=True, project="proj"),
        op("reader", "SampleApi", "get_samples_create_date", request_body=[ids["S1"], ids["O1"]]),
        op("reader", "SampleApi", "get_samples_create_date", request_body=["XPG-bad"]),
    )
    table = parquet(export)
    assert table.column_names == [
        "sample_id",
        "participant_id",
        "type",
        "active",
        "sample_root_id",
        "sample_parent_id",
        "external_id",
        "external_id_kccg",
        "meta_a",
        "meta_b",
        "meta_deep",
        "meta_shared",
        "meta_tags",
    ]
    assert [str(table.schema.field(c).type) for c in ("meta_a", "meta_b", "meta_deep", "meta_tags")] == [
        "int64",
        "bool",
        "struct<k: int64>",
        "list<element: string>",
    ]
    assert table.to_pylist() == [
        {
            "sample_id": ids["S1"],
            "participant_id": ids["P1"],
            "type": "blood",
            "active": True,
            "sample_root_id": None,
            "sample_parent_id": None,
            "external_id": "S1",
            "external_id_kccg": None,
            "meta_a": 1,
            "meta_b": None,
            "meta_deep": {"k": 1},
            "meta_shared": "x",
            "meta_tags": ["t1"],
        },
        {
            "sample_id": ids["S2"],
            "participant_id": ids["P1"],
            "type": "blood",
            "active": True,
            "sample_root_id": None,
            "sample_parent_id": None,
            "external_id": "S2",
            "external_id_kccg": "K2",
            "meta_a": None,
            "meta_b": True,
            "meta_deep": None,
            "meta_shared": "y",
            "meta_tags": None,
        },
    ]
    assert dates["result"] == {ids["S1"]: "2024-01-15", ids["S2"]: "2024-02-20"}  # days in UTC
    outsider_export, unreadable, malformed = refusals
    refused(outsider_export, 404, "'proj' not found")
    refused(unreadable, 404, ids["O1"])
    refused(malformed, 400)


def test_merging_samples(served: Served) -> None:
    ids = seed(served)
    merge = op("owner", "SampleApi", "merge_samples", id_keep=ids["S1"], id_merge=ids["S2"])
    before = served.rows()
    refusals = served.calls(
        {**merge, "as": "outsider"},
        {**merge, "as": "reader"},
        {**merge, "kwargs": {"id_keep": ids["S1"], "id_merge": ids["S1"]}},
        {**merge, "kwargs": {"id_keep": ids["S1"], "id_merge": ids["O1"]}},
    )
    outsider, reader, itself, elsewhere = refusals
    refused(outsider, 404, f"Sample {ids['S1']} not found")
    refused(reader, 403)
    refused(itself, 400, "itself")
    refused(elsewhere, 400, "different projects")
    assert served.rows() == before

    merged, kept, gone, group, again = served.calls(
        merge,
        op("reader", "SampleApi", "get_sample_by_external_id", project="proj", external_id="S1"),
        op("reader", "SampleApi", "get_sample_by_external_id", project="proj", external_id="K2"),
        op("reader", "SequencingGroupApi", "get_sequencing_group", sequencing_group_id=ids["sg2"]),
        merge,
    )
    expected_meta = {
        "a": 1,
        "shared": ["x", "y"],
        "tags": ["t1"],
        "deep": {"k": 1},
        "b": True,
        "merged_from": ids["S2"],
    }
    assert merged["result"]["id"] == ids["S1"] and merged["result"]["meta"] == expected_meta
    assert kept["result"]["meta"] == expected_meta and kept["result"]["active"] is True
    assert gone["result"]["active"] is False
    assert gone["result"]["meta"] == {"shared": "y", "b": True, "merged_into": ids["S1"]}
    assert group["result"]["sample_id"] == ids["S1"]  # with its assay and its analysis
    assert [a["id"] for a in group["result"]["assays"]] == [ids["assay2"]]
    refused(again, 400, "already merged")

    api = served.api
    assert api.ok("POST", "/sample/", json={"project_ids": ["proj"]}) == [
        api.ok("GET", f"/sample/{ids['S1']}")
    ]
    analysis = api.ok("GET", f"/analysis/{ids['analysis']}/details")
    assert analysis["sequencing_group_ids"] == [ids["sg2"]]
    assays = api.ok("POST", "/assay/criteria", json={"sample_ids": [ids["S1"]]})
    assert sorted(a["id"] for a in assays) == sorted([ids["assay2"], *_assay_ids(api, ids["sg1"])])
    # each change is in the history, under one audit entry
    histories = [
        api.ok("GET", path)[-1]
        for path in (
            f"/sample/{ids['S1']}/audit-history",
            f"/sample/{ids['S2']}/audit-history",
            f"/sequencing-group/{ids['sg2']}/history",
            f"/assay/{ids['assay2']}/history",
        )
    ]
    assert len({h["audit_log_id"] for h in histories}) == 1
    assert histories[1]["changes"]["active"] == {"old": True, "new": False}
    assert histories[2]["changes"]["sample_id"] == {"old": ids["S2"], "new": ids["S1"]}
    assert histories[3]["changes"]["sample_id"] == {"old": ids["S2"], "new": ids["S1"]}


def _assay_ids(api: Any, sg_id: str) -> list[int]:
    return [a["id"] for a in api.ok("GET", f"/sequencing-group/{sg_id}")["assays"]]
