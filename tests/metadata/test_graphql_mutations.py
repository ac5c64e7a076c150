"""GraphQL mutations: each namespace writes through the same code as REST, all or nothing."""

from __future__ import annotations

from typing import Any

from tests.metadata.support import Api, sample_with_group
from tests.metadata.test_graphql import data, gql


def groups(api: Api) -> list[str]:
    api.project("proj", members={"rita": ["reader"], "wes": ["writer"]})
    created = api.ok(
        "PUT", "/sample/proj/upsert-many", json=[sample_with_group("S1"), sample_with_group("S2")]
    )
    return [s["sequencing_groups"][0]["id"] for s in created]


def test_create_and_update_analysis(api: Api) -> None:
    sg1, _ = groups(api)
    created = data(
        api,
        """mutation ($sg: String!) { analysis { createAnalysis(project: "proj", analysis: {type: "qc", status: COMPLETED,
           sequencingGroupIds: [$sg], meta: {tool: "fastqe"}, outputs: {path: "gs://b/x.html"}}) {
             id status timestampCompleted outputs sequencingGroups { id } } } }""",
        {"sg": sg1},
        user="wes",
    )["analysis"]["createAnalysis"]
    assert created["status"] == "COMPLETED" and created["timestampCompleted"]
    assert created["outputs"]["basename"] == "x.html" and created["sequencingGroups"] == [{"id": sg1}]
    updated = data(
        api,
        "mutation ($id: Int!) { analysis { updateAnalysis(analysisId: $id, analysis: {meta: {size: 3}, active: false}) { meta active } } }",
        {"id": created["id"]},
    )["analysis"]["updateAnalysis"]
    assert updated == {"meta": {"tool": "fastqe", "size": 3}, "active": False}
    assert api.ok("GET", f"/analysis/{created['id']}/history")[-1]["changes"]["active"] == {
        "old": True,
        "new": False,
    }


def test_upsert_samples_and_participants_with_nesting(api: Api) -> None:
    groups(api)
    result = data(
        api,
        """mutation ($p: JSON, $s: JSON) { participant { upsertParticipants(project: "proj", participants: [{externalIds: $p, reportedSex: 2,
           samples: [{externalIds: $s, type: "blood", sequencingGroups: [{type: "genome", technology: "short-read",
           platform: "illumina", assays: [{type: "sequencing", meta: {sequencing_type: "genome", sequencing_technology: "short-read",
           sequencing_platform: "illumina", reads: []}}]}]}]}]) { id externalId samples { externalId sequencingGroups { id assays { id } } } } } }""",
        {"p": {"": "P9"}, "s": {"": "S9"}},
    )["participant"]["upsertParticipants"]
    [participant] = result
    assert participant["externalId"] == "P9"
    [sample] = participant["samples"]
    assert sample["externalId"] == "S9" and len(sample["sequencingGroups"][0]["assays"]) == 1
    renamed = data(
        api,
        'mutation ($id: Int!) { participant { updateParticipant(participantId: $id, participant: {karyotype: "XX"}) { karyotype reportedSex } } }',
        {"id": participant["id"]},
    )
    assert renamed["participant"]["updateParticipant"] == {"karyotype": "XX", "reportedSex": 2}
    more = data(
        api,
        'mutation ($e: JSON) { sample { upsertSamples(project: "proj", samples: [{externalIds: $e, type: "saliva"}]) { id type } } }',
        {"e": {"": "S10"}},
    )
    assert more["sample"]["upsertSamples"][0]["type"] == "saliva"


