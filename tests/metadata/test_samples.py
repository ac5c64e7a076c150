from typing import Any

from tests.metadata.support import Api, sample_with_group, sequencing_assay


def upsert(api: Api, samples: list[dict[str, Any]], project: str = "proj") -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = api.ok("PUT", f"/sample/{project}/upsert-many", json=samples)
    return result


def test_nested_upsert_returns_ids_and_reads_back(api: Api) -> None:
    api.project()
    [created] = upsert(api, [sample_with_group("S1")])
    sample_id = created["id"]
    sg = created["sequencing_groups"][0]
    assay_id = sg["assays"][0]["id"]
    assert api.ok("GET", f"/sample/{sample_id}")["external_ids"] == {"": "S1"}
    read_sg = api.ok("GET", f"/sequencing-group/{sg['id']}")
    assert read_sg["sample_id"] == sample_id and read_sg["type"] == "genome" and read_sg["archived"] is False
    assert [a["id"] for a in read_sg["assays"]] == [assay_id]
    assert read_sg["assays"][0]["meta"]["reads"][0]["location"] == "gs://b/S1_1.fq.gz"
    assert api.ok("GET", "/sequencing-group/project/proj") == {sample_id: {"genome": [sg["id"]]}}


def test_update_merges_meta_and_keeps_ids(api: Api) -> None:
    api.project()
    [s] = upsert(api, [{"external_ids": {"": "S1"}, "type": "blood", "meta": {"a": 1, "b": {"c": 2}}}])
    [again] = upsert(
        api, [{"id": s["id"], "meta": {"b": {"c": None, "d": 3}}, "external_ids": {"kccg": "K1"}}]
    )
    assert again["id"] == s["id"]
    sample = api.ok("GET", f"/sample/{s['id']}")
    assert sample["meta"] == {"a": 1, "b": {"d": 3}}
    assert sample["external_ids"] == {"": "S1", "kccg": "K1"}
    api.ok("PATCH", f"/sample/{s['id']}", json={"external_ids": {"kccg": None}, "active": False})
    sample = api.ok("GET", f"/sample/{s['id']}")
    assert sample["external_ids"] == {"": "S1"} and sample["active"] is False


def test_changing_a_sequencing_groups_assays_archives_it_and_makes_a_new_one(api: Api) -> None:
    api.project()
    [s] = upsert(api, [sample_with_group("S1")])
    old_sg = s["sequencing_groups"][0]
    old_assay = old_sg["assays"][0]["id"]
    [changed] = upsert(
        api,
        [
            {
                "id": s["id"],
                "sequencing_groups": [
                    {
                        "id": old_sg["id"],
                        "assays": [{"id": old_assay}, sequencing_assay("gs://b/S1_L2_1.fq.gz")],
                    }
                ],
            }
        ],
    )
    new_sg = changed["sequencing_groups"][0]
    assert new_sg["id"] != old_sg["id"]
    assert api.ok("GET", f"/sequencing-group/{old_sg['id']}")["archived"] is True
    fresh = api.ok("GET", f"/sequencing-group/{new_sg['id']}")
    assert fresh["archived"] is False and len(fresh["assays"]) == 2
    assert api.ok("GET", "/sequencing-group/project/proj") == {s["id"]: {"genome": [new_sg["id"]]}}
    # a meta-only change updates in place
    [same] = upsert(api, [{"id": s["id"], "sequencing_groups": [{"id": new_sg["id"], "meta": {"x": 1}}]}])
    assert same["sequencing_groups"][0]["id"] == new_sg["id"]
    assert api.ok("GET", f"/sequencing-group/{new_sg['id']}")["meta"] == {"x": 1}


def test_archiving_frees_external_ids_and_updating_meta_merges(api: Api) -> None:
    api.project()
    [s] = upsert(api, [sample_with_group("S1")])
    sg_id = s["sequencing_groups"][0]["id"]
    upsert(api, [{"id": s["id"], "sequencing_groups": [{"id": sg_id, "external_ids": {"": "SG-1"}}]}])
    api.ok("PATCH", f"/sequencing-group/project/{sg_id}", params={"project": "proj"}, json={"meta": {"q": 1}})
    assert api.ok("GET", f"/sequencing-group/{sg_id}")["meta"] == {"q": 1}
    assert api.ok("PATCH", "/sequencing-group/archive", json=[sg_id]) is True
    archived = api.ok("GET", f"/sequencing-group/{sg_id}")
    assert archived["archived"] is True and archived["external_ids"] == {}
    # the freed external id can be used again
    [s2] = upsert(
        api,
        [
            {
                "external_ids": {"": "S2"},
                "type": "blood",
                "sequencing_groups": [
                    {
                        "type": "genome",
                        "technology": "short-read",
                        "platform": "illumina",
                        "external_ids": {"": "SG-1"},
                    }
                ],
            }
        ],
    )
    assert s2["sequencing_groups"][0]["id"] != sg_id


