"""The published metamist client's analysis operations that read across a project's analyses: the sequencing
groups without an analysis type, seqr's CRAM paths and the CRAM proportionate map."""

from __future__ import annotations

from typing import Any

from tests.metadata.client_calls import (
    Served,
    body_of,
    model,
    op,
    refused,
)
from tests.metadata.support import sample_with_group, sequencing_assay


def exome_sample(external_id: str) -> dict[str, Any]:
    sample = sample_with_group(external_id)
    [group] = sample["sequencing_groups"]
    group["type"] = "exome"
    group["assays"] = [sequencing_assay(f"gs://b/{external_id}_1.fq.gz", sequencing_type="exome")]
    return sample


def analysis(sgs: list[str], type_: str, completed: str | None, **fields: Any) -> dict[str, Any]:
    body = {"type": type_, "status": "completed" if completed else "queued", "sequencing_group_ids": sgs}
    if completed:
        body["timestamp_completed"] = completed
    return {**body, **fields}


def seed(served: Served) -> dict[str, str]:
    """proj: P1 (S1, genome: two CRAMs), P2 (S2, exome: one CRAM), S3 without a participant (a queued and
    an inactive CRAM); other: O1 (one CRAM, joint-called before 2024-02-01); seqr indices in proj."""
    api = served.api
    api.project("proj", {"owner": ["reader", "writer"], "reader": ["reader"]})
    api.project("other", {"owner": ["reader", "writer"], "outsider": ["reader"]})
    people = api.ok(
        "PUT",
        "/participant/proj/upsert-many",
        json=[
            {"external_ids": {"": "P1"}, "samples": [sample_with_group("S1")]},
            {"external_ids": {"": "P2"}, "samples": [exome_sample("S2")]},
        ],
    )
    s3 = api.ok("PUT", "/sample/proj/upsert-many", json=[sample_with_group("S3")])[0]
    o1 = api.ok("PUT", "/sample/other/upsert-many", json=[sample_with_group("O1")])[0]
    samples = {"S1": people[0]["samples"][0], "S2": people[1]["samples"][0], "S3": s3, "O1": o1}
    ids = {name: sample["id"] for name, sample in samples.items()}
    sg = {name: sample["sequencing_groups"][0]["id"] for name, sample in samples.items()}
    served.set_created(
        {
            ids["S1"]: "2024-01-15T10:00:00+00:00",
            ids["S2"]: "2024-02-20T10:00:00+00:00",
            ids["S3"]: "2024-02-21T10:00:00+00:00",
            ids["O1"]: "2024-03-05T10:00:00+00:00",
        }
    )
    crams = [
        ("proj", [sg["S1"]], "2024-03-01T12:00:00+00:00", {"size": 100, "sequencing_type": "genome"}, "a"),
        ("proj", [sg["S1"]], "2024-06-01T12:00:00+00:00", {"size": 150, "sequencing_type": "genome"}, "b"),
        ("proj", [sg["S2"]], "2024-03-10T12:00:00+00:00", {"size": 300, "sequencing_type": "exome"}, "c"),
        ("other", [sg["O1"]], "2024-04-01T12:00:00+00:00", {"size": 1000, "sequencing_type": "genome"}, "d"),
    ]
    for project, sgs, completed, meta, name in crams:
        api.ok(
            "PUT",
            f"/analysis/{project}/",
            json=analysis(sgs, "cram", completed, meta=meta, output=f"gs://cram/{name}.cram"),
        )
    api.ok("PUT", "/analysis/proj/", json=analysis([sg["S3"]], "cram", None, meta={"size": 5}))
    api.ok(
        "PUT",
        "/analysis/proj/",
        json=analysis([sg["S3"]], "es-index", "2024-05-01T00:00:00+00:00", active=False),
    )
    api.ok("PUT", "/analysis/other/", json=analysis([sg["O1"]], "joint-calling", "2024-01-20T00:00:00+00:00"))
    api.ok("PUT", "/analysis/proj/", json=analysis([sg["S1"]], "es-index", "2024-04-10T08:00:00+00:00"))
    api.ok(
        "PUT", "/analysis/proj/", json=analysis([sg["S1"], sg["S2"]], "es-index", "2024-07-01T08:00:00+00:00")
    )
    return sg


def proportions(answer: list[dict[str, Any]]) -> list[tuple[str, dict[str, tuple[int, float]]]]:
    return [
        (str(day["date"]), {p["project"]: (p["size"], round(p["percentage"], 4)) for p in day["projects"]})
        for day in answer
    ]