def test_assay_group_family_and_project_mutations(api: Api) -> None:
    sg1, _ = groups(api)
    sample_id = api.ok("POST", "/sample/proj/id-map/external", json=["S1"])["S1"]
    assay = data(
        api,
        """mutation ($s: String!) { assay { createAssay(assay: {sampleId: $s, type: "sequencing", meta: {sequencing_type: "genome",
           sequencing_technology: "short-read", sequencing_platform: "illumina"}}) { id sample { id } } } }""",
        {"s": sample_id},
    )["assay"]["createAssay"]
    assert assay["sample"]["id"] == sample_id
    meta = data(
        api,
        "mutation ($id: Int!) { assay { updateAssay(assay: {id: $id, meta: {lane: 2}}) { meta } } }",
        {"id": assay["id"]},
    )
    assert meta["assay"]["updateAssay"]["meta"]["lane"] == 2
    sg = data(
        api,
        'mutation ($id: String!) { sequencingGroup { updateSequencingGroup(project: "proj", sequencingGroup: {id: $id, meta: {q: 1}}) { meta } } }',
        {"id": sg1},
    )
    assert sg["sequencingGroup"]["updateSequencingGroup"]["meta"] == {"q": 1}
    archived = data(
        api,
        "mutation ($ids: [String!]!) { sequencingGroup { archiveSequencingGroups(sequencingGroupIds: $ids) { archived } } }",
        {"ids": [sg1]},
    )
    assert archived["sequencingGroup"]["archiveSequencingGroups"] == [{"archived": True}]

    api.ok(
        "POST",
        "/family/proj/pedigree",
        params={"create_missing_participants": True},
        files={"file": ("f.ped", "F1 a 0 0 1 1\n")},
    )
    family_id = api.ok("GET", "/family/proj/")[0]["id"]
    family = data(
        api,
        'mutation ($id: Int!) { family { updateFamily(family: {id: $id, description: "d"}) { description externalId participants { externalId } } } }',
        {"id": family_id},
    )
    assert family["family"]["updateFamily"] == {
        "description": "d",
        "externalId": "F1",
        "participants": [{"externalId": "a"}],
    }

    project = data(
        api,
        'mutation { project { createProject(name: "newp", dataset: "newp", createTestProject: true) { name dataset } } }',
    )
    assert project["project"]["createProject"] == {"name": "newp", "dataset": "newp"}
    data(
        api,
        'mutation { project { updateProjectMembers(project: "newp", members: [{member: "admin", roles: ["reader"]}]) { name } } }',
    )
    meta = data(
        api,
        'mutation { project { updateProject(project: "newp", projectUpdateModel: {meta: {is_seqr: true}}) { meta roles } } }',
    )
    assert meta["project"]["updateProject"]["meta"] == {"is_seqr": True}

    guid = data(
        api,
        """mutation { analysisRunner { createAnalysisRunnerLog(project: "proj-test", analysisRunner: {arGuid: "g1", accessLevel: "test",
           repository: "r", commit: "c", script: "s", description: "d", driverImage: "i", configPath: "p", environment: "local",
           batchUrl: "u", submittingUser: "admin", meta: {a: 1}, outputPath: "o"}) } }""",
    )
    assert guid == {"analysisRunner": {"createAnalysisRunnerLog": "g1"}}
    assert api.ok("GET", "/analysis-runner/runs", params={"ar_guid": "g1"})[0]["meta"] == {"a": 1}


def test_a_mutation_with_an_error_writes_nothing_and_readers_cannot_write(api: Api) -> None:
    sg1, _ = groups(api)
    body = gql(
        api,
        """mutation ($sg: String!, $e: JSON) { a: analysis { createAnalysis(project: "proj", analysis: {type: "qc", status: QUEUED,
           sequencingGroupIds: [$sg], meta: {}}) { id } }
           b: sample { upsertSamples(project: "proj", samples: [{externalIds: $e, type: "goo"}]) { id } } }""",
        {"sg": sg1, "e": {"": "S1"}},
    )
    assert body["data"] is None and "Unknown sample type 'goo'" in body["errors"][0]["message"]
    assert (
        api.ok("POST", "/analysis/query", json={"projects": ["proj"]}) == []
    )  # the first part was rolled back
    refused = gql(
        api,
        'mutation ($e: JSON) { sample { upsertSamples(project: "proj", samples: [{externalIds: $e, type: "blood"}]) { id } } }',
        {"e": {"": "X"}},
        user="rita",
    )
    assert "needs one of the roles writer" in refused["errors"][0]["message"]
    missing_meta = gql(
        api,
        'mutation { assay { createAssay(assay: {sampleId: "XPG18", type: "sequencing", meta: {}}) { id } } }',
    )
    assert "missing required meta fields" in missing_meta["errors"][0]["message"]


def test_mutations_record_the_caller_in_history(api: Api) -> None:
    groups(api)
    result: dict[str, Any] = data(
        api,
        'mutation ($e: JSON) { sample { createSample(project: "proj", sample: {externalIds: $e, type: "blood"}) { id } } }',
        {"e": {"": "N1"}},
        user="wes",
    )
    sample_id = result["sample"]["createSample"]["id"]
    [entry] = api.ok("GET", f"/sample/{sample_id}/audit-history")
    assert entry["author"] == "wes" and entry["meta"]["path"] == "/graphql"
