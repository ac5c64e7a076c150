"""Drives one scenario of ``test_metamist_answers.py`` with the published metamist client; prints what the
client answered as JSON. Each scenario creates its project (argv[2]) and makes the caller (the
server's development user) a member first, as a Metamist user would.

Run with SM_ENVIRONMENT=local and SM_URL set (they are read when metamist is imported).
"""

import datetime
import io
import json
import os
import sys
from collections.abc import Callable
from typing import Any

from metamist.apis import (
    AnalysisApi,
    AnalysisRunnerApi,
    FamilyApi,
    ParticipantApi,
    ProjectApi,
    SampleApi,
    SequencingGroupApi,
)
from metamist.exceptions import ApiException
from metamist.graphql import gql, query
from metamist.models import (
    Analysis,
    AnalysisStatus,
    AssayUpsert,
    BodyGetLatestCompleteAnalysisForTypePost,
    FamilyUpdateModel,
    ParticipantUpsert,
    ProjectMemberUpdate,
    SampleUpsert,
    SequencingGroupUpsert,
)

SCENARIO, PROJECT = sys.argv[1], sys.argv[2]
USER = os.environ.get("METAMIST_USER", "dev")  # the server's local user: genolog's dev user in the tests
SEQUENCING = {
    "sequencing_type": "genome",
    "sequencing_technology": "short-read",
    "sequencing_platform": "illumina",
}


def refusal(call: Callable[[], Any]) -> dict[str, Any]:
    """The status and body of a call the server refuses."""
    try:
        answer = call()
    except ApiException as e:
        return {"status": e.status, "body": json.loads(e.body)}
    return {"status": 200, "answer": answer}


def graphql_error(text: str, variables: dict[str, Any]) -> Any:
    """The GraphQL errors a query is answered with (TransportQueryError carries the first)."""
    try:
        return {"data": query(gql(text), variables=variables)}
    except Exception as e:  # gql's TransportQueryError: the first error, as the server sent it
        return {"error": type(e).__name__, "first": getattr(e, "errors", None) or str(e)}


def new_project() -> None:
    ProjectApi().create_project(name=PROJECT, dataset=PROJECT, create_test_project=False)
    roles = ["reader", "contributor", "writer", "project_admin", "project_member_admin"]
    ProjectApi().update_project_members(
        project=PROJECT, project_member_update=[ProjectMemberUpdate(member=USER, roles=roles)]
    )


def sample(external_id: str, **fields: Any) -> SampleUpsert:
    """A blood sample with one genome sequencing group of one assay."""
    group = SequencingGroupUpsert(
        type="genome",
        technology="short-read",
        platform="illumina",
        assays=[AssayUpsert(type="sequencing", meta=SEQUENCING)],
    )
    return SampleUpsert(external_ids={"": external_id}, type="blood", sequencing_groups=[group], **fields)


def project_meta() -> dict[str, Any]:
    projects = ProjectApi()
    first = projects.update_project(project=PROJECT, body={"meta": {"is_seqr": True, "a": {"b": 1, "c": 2}}})
    projects.update_project(project=PROJECT, body={"meta": {"a": {"c": None, "d": 3}}})
    meta = next(p["meta"] for p in projects.get_all_projects() if p["name"] == PROJECT)
    mutation = gql(
        "mutation ($p: String!) { project { updateProject(project: $p, projectUpdateModel: {meta: {z: 1}}) "
        "{ meta } } }"
    )
    graphql = query(mutation, variables={"p": PROJECT})["project"]["updateProject"]["meta"]
    seqr = [p["name"] for p in projects.get_seqr_projects()]
    return {"first": first, "meta": meta, "graphql": graphql, "seqr": seqr}


def runner_logs() -> dict[str, Any]:
    runner = AnalysisRunnerApi()
    fields = {
        "access_level": "test",
        "repository": "genolog",
        "commit": "abc123",
        "script": "python3 qc.py",
        "description": "QC",
        "driver_image": "driver:1",
        "config_path": "gs://b/config.toml",
        "environment": "local",
        "batch_url": "file:///tmp/run",
        "submitting_user": USER,
        "output_path": "gs://b/qc",
    }
    runner.create_analysis_runner_log(
        project=PROJECT, ar_guid=f"{PROJECT}-ar", request_body={"k": "v"}, **fields
    )
    logs = runner.get_analysis_runner_logs(project=PROJECT)
    legacy = AnalysisApi().get_analysis_runner_log(ar_guid=f"{PROJECT}-ar")
    return {"logs": [log.to_dict() for log in logs], "legacy": [log.to_dict() for log in legacy]}


