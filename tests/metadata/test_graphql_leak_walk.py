"""Nothing of project B reaches a user whose roles are on project A only, through any GraphQL path.

B is seeded with data reachable from A's entry points (cohorts in A built from criteria spanning A and B
and from B's template, analyses linking the two, comments, families, runs, audit log), every piece of it
marked ``LEAKB`` in its ids, external ids, meta or text. Then, for each role on A and each site role, the
schema (read by introspection) is walked from every root field and every mutation's payload, reaching
every edge within ``LEVELS`` levels (``tests/metadata/leak_walk.py``), with A's and B's ids wherever an
argument takes one; no answer may contain anything of B, and B must read the same to an admin afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from graphql import GraphQLSchema

from genolog.metadata.api.service import Service
from genolog.metadata.db import Database
from genolog.metadata.graphql.limits import MAX_COST
from genolog.metadata.settings import ServerSettings
from tests.metadata.leak_walk import (
    INTROSPECTION_QUERY,
    Finding,
    Node,
    Secrets,
    Walker,
    pack,
    scan,
    schema_from,
    strings_in,
    summary,
)
from tests.metadata.support import Api, dump, restore, sample_with_group
from tests.metadata.test_permissions import _database
from tests.metadata.walk_plan import EntryPoint, entry_points, mutation_calls, recipes

A, B = "proja", "projb"
LEVELS = 6  # how far below each entry point the walk reaches
PAGE = 5  # the `first` of every list: every seeded list holds fewer, so nothing is cut off
ROLES = ("reader", "contributor", "writer", "project_admin", "project_member_admin")
SITE_ROLES = ("project-creator", "members-admin")
MARK = "LEAKB"
B_AUDIT = {"sm-extra-values": json.dumps({"leak": f"{MARK}-audit"}), "sm-ar-guid": f"{MARK}-ar-guid"}
# The most requests one caller's walk may take: the walk is bounded, whatever the data.
MAX_REQUESTS = 600


@dataclass
class World:
    api: Api
    ids: dict[str, dict[str, list[Any]]]  # GraphQL type -> {"A": [...], "B": [...]} of ids as the API shows
    secrets: Secrets
    members: dict[str, list[dict[str, Any]]]  # each project's member list, as updateProjectMembers takes it
    snapshot: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


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
    for user, site_role in zip(("site-creator", "site-members"), SITE_ROLES, strict=True):
        api.user(user, site_role)
    api.project(
        A, members={**{f"a-{r}": [r] for r in ROLES}, "site-creator": ["reader"], "site-members": ["reader"]}
    )
    api.project(B, members={b_writer: ["reader", "contributor", "writer"]})
    ok(
        api,
        "admin",
        'mutation { project { updateProject(project: "projb", projectUpdateModel: {leak: "LEAKB-project-meta"}) { id } } }',
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

    # B's own template, cohort, analyses, run and comments, all written by B's writer
    template = ok(
        api,
        b_writer,
        'mutation { cohort { createCohortTemplate(project: "projb", template: {name: "LEAKB-template", description: "LEAKB-template", criteria: {projects: ["projb"]}}) { id } } }',
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

    # A's own things, and the admin's links across: cohorts in A spanning A and B and from B's template,
    # analyses of each project on the other's groups and cohorts
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


# --- the walk ---

BUDGET = MAX_COST * 9 // 10  # a margin under the server's cost limit


def _nonempty(value: Any) -> bool:
    if isinstance(value, dict) and "totalCount" in value:
        return bool(value["totalCount"])
    return value not in (None, [], {})


@dataclass
class Walk:
    """One caller's walk: its requests and what they found."""

    api: Api
    walker: Walker
    caller: str
    secrets: Secrets
    findings: list[Finding] = field(default_factory=list)
    requests: int = 0

    def send(self, text: str, variables: dict[str, Any], what: str) -> Any:
        self.requests += 1
        body = post(self.api, self.caller, text, variables)
        for error in body.get("errors") or []:
            message = str(error.get("message"))
            assert "limit is" not in message, f"{what}: the walk broke the server's limits: {message}"
            assert "Unexpected server error" not in message, f"{what}: {message}"
            for given in strings_in(variables):  # what the request itself named may come back in its errors
                message = message.replace(given, "")
            if any(m in message for m in self.secrets.markers):
                self.findings.append(Finding(f"{what} (error)", message[:200]))
        return body

    def scan(self, node: Node, value: Any, path: str) -> None:
        scan(node, value, self.secrets, PAGE, path, self.findings)

    def queries(self, points: list[EntryPoint]) -> None:
        """Probe every entry point with its leaf fields, then walk those that answered with something."""
        answered: list[EntryPoint] = []
        for point in points:  # one by one: an error in a non-null root field would null its neighbours
            probe = self.walker.selection(replace(point.node, children=[]), 0)
            body = self.send(*self.walker.document("query", [(probe, "Query")]), point.label)
            value = (body.get("data") or {}).get(probe.key)
            self.scan(probe, value, point.label)
            if _nonempty(value):
                answered.append(point)
        plain: list[Node] = []
        abstract: list[Node] = []
        for point in answered:
            without, within = self.walker.partition(
                self.walker.selection(replace(point.node, children=[]), LEVELS)
            )
            plain += self.walker.split(without, BUDGET)
            abstract += self.walker.split(within, BUDGET) if within else []
        documents = pack(self.walker, [(p, "Query") for p in plain], BUDGET)
        for document in documents + pack(self.walker, [(p, "Query") for p in abstract], BUDGET):
            body = self.send(*self.walker.document("query", document), "a query walk")
            if body.get("errors") and len(document) > 1:  # one entry's error may have hidden the others'
                document_parts = [[part] for part in document]
                bodies = [
                    self.send(*self.walker.document("query", part), "a query walk") for part in document_parts
                ]
            else:
                document_parts, bodies = [document], [body]
            for parts, answer in zip(document_parts, bodies, strict=True):
                for piece, _ in parts:
                    self.scan(piece, (answer.get("data") or {}).get(piece.key), piece.key)

    def mutations(self, calls: list[EntryPoint]) -> None:
        """Call each mutation with its payload's __typename; walk the payload of those that succeed."""
        for call in calls:
            composite = bool(self.walker.fields(call.node.type_name)) or bool(
                self.walker.members(call.node.type_name)
            )
            probe = replace(call.node, children=[Node("__typename", "String")] if composite else [])
            body = self.send(
                *self.walker.document("mutation", [(probe, call.parent)], call.namespace), call.label
            )
            if body.get("errors") or not composite:
                self.scan(
                    probe, ((body.get("data") or {}).get(call.namespace) or {}).get(probe.key), call.label
                )
                continue
            tree = self.walker.selection(replace(call.node, children=[]), LEVELS)
            for piece in self.walker.split(tree, BUDGET - 1):
                body = self.send(
                    *self.walker.document("mutation", [(piece, call.parent)], call.namespace), call.label
                )
                self.scan(
                    piece, ((body.get("data") or {}).get(call.namespace) or {}).get(piece.key), call.label
                )


