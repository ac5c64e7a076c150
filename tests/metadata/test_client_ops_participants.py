"""The published metamist client's participant operations: the Parquet export, participants for orphan
samples, seqr's participant-to-sequencing-group map and individual metadata sheet, moving a participant
between families."""

from __future__ import annotations

from typing import Any

from tests.metadata.client_calls import (
    Served,
    body_of,
    model,
    op,
    parquet,
    refused,
)
from tests.metadata.support import sample_with_group
from tests.metadata.test_client_ops_analyses import exome_sample

TRIO = "FAM1\tP1\t0\t0\t1\t1\nFAM1\tP2\t0\t0\t2\t2\nFAM2\tP9\t0\t0\t1\t1\n"


def seed(served: Served) -> dict[str, Any]:
    """proj: P1 (two external ids, S1 genome) and P2 (S2 exome) with metas, in FAM1 (P9 in FAM2); samples
    without a participant: S3 (two external ids) and S4 (named like P2); P1 has seqr phenotypes."""
    api = served.api
    api.project("proj", {"owner": ["reader", "writer"], "reader": ["reader"]})
    api.project("other", {"owner": ["reader", "writer"], "outsider": ["reader", "writer"]})
    people = api.ok(
        "PUT",
        "/participant/proj/upsert-many",
        json=[
            {
                "external_ids": {"": "P1", "seqr": "SP1"},
                "reported_sex": 1,
                "meta": {"cohort": "c1", "age": 30},
                "phenotypes": {"HPO Terms (present)": "HP:0000001", "Age of Onset": "Adult onset"},
                "samples": [sample_with_group("S1")],
            },
            {
                "external_ids": {"": "P2"},
                "karyotype": "XX",
                "meta": {"cohort": "c2", "age": 41.5, "nested": {"k": "v"}},
                "samples": [exome_sample("S2")],
            },
        ],
    )
    orphans = api.ok(
        "PUT",
        "/sample/proj/upsert-many",
        json=[{**sample_with_group("S3"), "external_ids": {"": "S3", "kccg": "K3"}}, sample_with_group("P2")],
    )
    api.ok(
        "POST",
        "/family/proj/pedigree",
        params={"create_missing_participants": True},
        files={"file": ("trio.ped", TRIO)},
    )
    families = {f["external_ids"][""]: f["id"] for f in api.ok("GET", "/family/proj/")}
    return {
        "P1": people[0]["id"],
        "P2": people[1]["id"],
        "sg1": people[0]["samples"][0]["sequencing_groups"][0]["id"],
        "sg2": people[1]["samples"][0]["sequencing_groups"][0]["id"],
        "sg3": orphans[0]["sequencing_groups"][0]["id"],
        "sg4": orphans[1]["sequencing_groups"][0]["id"],
        **families,
    }


def test_participant_table_export_and_participants_for_orphan_samples(served: Served) -> None:
    ids = seed(served)
    before, fill, again, after, *refusals = served.calls(
        op("reader", "ParticipantApi", "export_participants", raw=True, project="proj"),
        op("owner", "ParticipantApi", "fill_in_missing_participants", project="proj"),
        op("owner", "ParticipantApi", "fill_in_missing_participants", project="proj"),
        op("reader", "ParticipantApi", "export_participants", raw=True, project="proj"),
        op("outsider", "ParticipantApi", "export_participants", raw=True, project="proj"),
        op("outsider", "ParticipantApi", "fill_in_missing_participants", project="proj"),
        op("reader", "ParticipantApi", "fill_in_missing_participants", project="proj"),
        op("owner", "ParticipantApi", "export_participants", raw=True, project="other"),
    )

    table = parquet(before)
    assert table.column_names == [
        "participant_id",
        "reported_sex",
        "reported_gender",
        "karyotype",
        "external_id",
        "external_id_seqr",
        "meta_age",
        "meta_cohort",
        "meta_nested",
    ]
    assert str(table.schema.field("meta_age").type) == "double"  # 30 and 41.5
    rows = {r["external_id"]: r for r in table.to_pylist()}
    assert rows["P1"] == {
        "participant_id": ids["P1"],
        "reported_sex": 1,
        "reported_gender": None,
        "karyotype": None,
        "external_id": "P1",
        "external_id_seqr": "SP1",
        "meta_cohort": "c1",
        "meta_age": 30.0,
        "meta_nested": None,
    }
    assert rows["P2"]["meta_nested"] == {"k": "v"} and rows["P2"]["karyotype"] == "XX"
    assert set(rows) == {"P1", "P2", "P9"}  # P9 from the pedigree
    assert before["headers"]["content-disposition"] == 'attachment; filename="participant_table.parquet"'

    # S3 gets a new participant with its external ids; S4, named P2, joins P2
    assert fill["result"] == {"success": "Updated 2 records"}
    assert again["result"] == {"success": "0 participants updated"}
    rows = {r["external_id"]: r for r in parquet(after).to_pylist()}
    assert set(rows) == {"P1", "P2", "P9", "S3"} and rows["S3"]["external_id_kccg"] == "K3"
    samples = served.api.ok("POST", "/sample/", json={"project_ids": ["proj"]})
    owners = {s["external_ids"][""]: s["participant_id"] for s in samples}
    assert owners["P2"] == ids["P2"] and owners["S3"] == rows["S3"]["participant_id"]

    outsider_export, outsider_fill, reader_fill, empty = refusals
    refused(outsider_export, 404, "'proj' not found")
    refused(outsider_fill, 404, "'proj' not found")
    refused(reader_fill, 403)
    refused(empty, 404, "no participants")