def test_sequencing_groups_without_an_analysis_type_and_seqr_cram_paths(served: Served) -> None:
    sg = seed(served)
    tsv = model("ExportType", "tsv")
    answers = served.calls(
        op(
            "owner",
            "AnalysisApi",
            "get_all_sample_ids_without_analysis_type",
            project="proj",
            analysis_type="cram",
        ),
        op(
            "owner",
            "AnalysisApi",
            "get_all_sample_ids_without_analysis_type",
            project="proj",
            analysis_type="web",
        ),
        op("reader", "AnalysisApi", "get_samples_reads_map", project="proj"),
        op("reader", "SeqrApi", "get_samples_reads_map", project="proj", sequencing_types=["exome"]),
        op("owner", "AnalysisApi", "get_samples_reads_map", raw=True, project="proj", export_type=tsv),
        op(
            "outsider",
            "AnalysisApi",
            "get_all_sample_ids_without_analysis_type",
            project="proj",
            analysis_type="cram",
        ),
        op("outsider", "AnalysisApi", "get_samples_reads_map", project="proj"),
        op("outsider", "AnalysisApi", "get_samples_reads_map", project="nowhere"),
    )
    without_cram, without_web, paths, exome, text, *outsider = answers

    # S3's queued CRAM counts (it is active), its inactive es-index does not; O1 is another project's
    assert without_cram["result"] == {"sequencing_group_ids": []}
    assert without_web["result"] == {
        "sequencing_group_ids": sorted([sg["S1"], sg["S2"], sg["S3"]], key=lambda i: int(i[3:]))
    }

    # active completed CRAMs of samples with participants, the most recently completed first
    assert [(p["participant_id"], p["output"], p["sequencing_group_id"]) for p in paths["result"]] == [
        ("P1", "gs://cram/b.cram", sg["S1"]),
        ("P2", "gs://cram/c.cram", sg["S2"]),
        ("P1", "gs://cram/a.cram", sg["S1"]),
    ]
    assert paths["result"][0]["outputs"]["basename"] == "b.cram"
    assert [p["output"] for p in exome["result"]] == ["gs://cram/c.cram"]
    assert text["headers"]["content-type"].startswith("text/tab-separated-values")
    lines = body_of(text).decode().splitlines()
    assert lines == [
        f"P1\tgs://cram/b.cram\t{sg['S1']}",
        f"P2\tgs://cram/c.cram\t{sg['S2']}",
        f"P1\tgs://cram/a.cram\t{sg['S1']}",
    ]

    # a project the caller holds no role on does not exist for it
    for answer in outsider:
        refused(answer, 404, "not found")


def test_cram_proportionate_map_by_sample_creation_and_seqr_index(served: Served) -> None:
    seed(served)
    both = ["proj", "other"]

    def query(
        user: str, start: str, projects: list[str], methods: list[str], end: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        body = model(
            "BodyGetProportionateMap",
            projects=projects,
            temporal_methods=[model("ProportionalDateTemporalMethod", m) for m in methods],
            **extra,
        )
        kwargs: dict[str, Any] = {"start": start, "body_get_proportionate_map": body}
        if end:
            kwargs["end"] = end
        return op(user, "AnalysisApi", "get_proportionate_map", **kwargs)

    answers = served.calls(
        query("owner", "2024-02-01", both, ["SAMPLE_CREATE_DATE", "ES_INDEX_DATE"], end="2024-12-31"),
        query("owner", "2024-02-01", both, ["SAMPLE_CREATE_DATE"], sequencing_types=["genome"]),
        query("owner", "2024-02-01", both, ["SAMPLE_CREATE_DATE"], end="2024-05-31"),
        query("outsider", "2024-02-01", ["other"], ["ES_INDEX_DATE"]),
        query("outsider", "2024-02-01", both, ["SAMPLE_CREATE_DATE"]),
        query("owner", "2019-12-31", both, ["SAMPLE_CREATE_DATE"]),
        query("owner", "2024-02-01", both, ["SAMPLE_CREATE_DATE"], end="2024-01-01"),
        query("owner", "01/02/2024", both, ["SAMPLE_CREATE_DATE"]),
    )
    full, genome, until_may, outsider_other, outsider_both, too_early, backwards, bad_date = answers

    # S1 counts from 2024-02-01 (created before the start), its second CRAM adds 50 on its completion day
    assert proportions(full["result"]["SAMPLE_CREATE_DATE"]) == [
        ("2024-02-01", {"proj": (100, 1.0)}),
        ("2024-02-20", {"proj": (400, 1.0)}),
        ("2024-03-05", {"proj": (400, 0.2857), "other": (1000, 0.7143)}),
        ("2024-06-01", {"proj": (450, 0.3103), "other": (1000, 0.6897)}),
    ]
    # O1 was joint-called before the start; S1 is indexed on 04-10 (its first CRAM's size), S2 on 07-01;
    # S3, in an (inactive) index on 05-01, has no completed CRAM to count
    assert proportions(full["result"]["ES_INDEX_DATE"]) == [
        ("2024-02-01", {"other": (1000, 1.0)}),
        ("2024-04-10", {"other": (1000, 0.9091), "proj": (100, 0.0909)}),
        ("2024-05-01", {"other": (1000, 0.9091), "proj": (100, 0.0909)}),
        ("2024-07-01", {"other": (1000, 0.6897), "proj": (450, 0.3103)}),
    ]
    assert proportions(genome["result"]["SAMPLE_CREATE_DATE"]) == [
        ("2024-02-01", {"proj": (100, 1.0)}),
        ("2024-03-05", {"proj": (100, 0.0909), "other": (1000, 0.9091)}),
        ("2024-06-01", {"proj": (150, 0.1304), "other": (1000, 0.8696)}),
    ]
    assert [day for day, _ in proportions(until_may["result"]["SAMPLE_CREATE_DATE"])] == [
        "2024-02-01",
        "2024-02-20",
        "2024-03-05",
    ]
    assert proportions(outsider_other["result"]["ES_INDEX_DATE"]) == [("2024-02-01", {"other": (1000, 1.0)})]
    refused(outsider_both, 404, "'proj' not found")
    refused(too_early, 400, "2020-01-01")
    refused(backwards, 400, "end")
    refused(bad_date, 400, "YYYY-MM-DD")
