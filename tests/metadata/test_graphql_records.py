"""GraphQL records about the data: analysis-runner logs and audit-log entries; the fast executor answers
them, and cohort queries, as strawberry does."""

from __future__ import annotations

from typing import Any

import orjson

from tests.metadata.support import Api, is_naive_utc, sample_with_group
from tests.metadata.test_graphql import data, gql
from tests.metadata.test_graphql_fast import run_both

RUN = {
    "ar_guid": "ar-1",
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

RUNNER_FIELDS = """arGuid outputPath timestamp accessLevel repository commit script description driverImage configPath
                   cwd environment hailVersion batchUrl submittingUser meta project { name }"""


def test_analysis_runner_by_guid_and_by_project(api: Api) -> None:
    api.project("proj", members={"runner": ["contributor"], "rita": ["reader"]})
    api.ok("PUT", "/analysis-runner/proj/", params=RUN, json={"k": "v"})
    data(
        api,
        """mutation ($r: AnalysisRunnerInput!) { analysisRunner { createAnalysisRunnerLog(project: "proj", analysisRunner: $r) } }""",
        {
            "r": {
                "arGuid": "ar-2",
                "accessLevel": "standard",
                "repository": "other-repo",
                "commit": "def",
                "script": "x",
                "description": "d",
                "driverImage": "i",
                "configPath": "c",
                "environment": "gcp",
                "batchUrl": "b",
                "submittingUser": "wes",
                "meta": {},
                "outputPath": "o",
            }
        },
    )
    record = data(api, f'{{ analysisRunner(arGuid: "ar-1") {{ {RUNNER_FIELDS} }} }}', user="rita")[
        "analysisRunner"
    ]
    assert record["meta"] == {"k": "v"} and record["project"] == {"name": "proj"}
    assert record["submittingUser"] == "runner" and is_naive_utc(record["timestamp"])
    assert record["cwd"] is None and record["hailVersion"] is None
    missing = gql(api, '{ analysisRunner(arGuid: "nope") { arGuid } }')
    assert "No analysis-runner record" in missing["errors"][0]["message"]
    unreadable = gql(api, '{ analysisRunner(arGuid: "ar-1") { arGuid } }', user="olga")
    assert "No analysis-runner record" in unreadable["errors"][0]["message"]

    project = data(
        api,
        """{ project(name: "proj") { all: analysisRunner { arGuid }
             byAuthor: analysisRunner(author: {eq: "wes"}) { arGuid }
             byRepo: analysisRunner(repository: {eq: "genolog"}, accessLevel: {eq: "test"}) { arGuid }
             byEnv: analysisRunner(environment: {in_: ["gcp"]}, arGuid: {startswith: "ar-"}) { arGuid } } }""",
    )["project"]
    assert sorted(r["arGuid"] for r in project["all"]) == ["ar-1", "ar-2"]
    assert project["byAuthor"] == [{"arGuid": "ar-2"}]
    assert project["byRepo"] == [{"arGuid": "ar-1"}]
    assert project["byEnv"] == [{"arGuid": "ar-2"}]


def test_an_analysis_shows_the_audit_logs_of_its_creation_and_updates(api: Api) -> None:
    api.project("proj", members={"wes": ["writer"]})
    [sample] = api.ok("PUT", "/sample/proj/upsert-many", json=[sample_with_group("S1")])
    sg = sample["sequencing_groups"][0]["id"]
    analysis_id = api.ok(
        "PUT",
        "/analysis/proj/",
        json={"type": "qc", "status": "queued", "sequencing_group_ids": [sg], "meta": {}},
    )
    api.ok("PATCH", f"/analysis/{analysis_id}", user="wes", json={"status": "completed"})
    [analysis] = data(
        api,
        "query ($id: Int!) { analyses(id: {eq: $id}) { status auditLogs { id author timestamp arGuid comment meta } } }",
        {"id": analysis_id},
    )["analyses"]
    logs = analysis["auditLogs"]
    assert analysis["status"] == "COMPLETED"
    assert [log["author"] for log in logs] == ["admin", "wes"]
    assert logs[0]["id"] < logs[1]["id"] and all(log["timestamp"] for log in logs)


def test_a_participant_shows_the_audit_log_of_its_last_write(api: Api) -> None:
    api.project("proj", members={"wes": ["writer"]})
    [p] = api.ok("PUT", "/participant/proj/upsert-many", json=[{"external_ids": {"": "P1"}}])
    first = data(
        api, "query ($id: Int!) { participant(id: $id) { auditLog { id author } } }", {"id": p["id"]}
    )
    assert first["participant"]["auditLog"]["author"] == "admin"
    data(
        api,
        'mutation ($id: Int!) { participant { updateParticipant(participantId: $id, participant: {karyotype: "XY"}) { id } } }',
        {"id": p["id"]},
        user="wes",
    )
    second = data(
        api, "query ($id: Int!) { participant(id: $id) { auditLog { id author } } }", {"id": p["id"]}
    )
    assert second["participant"]["auditLog"]["author"] == "wes"
    assert second["participant"]["auditLog"]["id"] > first["participant"]["auditLog"]["id"]


def test_the_fast_executor_answers_the_new_fields_as_strawberry_does(api: Api) -> None:
    api.project("proj")
    created = api.ok(
        "PUT", "/sample/proj/upsert-many", json=[sample_with_group("S1"), sample_with_group("S2")]
    )
    sg = created[0]["sequencing_groups"][0]["id"]
    api.ok("PUT", "/analysis-runner/proj/", params=RUN, json={"k": 1})
    cohort = data(
        api,
        """mutation { cohort { createCohortFromCriteria(project: "proj", cohortSpec: {name: "c", description: "d"},
             cohortCriteria: {sgType: ["genome"]}) { createdCohort { id } } } }""",
    )["cohort"]["createCohortFromCriteria"]["createdCohort"]
    api.ok(
        "PUT",
        "/analysis/proj/",
        json={
            "type": "qc",
            "status": "completed",
            "cohort_ids": [cohort["id"]],
            "sequencing_group_ids": [sg],
            "meta": {},
        },
    )
    queries: list[tuple[str, dict[str, Any]]] = [
        (
            """{ cohorts(status: {in_: [active, archived]}) { id name description author status
                 template { id name criteria project { name } } sequencingGroups { id sample { externalId } }
                 analyses { id status timestampCompleted auditLogs { author timestamp meta } } project { name } }
               cohortTemplates { id criteria } }""",
            {},
        ),
        (
            f"""{{ analysisRunner(arGuid: "ar-1") {{ {RUNNER_FIELDS} }}
                 project(name: "proj") {{ analysisRunner {{ arGuid timestamp meta }}
                   cohorts(status: {{eq: active}}) {{ id sequencingGroups(activeOnly: {{eq: false}}) {{ id }} }}
                   participants {{ auditLog {{ id author }} }} }} }}""",
            {},
        ),
    ]
    for query, variables in queries:
        fast, full = run_both(api.svc, query, variables)
        assert fast is not None, f"the fast executor should answer {query}"
        assert orjson.loads(orjson.dumps(fast)) == full
        assert full and all(value for value in full.values())
