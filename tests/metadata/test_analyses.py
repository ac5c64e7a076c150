from typing import Any

from tests.metadata.support import Api, assert_rejected, sample_with_group


def setup_groups(api: Api) -> list[str]:
    api.project()
    created = api.ok(
        "PUT", "/sample/proj/upsert-many", json=[sample_with_group("S1"), sample_with_group("S2")]
    )
    return [s["sequencing_groups"][0]["id"] for s in created]


def create(api: Api, sg_ids: list[str], **fields: Any) -> int:
    body = {"type": "web", "status": "queued", "sequencing_group_ids": sg_ids, "meta": {}, **fields}
    analysis_id: int = api.ok("PUT", "/analysis/proj/", json=body)
    return analysis_id


def test_create_update_and_details(api: Api) -> None:
    sg1, _ = setup_groups(api)
    analysis_id = create(
        api, [sg1], output="gs://web/S1.html", meta={"display_url": "http://w/S1.html"}, author="pipeline"
    )
    details = api.ok("GET", f"/analysis/{analysis_id}/details")
    assert details["status"] == "queued" and details["timestamp_completed"] is None
    assert details["author"] == "pipeline" and details["sequencing_group_ids"] == [sg1]
    assert details["outputs"]["basename"] == "S1.html" and details["outputs"]["nameext"] == ".html"
    assert (
        api.ok("PATCH", f"/analysis/{analysis_id}/", json={"meta": {"size": 10}}) is True
    )  # no status needed
    api.ok("PATCH", f"/analysis/{analysis_id}/", json={"status": "completed"})
    details = api.ok("GET", f"/analysis/{analysis_id}/details")
    assert details["status"] == "completed" and details["timestamp_completed"]
    assert details["meta"] == {"display_url": "http://w/S1.html", "size": 10}


def test_explicit_timestamp_completed_is_kept(api: Api) -> None:
    sg1, _ = setup_groups(api)
    analysis_id = create(api, [sg1], status="completed", timestamp_completed="2024-01-02T03:04:05+00:00")
    # in UTC without a zone, to the second, as Metamist's naive DATETIMEs
    assert api.ok("GET", f"/analysis/{analysis_id}/details")["timestamp_completed"] == "2024-01-02T03:04:05"
    shifted = create(api, [sg1], status="completed", timestamp_completed="2024-01-02T13:04:05.25+10:00")
    assert api.ok("GET", f"/analysis/{shifted}/details")["timestamp_completed"] == "2024-01-02T03:04:05"


def test_query_incomplete_and_latest_complete(api: Api) -> None:
    sg1, sg2 = setup_groups(api)
    old = create(
        api,
        [sg1],
        type="qc",
        status="completed",
        timestamp_completed="2024-01-01T00:00:00+00:00",
        meta={"tool": "fastqe"},
    )
    new = create(
        api,
        [sg2],
        type="qc",
        status="completed",
        timestamp_completed="2024-06-01T00:00:00+00:00",
        meta={"tool": "other"},
    )
    queued = create(api, [sg1, sg2], type="qc")
    create(api, [sg2], type="web", status="failed")

    def ids(query: dict[str, Any]) -> list[int]:
        return [a["id"] for a in api.ok("POST", "/analysis/query", json={"projects": ["proj"], **query})]

    assert ids({"type": "qc"}) == [old, new, queued]
    assert ids({"sequencing_group_ids": [sg1]}) == [old, queued]
    assert ids({"status": "completed", "meta": {"tool": "fastqe"}}) == [old]
    assert [a["id"] for a in api.ok("GET", "/analysis/proj/incomplete")] == [queued]
    assert api.ok("GET", "/analysis/proj/qc/latest-complete")["id"] == new
    assert api.ok("POST", "/analysis/proj/qc/latest-complete", json={"meta": {"tool": "fastqe"}})["id"] == old
    # none of the type (or none matching the meta): Metamist's 404
    assert_rejected(
        api.call("GET", "/analysis/proj/cram/latest-complete"), 404, "any analysis with type cram"
    )
    missing = api.call("POST", "/analysis/proj/qc/latest-complete", json={"meta": {"tool": "none"}})
    assert_rejected(missing, 404, "type qc")
    api.ok("PATCH", f"/analysis/{new}/", json={"active": False})
    assert api.ok("GET", "/analysis/proj/qc/latest-complete")["id"] == old


def test_analysis_runner_records_are_created_listed_and_annotated(api: Api) -> None:
    api.project(members={"runner": ["contributor"]})
    params = {
        "ar_guid": "b6f5",
        "access_level": "test",
        "repository": "genolog",
        "commit": "abc123",
        "script": "python3 run.py",
        "description": "QC",
        "driver_image": "genolog/driver:1",
        "config_path": "/tmp/c.toml",
        "environment": "local",
        "batch_url": "file:///tmp/run",
        "submitting_user": "runner",
        "output_path": "proj/qc",
    }
    assert (
        api.ok("PUT", "/analysis-runner/proj-test/", user="runner", params=params, json={"k": "v"}) == "b6f5"
    )
    duplicate = api.call("PUT", "/analysis-runner/proj-test/", user="runner", params=params, json={})
    assert duplicate.status_code == 409
    standard = api.call(
        "PUT",
        "/analysis-runner/proj/",
        user="runner",
        params={**params, "ar_guid": "c7", "access_level": "standard"},
        json={},
    )
    assert standard.status_code == 403  # standard access needs writer
    api.ok(
        "PATCH", "/analysis-runner/b6f5/meta", user="runner", json={"status": "succeeded", "duration_s": 3.5}
    )
    [record] = api.ok("GET", "/analysis-runner/proj-test/", params={"submitting_user": "runner"})
    assert record["commit"] == "abc123" and record["project"] == "proj-test"
    # Metamist's record holds text meta values (its client's model refuses others): 3.5 is shown as text
    assert record["meta"] == {"k": "v", "status": "succeeded", "duration_s": "3.5"}
    assert api.ok("GET", "/analysis/analysis-runner", params={"ar_guid": "b6f5"})[0]["ar_guid"] == "b6f5"
    [run] = api.ok("GET", "/analysis-runner/runs", params={"ar_guid": "b6f5"})
    assert run["meta"] == {"k": "v", "status": "succeeded", "duration_s": 3.5} and run["status"] == "unknown"