def active_only() -> dict[str, Any]:
    [kept, archived] = SampleApi().upsert_samples(project=PROJECT, sample_upsert=[sample("S1"), sample("S2")])
    archived_sg = archived["sequencing_groups"][0]["id"]
    SequencingGroupApi().archive_sequencing_groups(request_body=[archived_sg])
    project_level = gql(
        "query ($p: String!) { project(name: $p) { all: sequencingGroups { id } "
        "archived: sequencingGroups(activeOnly: {eq: false}) { id } "
        "active: sequencingGroups(activeOnly: {eq: true}) { id } } }"
    )
    root = gql(
        "query ($p: String!) { sequencingGroups(project: {eq: $p}, activeOnly: {eq: false}) { id archived } }"
    )
    nested = gql(
        "query ($p: String!) { project(name: $p) { samples { externalId "
        "sequencingGroups(activeOnly: {eq: false}) { id } } } }"
    )
    return {
        "kept": kept["sequencing_groups"][0]["id"],
        "archived": archived_sg,
        "project": query(project_level, variables={"p": PROJECT})["project"],
        "root": query(root, variables={"p": PROJECT})["sequencingGroups"],
        "nested": query(nested, variables={"p": PROJECT})["project"]["samples"],
    }


def sample_history() -> dict[str, Any]:
    samples = SampleApi()
    [created] = samples.upsert_samples(
        project=PROJECT, sample_upsert=[SampleUpsert(external_ids={"": "S1"}, type="blood", meta={"a": 1})]
    )
    samples.update_sample(id_=created["id"], sample_upsert=SampleUpsert(meta={"b": 2}))
    return {"id": created["id"], "history": samples.get_history_of_sample(id_=created["id"])}


def pedigree_tsv() -> dict[str, Any]:
    ped = "Fam1\tDAD\t0\t0\t1\t1\nFam1\tMUM\t0\t0\t2\t1\nFam1\tKID\tDAD\tMUM\t1\t2\n"
    ped_file = io.BytesIO(ped.encode())
    ped_file.name = "trio.ped"
    families = FamilyApi()
    families.import_pedigree(project=PROJECT, file=ped_file, create_missing_participants=True)
    family_id = families.get_families(project=PROJECT)[0]["id"]
    answers = {}
    for export_type in ("tsv", "csv"):
        response = families.get_pedigree(
            project=PROJECT,
            internal_family_ids=[int(family_id)],
            export_type=export_type,
            _preload_content=False,
        )
        answers[export_type] = {"text": response.data.decode(), "type": response.headers["content-type"]}
    return answers


def latest_missing() -> dict[str, Any]:
    analyses = AnalysisApi()
    return {
        "get": refusal(
            lambda: analyses.get_latest_complete_analysis_for_type(project=PROJECT, analysis_type="cram")
        ),
        "post": refusal(
            lambda: analyses.get_latest_complete_analysis_for_type_post(
                project=PROJECT,
                analysis_type="cram",
                body_get_latest_complete_analysis_for_type_post=BodyGetLatestCompleteAnalysisForTypePost(
                    meta={"tool": "x"}
                ),
            )
        ),
    }


def graphql_variables() -> dict[str, Any]:
    text = "query ($p: String!) { project(name: $p) { id } }"
    return {
        "missing": graphql_error(text, {}),
        "mistyped": graphql_error(text, {"p": 3}),
        "null": graphql_error(text, {"p": None}),
        "nested": graphql_error(
            "query ($p: String!, $f: IntGraphQLFilter) { project(name: $p) { participants(id: $f) { id } } }",
            {"p": PROJECT, "f": {"eq": "x"}},
        ),
    }


def acknowledgements() -> dict[str, Any]:
    roles = ["reader", "contributor", "writer", "project_admin", "project_member_admin"]
    members = ProjectApi().update_project_members(
        project=PROJECT, project_member_update=[ProjectMemberUpdate(member=USER, roles=roles)]
    )
    project = ProjectApi().update_project(project=PROJECT, body={"meta": {"k": 1}})
    ped_file = io.BytesIO(b"Fam1\tP1\t0\t0\t1\t2\n")
    ped_file.name = "p.ped"
    families = FamilyApi()
    pedigree = families.import_pedigree(project=PROJECT, file=ped_file, create_missing_participants=True)
    family_id = int(families.get_families(project=PROJECT)[0]["id"])
    family = families.update_family(family_update_model=FamilyUpdateModel(id=family_id, description="trio"))
    participant_id = ParticipantApi().get_participant_id_map_by_external_ids(
        project=PROJECT, request_body=["P1"]
    )["P1"]
    participant = ParticipantApi().update_participant(
        participant_id=participant_id,
        participant_upsert=ParticipantUpsert(meta={"m": 1}, reported_gender="f"),
    )
    [created] = SampleApi().upsert_samples(project=PROJECT, sample_upsert=[sample("S1")])
    updated = SampleApi().update_sample(id_=created["id"], sample_upsert=SampleUpsert(meta={"m": 1}))
    return {
        "members": members,
        "project": project,
        "pedigree": pedigree,
        "family": family,
        "participant_id": participant_id,
        "participant": participant,
        "sample_id": created["id"],
        "sample": updated,
    }