def test_seqr_participant_maps_and_individual_metadata(served: Served) -> None:
    ids = seed(served)
    tsv, csv = model("ExportType", "tsv"), model("ExportType", "csv")
    answers = served.calls(
        op("reader", "ParticipantApi", "get_external_participant_id_to_sequencing_group_id", project="proj"),
        op(
            "reader",
            "SeqrApi",
            "get_external_participant_id_to_sequencing_group_id",
            project="proj",
            sequencing_type="genome",
            flip_columns=True,
        ),
        op(
            "reader",
            "ParticipantApi",
            "get_external_participant_id_to_sequencing_group_id",
            raw=True,
            project="proj",
            sequencing_type="exome",
            export_type=tsv,
        ),
        op("reader", "ParticipantApi", "get_individual_metadata_for_seqr", project="proj"),
        op(
            "reader",
            "SeqrApi",
            "get_individual_metadata_for_seqr",
            project="proj",
            replace_with_participant_external_ids=False,
        ),
        op(
            "reader",
            "ParticipantApi",
            "get_individual_metadata_for_seqr",
            project="proj",
            external_participant_ids=["P2"],
        ),
        op(
            "reader",
            "ParticipantApi",
            "get_individual_metadata_for_seqr",
            raw=True,
            project="proj",
            export_type=csv,
        ),
        op(
            "reader",
            "ParticipantApi",
            "get_individual_metadata_for_seqr",
            project="proj",
            external_participant_ids=["NOPE"],
        ),
        op(
            "outsider", "ParticipantApi", "get_external_participant_id_to_sequencing_group_id", project="proj"
        ),
        op("outsider", "ParticipantApi", "get_individual_metadata_for_seqr", project="proj"),
    )
    pairs, flipped, exome_tsv, sheet, by_id, only_p2, sheet_csv, unknown, *outsider = answers

    # a pair per external id (of any organisation) and sequencing group; samples without participants absent
    assert sorted(map(tuple, pairs["result"])) == sorted(
        [("P1", ids["sg1"]), ("SP1", ids["sg1"]), ("P2", ids["sg2"])]
    )
    assert sorted(map(tuple, flipped["result"])) == sorted([(ids["sg1"], "P1"), (ids["sg1"], "SP1")])
    assert body_of(exome_tsv).decode() == f"P2\t{ids['sg2']}\n"
    assert "participant-to-sequencing-group-map" in exome_tsv["headers"]["content-disposition"]

    assert sheet["result"]["rows"] == [
        {
            "individual_id": "P1",
            "family_id": "FAM1",
            "hpo_terms_present": "HP:0000001",
            "age_of_onset": "Adult onset",
        }
    ]
    assert sheet["result"]["headers"] == ["family_id", "individual_id", "hpo_terms_present", "age_of_onset"]
    assert sheet["result"]["header_map"]["hpo_terms_present"] == "HPO Terms (present)"
    assert by_id["result"]["rows"][0]["individual_id"] == str(ids["P1"])
    assert only_p2["result"]["rows"] == []  # P2 has no phenotypes (the client sends the list as its text)
    assert body_of(sheet_csv).decode().splitlines() == [
        "Family ID,Individual ID,HPO Terms (present),Age of Onset",
        "FAM1,P1,HP:0000001,Adult onset",
    ]
    refused(unknown, 404, "NOPE")
    for answer in outsider:
        refused(answer, 404, "'proj' not found")


def test_moving_a_participant_to_another_family(served: Served) -> None:
    ids = seed(served)
    before = served.rows()
    move = op(
        "owner",
        "ParticipantApi",
        "update_participant_family",
        participant_id=ids["P2"],
        old_family_id=ids["FAM1"],
        new_family_id=ids["FAM2"],
    )
    (
        outsider,
        reader,
        wrong_family,
    ) = served.calls(
        {**move, "as": "outsider"},
        {**move, "as": "reader"},
        {**move, "kwargs": {**move["kwargs"], "old_family_id": ids["FAM2"]}},
    )
    refused(outsider, 404, f"Participant {ids['P2']} not found")
    refused(reader, 403)
    refused(wrong_family, 400, "not in family")
    assert served.rows() == before

    [moved] = served.calls(move)
    assert moved["result"] == [ids["FAM2"], ids["P2"]]
    pedigree = {r["individual_id"]: r for r in served.api.ok("GET", "/family/proj/pedigree")}
    assert pedigree["P2"]["family_id"] == "FAM2" and pedigree["P2"]["affected"] == 2  # kept
    history = served.api.ok("GET", f"/family/{ids['FAM2']}/history")
    assert [p["participant_id"] for p in history[-1]["new"]["participants"]] == sorted(
        [ids["P2"], served.api.ok("POST", "/participant/proj/id-map/external", json=["P9"])["P9"]]
    )