def test_sequencing_group_fields_come_from_assays_and_must_agree(api: Api) -> None:
    api.project()
    [s] = upsert(
        api,
        [
            {
                "external_ids": {"": "S1"},
                "type": "blood",
                "sequencing_groups": [{"assays": [sequencing_assay("gs://b/x.fq")]}],
            }
        ],
    )
    sg = api.ok("GET", f"/sequencing-group/{s['sequencing_groups'][0]['id']}")
    assert (sg["type"], sg["technology"], sg["platform"]) == ("genome", "short-read", "illumina")
    clash = api.call(
        "PUT",
        "/sample/proj/upsert-many",
        json=[
            {
                "external_ids": {"": "S2"},
                "type": "blood",
                "sequencing_groups": [{"type": "exome", "assays": [sequencing_assay("gs://b/y.fq")]}],
            }
        ],
    )
    assert clash.status_code == 400
    assert "sequencing_type 'genome'" in clash.json()["description"]


def test_nested_samples_record_parent_and_root(api: Api) -> None:
    api.project()
    [root] = upsert(
        api,
        [
            {
                "external_ids": {"": "ROOT"},
                "type": "blood",
                "nested_samples": [
                    {
                        "external_ids": {"": "CHILD"},
                        "type": "blood",
                        "nested_samples": [{"external_ids": {"": "GRANDCHILD"}, "type": "blood"}],
                    }
                ],
            }
        ],
    )
    child = root["nested_samples"][0]
    grandchild = child["nested_samples"][0]
    read = api.ok("GET", f"/sample/{grandchild['id']}")
    assert read["sample_parent_id"] == child["id"] and read["sample_root_id"] == root["id"]
    assert api.ok("GET", f"/sample/{child['id']}")["sample_root_id"] == root["id"]


def test_id_maps_both_ways_and_lookups(api: Api) -> None:
    api.project()
    created = upsert(api, [sample_with_group("S1"), sample_with_group("S2")])
    ids = {s["external_ids"][""]: s["id"] for s in created}
    assert api.ok("POST", "/sample/proj/id-map/external", json=["S1", "S2"]) == ids
    missing = api.call("POST", "/sample/proj/id-map/external", json=["S1", "NOPE"])
    assert missing.status_code == 404 and "NOPE" in missing.json()["description"]
    assert api.ok(
        "POST", "/sample/proj/id-map/external", params={"allow_missing": True}, json=["S1", "NOPE"]
    ) == {"S1": ids["S1"]}
    assert api.ok("POST", "/sample/id-map/internal", json=list(ids.values())) == {
        v: k for k, v in ids.items()
    }
    assert api.ok("GET", "/sample/proj/id-map/internal/all") == {v: k for k, v in ids.items()}
    assert api.ok("GET", "/sample/proj/S2/details")["id"] == ids["S2"]


def test_get_samples_by_criteria_filters_meta_participants_and_active(api: Api) -> None:
    api.project()
    [p] = api.ok(
        "PUT",
        "/participant/proj/upsert-many",
        json=[
            {
                "external_ids": {"": "P1"},
                "samples": [{"external_ids": {"": "S1"}, "type": "blood", "meta": {"batch": 1}}],
            }
        ],
    )
    upsert(
        api,
        [
            {"external_ids": {"": "S2"}, "type": "saliva", "meta": {"batch": 2}},
            {"external_ids": {"": "S3"}, "type": "blood", "meta": {"batch": 2}, "active": False},
        ],
    )

    def eids(criteria: dict[str, Any]) -> list[str]:
        return [
            s["external_ids"][""]
            for s in api.ok("POST", "/sample/", json={"project_ids": ["proj"], **criteria})
        ]

    assert eids({}) == ["S1", "S2"]
    assert eids({"meta": {"batch": 2}}) == ["S2"]
    assert eids({"meta": {"batch": 2}, "active": False}) == ["S3"]
    assert eids({"participant_ids": [p["id"]]}) == ["S1"]