def b_as_admin_reads_it(world: World, walker: Walker) -> list[Any]:
    """Every entry point aimed at B, two levels deep, as an admin reads it."""
    answers = []
    for point in entry_points(walker.schema, world.ids, PAGE, sides=("B",)):
        tree = walker.selection(replace(point.node, children=[]), 2)
        answers += [
            post(world.api, "admin", *walker.document("query", [(p, "Query")]))
            for p in walker.split(tree, BUDGET)
        ]
    return answers


# --- fixtures and tests ---


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    url = _database(request, tmp_path_factory)
    svc = Service.create(ServerSettings(db=url), Database(url))
    api = Api(svc)
    with api.client:  # one event-loop thread for the module keeps each request cheap
        world = seed(api)
        with svc.db.read() as conn:
            world.snapshot = dump(conn)
        yield world
    svc.db.dispose()


@pytest.fixture
def world(seeded: World) -> Iterator[World]:
    """The seeded world; whatever a walk wrote in A is put back before the next."""
    yield seeded
    restore(seeded.api.svc.db, seeded.snapshot)


def _schema(api: Api, user: str) -> GraphQLSchema:
    return schema_from(ok(api, user, INTROSPECTION_QUERY))


CALLERS = [*(f"a-{r}" for r in ROLES), "site-creator", "site-members"]


@pytest.mark.slow
@pytest.mark.parametrize("caller", CALLERS)
def test_nothing_of_b_reaches_a_caller_with_roles_on_a_only(world: World, caller: str) -> None:
    walker = Walker(_schema(world.api, caller), PAGE, per_type=True)
    before = b_as_admin_reads_it(world, walker)
    walk = Walk(world.api, walker, caller, world.secrets)
    walk.queries(entry_points(walker.schema, world.ids, PAGE))
    names = {"A": A, "B": B}
    walk.mutations(mutation_calls(walker.schema, recipes(world.ids, world.members, names)))
    assert walk.requests <= MAX_REQUESTS
    assert not walk.findings, f"{caller} read B's data:\n{summary(walk.findings)}"
    assert b_as_admin_reads_it(world, walker) == before, f"{caller}'s mutations changed B"
