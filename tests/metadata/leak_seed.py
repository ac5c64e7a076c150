"""Two projects for the leak walk (``test_graphql_leak_walk.py``): A, with a user per role, and B, whose
every piece of data is marked ``LEAKB`` and reachable from A: cohorts in A built from criteria spanning A
and B and from B's template, and B's own participants, samples, groups, assays, families, analyses,
cohorts, runs, comments and audit log. Written through the API, as an admin and as B's writer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tests.metadata.leak_walk import Secrets
from tests.metadata.support import Api, sample_with_group

A, B = "proja", "projb"
ROLES = ("reader", "contributor", "writer", "project_admin", "project_member_admin")
# users holding a site role (project_admin, project_member_admin everywhere), and reader on A
SITE_USERS = {"site-creator": "project-creator", "site-members": "members-admin"}
MARK = "LEAKB"
B_AUDIT = {"sm-extra-values": json.dumps({"leak": f"{MARK}-audit"}), "sm-ar-guid": f"{MARK}-ar-guid"}


@dataclass
class World:
    api: Api
    ids: dict[str, dict[str, list[Any]]]  # GraphQL type -> {"A": [...], "B": [...]} of ids as the API shows
    secrets: Secrets
    members: dict[str, list[dict[str, Any]]]  # each project's member list, as updateProjectMembers takes it
    snapshot: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    b_read: dict[str, Any] = field(default_factory=dict)  # what an admin reads of B, as seeded


def post(api: Api, user: str, query: str, variables: dict[str, Any] | None = None, **headers: str) -> Any:
    response = api.call(
        "POST",
        "",
        user=user,
        base="/graphql",
        json={"query": query, "variables": variables or {}},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


def ok(api: Api, user: str, query: str, variables: dict[str, Any] | None = None, **headers: str) -> Any:
    body = post(api, user, query, variables, **headers)
    assert not body.get("errors"), body["errors"]
    return body["data"]


def _participant(name: str, *samples: dict[str, Any]) -> dict[str, Any]:
    return {"external_ids": {"": name}, "meta": {"leak": f"{name}-meta"}, "samples": list(samples)}


def _sample(name: str) -> dict[str, Any]:
    sample = sample_with_group(name)
    sample["meta"] = {"leak": f"{name}-meta"}
    sample["sequencing_groups"][0]["meta"] = {"leak": f"{name}-sg-meta"}
    sample["sequencing_groups"][0]["assays"][0]["external_ids"] = {"": f"{name}-assay"}
    return sample


def _comment(api: Api, user: str, kind: str, entity_id: Any, content: str, **headers: str) -> int:
    id_type = "String!" if kind in ("sample", "sequencingGroup") else "Int!"
    query = (
        f"mutation ($id: {id_type}, $c: String!) {{ {kind} {{ addComment(id: $id, content: $c) {{ id }} }} }}"
    )
    result = ok(api, user, query, {"id": entity_id, "c": content}, **headers)
    comment_id: int = result[kind]["addComment"]["id"]
    return comment_id


def _analysis(api: Api, user: str, project: str, **fields: Any) -> int:
    body = {"type": "cram", "status": "COMPLETED", "meta": {}, **fields}
    query = "mutation ($p: String!, $a: AnalysisInput!) { analysis { createAnalysis(project: $p, analysis: $a) { id } } }"
    headers = B_AUDIT if project == B else {}
    analysis_id: int = ok(api, user, query, {"p": project, "a": body}, **headers)["analysis"][
        "createAnalysis"
    ]["id"]
    return analysis_id


def _run(api: Api, user: str, project: str, guid: str, marker: str, **headers: str) -> None:
    record = {
        "arGuid": guid, "accessLevel": "test", "repository": f"{marker}-repo", "commit": "abc",
        "script": f"{marker}-script", "description": f"{marker}-run", "driverImage": "img", "configPath": "c",
        "environment": "gcp", "batchUrl": f"https://{marker}/1", "submittingUser": f"{marker}-user",
        "meta": {"leak": f"{marker}-run-meta"}, "outputPath": f"gs://{marker}/out",
    }  # fmt: skip
    query = "mutation ($p: String!, $r: AnalysisRunnerInput!) { analysisRunner { createAnalysisRunnerLog(project: $p, analysisRunner: $r) } }"
    ok(api, user, query, {"p": project, "r": record}, **headers)


def _cohort(
    api: Api, project: str, name: str, criteria: dict[str, Any] | None, template: str | None = None
) -> Any:
    query = """mutation ($p: String!, $s: CohortBodyInput!, $c: CohortCriteriaInput) {
      cohort { createCohortFromCriteria(project: $p, cohortSpec: $s, cohortCriteria: $c) {
        createdCohort { id template { id } sequencingGroups { id } } } } }"""
    spec = {"name": name, "description": f"{name} cohort", "templateId": template}
    headers = B_AUDIT if project == B else {}
    return ok(api, "admin", query, {"p": project, "s": spec, "c": criteria}, **headers)["cohort"][
        "createCohortFromCriteria"
    ]["createdCohort"]


def seed(api: Api) -> World:
    """A and B (each with its -test twin), a user per role on A, the site-role users (readers of A)."""
    b_writer = f"{MARK}-writer"
    for user, site_role in SITE_USERS.items():
        api.user(user, site_role)
    api.project(A, members={**{f"a-{r}": [r] for r in ROLES}, **{user: ["reader"] for user in SITE_USERS}})
    api.project(B, members={b_writer: ["reader", "contributor", "writer"]})
    ok(
        api,
        "admin",
        'mutation { project { updateProject(project: "projb", projectUpdateModel: {meta: {leak: "LEAKB-project-meta"}}) { id } } }',
        None,
        **B_AUDIT,
    )

    def people(project: str, prefix: str, user: str, **headers: str) -> list[dict[str, Any]]:
        p2_sample = _sample(f"{prefix}-S2")
        p2_sample["nested_samples"] = [
            {"external_ids": {"": f"{prefix}-S2a"}, "type": "blood", "meta": {"leak": f"{prefix}-S2a"}}
        ]
        body = [
            _participant(f"{prefix}-P1", _sample(f"{prefix}-S1")),
            _participant(f"{prefix}-P2", p2_sample),
        ]
        created: list[dict[str, Any]] = api.ok(
            "PUT", f"/participant/{project}/upsert-many", user=user, json=body, headers=headers
        )
        ped = f"{prefix}-F1\t{prefix}-P1\t0\t0\t1\t2\n{prefix}-F1\t{prefix}-P2\t0\t0\t2\t1\n"
        api.ok(
            "POST", f"/family/{project}/pedigree", user=user, files={"file": ("f.ped", ped)}, headers=headers
        )
        return created

    a_people, b_people = people(A, "SEEA", "admin"), people(B, MARK, b_writer, **B_AUDIT)
    [b_s3] = api.ok(
        "PUT", f"/sample/{B}/upsert-many", user=b_writer, json=[_sample(f"{MARK}-S3")], headers=B_AUDIT
    )
    b_archived = b_s3["sequencing_groups"][0]["id"]
    ok(
        api,
        b_writer,
        "mutation ($i: [String!]!) { sequencingGroup { archiveSequencingGroups(sequencingGroupIds: $i) { id } } }",
        {"i": [b_archived]},
        **B_AUDIT,
    )

    def parts(people: list[dict[str, Any]]) -> dict[str, list[Any]]:
        samples = [s for p in people for s in p["samples"]]
        nested = [n for s in samples for n in s.get("nested_samples") or []]
        groups = [g for s in samples for g in s["sequencing_groups"]]
        return {
            "GraphQLParticipant": [p["id"] for p in people],
            "GraphQLSample": [s["id"] for s in samples + nested],
            "GraphQLSequencingGroup": [g["id"] for g in groups],
            "GraphQLAssay": [a["id"] for g in groups for a in g["assays"]],
        }

    a, b = parts(a_people), parts(b_people)
    b["GraphQLSample"].append(b_s3["id"])
    b["GraphQLSequencingGroup"].append(b_archived)
    b["GraphQLAssay"].append(b_s3["sequencing_groups"][0]["assays"][0]["id"])
    for side, project in (("A", A), ("B", B)):
        target = a if side == "A" else b
        target["GraphQLFamily"] = [f["id"] for f in api.ok("GET", f"/family/{project}/")]
        target["GraphQLProject"] = [project]

    # B's own template, cohort (an admin's), analyses, run and comments (one deleted, one a reply)
    template = ok(
        api,
        b_writer,
        'mutation { cohort { createCohortTemplate(project: "projb", template: {name: "LEAKB-template", description: "LEAKB-template", criteria: {projects: ["projb"]}}) { id } } }',
        None,
        **B_AUDIT,
    )["cohort"]["createCohortTemplate"]["id"]
    b_cohort = _cohort(api, B, f"{MARK}-cohort", None, template)
    b["GraphQLCohortTemplate"], b["GraphQLCohort"] = [template], [b_cohort["id"]]
    b["GraphQLAnalysis"] = [
        _analysis(
            api,
            b_writer,
            B,
            meta={"leak": f"{MARK}-analysis"},
            output=f"gs://{MARK}/a.cram",
            sequencingGroupIds=[b["GraphQLSequencingGroup"][0]],
        )
    ]
    _run(api, b_writer, B, f"{MARK}-guid", MARK, **B_AUDIT)
    b["GraphQLAnalysisRunner"] = [f"{MARK}-guid"]
    kinds = {
        "project": "GraphQLProject",
        "participant": "GraphQLParticipant",
        "family": "GraphQLFamily",
        "sample": "GraphQLSample",
        "sequencingGroup": "GraphQLSequencingGroup",
        "assay": "GraphQLAssay",
    }
    project_ids = {
        p: ok(api, "admin", f'{{ project(name: "{p}") {{ id }} }}')["project"]["id"] for p in (A, B)
    }
    b["GraphQLComment"] = [
        _comment(
            api,
            b_writer,
            kind,
            project_ids[B] if kind == "project" else b[t][0],
            f"{MARK}-comment-{kind}",
            **B_AUDIT,
        )
        for kind, t in kinds.items()
    ]
    reply = (
        'mutation ($p: Int!) { comment { addCommentToThread(parentId: $p, content: "LEAKB-reply") { id } } }'
    )
    b["GraphQLComment"].append(
        ok(api, b_writer, reply, {"p": b["GraphQLComment"][0]}, **B_AUDIT)["comment"]["addCommentToThread"][
            "id"
        ]
    )
    deleted = b["GraphQLComment"][-2]
    ok(
        api,
        b_writer,
        "mutation ($i: Int!) { comment { deleteComment(id: $i) { id } } }",
        {"i": deleted},
        **B_AUDIT,
    )

    # A's own comments, analyses and run, and the admin's links across: cohorts in A spanning A and B
    # and made from B's template
    a["GraphQLComment"] = [
        _comment(api, "admin", k, project_ids[A] if k == "project" else a[kinds[k]][0], f"SEEA-{k}")
        for k in ("project", "sample", "sequencingGroup")
    ]
    spanning = _cohort(api, A, "spanning", {"projects": [A, B]})
    from_b = _cohort(api, A, "from-b-template", None, template)
    a["GraphQLCohort"] = [spanning["id"], from_b["id"]]
    a["GraphQLCohortTemplate"] = [spanning["template"]["id"]]
    # (an analysis may not name another project's sequencing groups or cohorts, even an admin's)
    a["GraphQLAnalysis"] = [
        _analysis(api, "admin", A, sequencingGroupIds=[a["GraphQLSequencingGroup"][0]]),
        _analysis(api, "admin", A, cohortIds=[spanning["id"]]),
    ]
    _run(api, "admin", A, "SEEA-guid", "SEEA")
    a["GraphQLAnalysisRunner"] = ["SEEA-guid"]

    a["GraphQLProjectId"], b["GraphQLProjectId"] = [project_ids[A]], [project_ids[B]]
    b["deletedComment"], b["archivedGroup"] = [deleted], [b_archived]
    a["commentContent"], b["commentContent"] = ["SEEA-project"], [f"{MARK}-comment-project"]
    ids = {t: {"A": a.get(t, []), "B": b.get(t, [])} for t in sorted(set(a) | set(b))}
    formatted = [
        *b["GraphQLSample"],
        *b["GraphQLSequencingGroup"],
        *b["GraphQLCohort"],
        *b["GraphQLCohortTemplate"],
    ]
    values: dict[tuple[str, str], set[Any]] = {(t, "id"): set(b[t]) for t in b if t.startswith("GraphQL")}
    values[("GraphQLProject", "id")] = {project_ids[B]}
    values[("GraphQLProject", "name")] = values[("GraphQLProject", "dataset")] = {B, f"{B}-test"}
    values[("UpdateParticipantFamilyType", "participantId")] = set(b["GraphQLParticipant"])
    values[("UpdateParticipantFamilyType", "familyId")] = set(b["GraphQLFamily"])
    secrets = Secrets(markers=(MARK,), strings=set(map(str, formatted)), values=values)
    members = {p: api.ok("GET", f"/project/{p}/members") for p in (A, B)}
    return World(api, ids, secrets, members)