def upsert_echoes() -> dict[str, Any]:
    participants = ParticipantApi().upsert_participants(
        project=PROJECT,
        participant_upsert=[
            ParticipantUpsert(external_ids={"": "P1"}, reported_sex=1, samples=[sample("S1", meta={"x": 1})]),
            ParticipantUpsert(external_ids={"": "P2"}),
        ],
    )
    samples = SampleApi().upsert_samples(
        project=PROJECT,
        sample_upsert=[sample("S2", nested_samples=[SampleUpsert(external_ids={"": "S2-n"}, type="blood")])],
    )
    return {"participants": participants, "samples": samples}


def untyped_sample() -> dict[str, Any]:
    samples = SampleApi()
    [upserted] = samples.upsert_samples(
        project=PROJECT, sample_upsert=[SampleUpsert(external_ids={"": "U1"})]
    )
    created = samples.create_sample(
        project=PROJECT, sample_upsert=SampleUpsert(external_ids={"": "U2"}, meta={"a": 1})
    )
    samples.update_sample(id_=created, sample_upsert=SampleUpsert(meta={"b": 2}))
    read = samples.get_sample_by_external_id(project=PROJECT, external_id="U2")
    typed_later = samples.update_sample(id_=upserted["id"], sample_upsert=SampleUpsert(type="saliva"))
    graphql = query(
        gql("query ($p: String!) { project(name: $p) { samples { externalId type } } }"),
        variables={"p": PROJECT},
    )
    return {
        "upserted": upserted,
        "created": created,
        "read": read,
        "typed_later": typed_later,
        "graphql": graphql,
    }


def naive_timestamps() -> dict[str, Any]:
    [created] = SampleApi().upsert_samples(project=PROJECT, sample_upsert=[sample("S1")])
    sg = created["sequencing_groups"][0]["id"]
    analyses = AnalysisApi()
    analysis_id = analyses.create_analysis(
        project=PROJECT,
        analysis=Analysis(type="cram", status=AnalysisStatus("completed"), sequencing_group_ids=[sg]),
    )
    AnalysisRunnerApi().create_analysis_runner_log(
        project=PROJECT,
        ar_guid=f"{PROJECT}-ar",
        request_body={},
        access_level="test",
        repository="r",
        commit="c",
        script="s",
        description="d",
        driver_image="i",
        config_path="c",
        environment="local",
        batch_url="b",
        submitting_user=USER,
        output_path="o",
    )
    graphql = query(
        gql(
            "query ($p: String!) { project(name: $p) { analyses { timestampCompleted auditLogs { timestamp } } "
            "analysisRunner { timestamp } } }"
        ),
        variables={"p": PROJECT},
    )["project"]
    now = datetime.datetime.utcnow()  # what a Metamist user compares with: naive UTC
    texts = {
        "by_id": analyses.get_analysis_by_id(analysis_id=analysis_id)["timestamp_completed"],
        "latest": analyses.get_latest_complete_analysis_for_type(project=PROJECT, analysis_type="cram")[
            "timestamp_completed"
        ],
        "runner": AnalysisRunnerApi().get_analysis_runner_logs(project=PROJECT)[0].timestamp,
        "graphql_completed": graphql["analyses"][0]["timestampCompleted"],
        "graphql_audit": graphql["analyses"][0]["auditLogs"][0]["timestamp"],
        "graphql_runner": graphql["analysisRunner"][0]["timestamp"],
    }
    ages = {
        name: (now - datetime.datetime.fromisoformat(text)).total_seconds() for name, text in texts.items()
    }
    return {"texts": texts, "ages": ages}


SCENARIOS: dict[str, Callable[[], dict[str, Any]]] = {
    f.__name__: f
    for f in (
        project_meta,
        runner_logs,
        active_only,
        sample_history,
        pedigree_tsv,
        latest_missing,
        graphql_variables,
        acknowledgements,
        upsert_echoes,
        untyped_sample,
        naive_timestamps,
    )
}

new_project()
print(json.dumps(SCENARIOS[SCENARIO](), default=str))
