from tests.metadata.support import Api, sample_with_group


def test_upsert_participants_with_samples_then_update_and_query(api: Api) -> None:
    api.project()
    created = api.ok(
        "PUT",
        "/participant/proj/upsert-many",
        json=[
            {
                "external_ids": {"": "P1"},
                "reported_sex": 2,
                "karyotype": "XX",
                "meta": {"a": 1},
                "samples": [sample_with_group("S1")],
            },
            {"external_ids": {"": "P2", "lab": "L2"}, "phenotypes": {"hpo": ["HP:0000118"]}},
        ],
    )
    p1, p2 = created
    assert p1["samples"][0]["sequencing_groups"][0]["id"].startswith("CPG")
    assert api.ok("POST", "/participant/proj/id-map/external", json=["P1", "L2"]) == {
        "P1": p1["id"],
        "L2": p2["id"],
    }
    api.ok(
        "POST",
        f"/participant/{p1['id']}/update-participant",
        json={"meta": {"b": 2}, "reported_gender": "female"},
    )
    [read] = api.ok("POST", "/participant/proj", json={"internal_participant_ids": [p1["id"]]})
    assert (
        read["meta"] == {"a": 1, "b": 2} and read["reported_gender"] == "female" and read["reported_sex"] == 2
    )
    [read2] = api.ok("POST", "/participant/proj", json={"external_participant_ids": ["P2"]})
    assert read2["phenotypes"] == {"hpo": ["HP:0000118"]}
    samples = api.ok("POST", "/sample/", json={"project_ids": ["proj"], "participant_ids": [p1["id"]]})
    assert [s["external_ids"] for s in samples] == [{"": "S1"}]


def test_update_many_sets_primary_external_ids(api: Api) -> None:
    api.project()
    [p] = api.ok("PUT", "/participant/proj/upsert-many", json=[{"external_ids": {"": "OLD"}}])
    assert api.ok("POST", "/participant/update-many", json={str(p["id"]): "NEW"}) is True
    assert api.ok("POST", "/participant/proj/id-map/external", json=["NEW"]) == {"NEW": p["id"]}
    gone = api.call("POST", "/participant/proj/id-map/external", json=["OLD"])
    assert gone.status_code == 404


def test_phenotype_values_may_be_bare_json_numbers(api: Api) -> None:
    """SQLite keeps a bare JSON number in a JSON column as a number, not text; it must still read back."""
    api.project()
    values = {"age": 42, "bmi": 21.5, "zero": 0, "negative": -3, "flag": True, "text": "7"}
    [created] = api.ok("PUT", "/participant/proj/upsert-many", json=[{"external_ids": {"": "P1"}}])
    updated = api.ok("POST", f"/participant/{created['id']}/update-participant", json={"phenotypes": values})
    assert updated["success"]["phenotypes"] == values
    [read] = api.ok("POST", "/participant/proj", json={})
    assert read["phenotypes"] == values
    history = api.ok("GET", f"/participant/{created['id']}/history")
    assert history[-1]["new"]["phenotypes"] == values


def test_the_participant_grid_pages_the_same_from_either_end(api: Api) -> None:
    """Pages in the grid's second half are read backwards from its end: every page is the slice of the
    whole list in id order, whichever end it is nearer."""
    api.project()
    api.ok(
        "PUT", "/participant/proj/upsert-many", json=[{"external_ids": {"": f"P{i:02d}"}} for i in range(11)]
    )

    def page(skip: int, limit: int) -> list[int]:
        found = api.ok("POST", "/web/proj/participants", params={"limit": limit, "skip": skip}, json={})
        assert found["total_results"] == 11
        return [participant["id"] for participant in found["participants"]]

    whole = page(0, 11)
    assert len(whole) == 11 and whole == sorted(whole)
    for skip in range(13):
        assert page(skip, 4) == whole[skip : skip + 4], skip