META_FILTER_CASES: list[tuple[dict[str, Any], list[str]]] = [
    ({"batch": "B07"}, ["S1", "S4"]),
    ({"batch": "b07"}, ["S3"]),  # text is compared exactly
    ({"n": 1}, ["S1", "S3"]),  # 1 == 1.0
    ({"n": "1"}, ["S2"]),  # the text "1" is not the number 1
    ({"flag": True}, ["S1", "S2"]),  # true == 1
    ({"nested": {"k": "v"}}, ["S1"]),  # objects compare whole
    ({"nested": {"eq": "v"}}, []),  # an operator-shaped value is a value
    ({"nested.k": "w"}, ["S2"]),  # a dotted key reaches into objects...
    ({"a.b": "lit"}, ["S1"]),  # ...or names a top-level key with dots
    ({"a.b": "path"}, ["S2"]),
    ({"tags": ["x", "y"]}, ["S3"]),
    ({'quote"key': "q"}, ["S3"]),
    ({"uni": "ключ ✓"}, ["S4"]),
    ({"batch": "B07", "n": 1}, ["S1"]),
    ({"missing": None}, []),
    ({"batch": None}, []),
]


def test_rest_meta_filter_is_equality_of_json_values(api: Api) -> None:
    """The REST meta filter keeps its own semantics (Python equality of JSON values, dotted keys), on both
    databases, whatever part of it the database narrows."""
    api.project()
    metas = {
        "S1": {"batch": "B07", "n": 1, "flag": True, "nested": {"k": "v"}, "a.b": "lit"},
        "S2": {"batch": "B08", "n": "1", "flag": 1, "nested": {"k": "w"}, "a": {"b": "path"}},
        "S3": {"batch": "b07", "n": 1.0, "tags": ["x", "y"], 'quote"key': "q"},
        "S4": {"batch": "B07", "uni": "ключ ✓"},
        "S5": {},
    }
    upsert(api, [{"external_ids": {"": eid}, "type": "blood", "meta": meta} for eid, meta in metas.items()])
    for meta, expected in META_FILTER_CASES:
        found = api.ok("POST", "/sample/", json={"project_ids": ["proj"], "meta": meta})
        assert [s["external_ids"][""] for s in found] == expected, meta


def test_create_sample_and_assay_routes(api: Api) -> None:
    api.project()
    sample_id = api.ok("PUT", "/sample/proj/", json={"external_ids": {"": "S1"}, "type": "blood"})
    assay_id = api.ok(
        "PUT",
        "/assay/",
        json={**sequencing_assay("gs://b/a.fq"), "sample_id": sample_id, "external_ids": {"": "A1"}},
    )
    assert api.ok("GET", f"/assay/{assay_id}/details")["sample_id"] == sample_id
    assert api.ok("GET", "/assay/proj/external_id/A1/details")["id"] == assay_id
    api.ok("PATCH", "/assay/", json={"id": assay_id, "meta": {"batch": 7}})
    assay = api.ok("GET", f"/assay/{assay_id}/details")
    assert assay["meta"]["batch"] == 7 and assay["meta"]["sequencing_type"] == "genome"
    found = api.ok("POST", "/assay/criteria", json={"projects": ["proj"], "assay_meta": {"batch": 7}})
    assert [a["id"] for a in found] == [assay_id]


def test_a_sample_cannot_be_nested_inside_itself_or_its_descendants(api: Api) -> None:
    api.project()
    [root] = upsert(
        api,
        [
            {
                "external_ids": {"": "R"},
                "type": "blood",
                "nested_samples": [{"external_ids": {"": "C"}, "type": "blood"}],
            }
        ],
    )
    child = root["nested_samples"][0]
    for body in (
        [{"id": root["id"], "nested_samples": [{"id": root["id"]}]}],
        [{"id": child["id"], "nested_samples": [{"id": root["id"]}]}],
    ):
        refused = api.call("PUT", "/sample/proj/upsert-many", json=body)
        assert refused.status_code == 400 and "nested inside itself" in refused.json()["description"]
    assert api.ok("GET", f"/sample/{root['id']}")["sample_parent_id"] is None
