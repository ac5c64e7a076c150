"""Nothing of a project the caller may not read reaches it through GraphQL (issue 19, items 1, 2 and 10).

Project A ("proja") is read by rita, by alma (who also administers it), and by two users with a site role
(project-creator, who owns only the projects it creates; members-admin: project_member_admin on every
project) and a reader's role on A. Project B
("projb") is administered by pat (project_admin) and mia (project_member_admin), who do not read it. An
admin seeds B with a participant, sample, group, analysis, family, comment and meta, makes a cohort template
in B, and in A a cohort from criteria spanning A and B and a cohort from B's template: the attacks of the
issue read B through those cohorts, a template's project, no-op project mutations and restoreComment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import orjson
import pytest

from genolog.metadata.context import Tx
from genolog.metadata.graphql.context import GraphQLContext
from genolog.metadata.graphql.fast import FastExecutor
from genolog.metadata.graphql.query import schema
from genolog.metadata.permissions import Caller
from genolog.metadata.service import Service
from genolog.metadata.store import identity, projects
from tests.metadata.support import Api, sample_with_group
from tests.metadata.test_graphql import data, gql
from tests.metadata.test_graphql_comments import add, ok_mutation, world

READERS_OF_A = ("rita", "creator", "madmin")  # a reader; and readers of A with each site role
B_ROSTER = [
    {"member": "admin", "roles": ["reader", "writer"]},
    {"member": "pat", "roles": ["project_admin"]},
    {"member": "mia", "roles": ["project_member_admin"]},
]


@dataclass
class Seeded:
    a: dict[str, Any]  # A's ids and values, which A's readers must still see
    b_values: list[str]  # B's ids, external ids and meta values: none may reach a caller of A
    comments: dict[str, int]  # comment ids: "a" on A's sample, "b" on B's sample


def _people(api: Api, project: str, pid: str, sid: str) -> tuple[dict[str, Any], str]:
    """A participant with one sample (one sequencing group); every meta value names its row."""
    sample = sample_with_group(sid)
    sample["meta"] = {"tag": f"{sid}-sample-meta"}
    [participant] = api.ok(
        "PUT",
        f"/participant/{project}/upsert-many",
        json=[{"external_ids": {"": pid}, "meta": {"tag": f"{pid}-participant-meta"}, "samples": [sample]}],
    )
    api.ok("POST", f"/family/{project}/pedigree", files={"file": ("f.ped", f"F{pid} {pid} 0 0 1 2\n")})
    group = participant["samples"][0]["sequencing_groups"][0]["id"]
    api.ok(
        "PUT",
        f"/analysis/{project}/",
        json={
            "type": "web",
            "status": "completed",
            "sequencing_group_ids": [group],
            "meta": {"tag": f"{pid}-an"},
        },
    )
    return participant, group


@pytest.fixture
def seeded(api: Api) -> Seeded:
    api.user("creator", "project-creator")  # site roles are granted with the user's first token
    api.user("madmin", "members-admin")
    api.project(
        "proja", members={**{user: ["reader"] for user in READERS_OF_A}, "alma": ["reader", "project_admin"]}
    )
    api.project("projb")
    api.ok("PATCH", "/project/projb/members", json=B_ROSTER)
    a_participant, a_group = _people(api, "proja", "PA1", "SA1")
    b_participant, b_group = _people(api, "projb", "PB1", "SB1")
    a_sample, b_sample = a_participant["samples"][0]["id"], b_participant["samples"][0]["id"]
    data(
        api,
        'mutation { project { updateProject(project: "projb", projectUpdateModel: {meta: {tag: "PB-project-meta"}}) { id } } }',
    )
    comment = "mutation ($id: String!, $c: String!) { sample { addComment(id: $id, content: $c) { id } } }"
    comments = {
        side: data(api, comment, {"id": sample, "c": f"{side}-comment"})["sample"]["addComment"]["id"]
        for side, sample in (("a", a_sample), ("b", b_sample))
    }
    template = data(
        api,
        'mutation { cohort { createCohortTemplate(project: "projb", template: {name: "b-template", '
        'description: "B only", criteria: {projects: ["projb"]}}) { id } } }',
    )["cohort"]["createCohortTemplate"]["id"]
    make = (
        "mutation ($spec: CohortBodyInput!, $criteria: CohortCriteriaInput) { cohort { createCohortFromCriteria("
        'project: "proja", cohortSpec: $spec, cohortCriteria: $criteria) { createdCohort { id } } } }'
    )
    spanning = {"name": "spanning", "description": "A and B"}
    data(api, make, {"spec": spanning, "criteria": {"projects": ["proja", "projb"]}})
    data(api, make, {"spec": {"name": "borrowed", "description": "B's template", "templateId": template}})
    b_values = [b_sample, b_group, "PB1", "SB1", "FPB1", "PB1-participant-meta", "SB1-sample-meta"]
    b_values += ["PB1-an", "PB-project-meta", "b-comment", template]
    a = {"sample": a_sample, "group": a_group, "participant_id": a_participant["id"]}
    return Seeded(a, b_values, comments)


def leaks(answer: Any, seeded: Seeded) -> list[str]:
    """B's values found anywhere in an answer (keys and values, errors included)."""
    text = json.dumps(answer)
    return [value for value in seeded.b_values if value in text]


def caller(svc: Service, user: str) -> Caller:
    with svc.db.read() as conn:
        return Caller(user, identity.site_roles(conn, user), projects.roles_by_project(conn, user))


def both_executors(svc: Service, user: str, query: str) -> Any:
    """The query's data as the fast executor and strawberry answer it, which must be the same."""
    who = caller(svc, user)
    with svc.db.read() as conn:
        fast = FastExecutor(schema).execute(
            query, None, None, {"genolog": GraphQLContext(Tx(conn, svc.codecs), who)}
        )
    with svc.db.read() as conn:
        full = schema.execute_sync(
            query, context_value={"genolog": GraphQLContext(Tx(conn, svc.codecs), who)}
        )
    assert not full.errors, full.errors
    assert fast is not None and orjson.loads(orjson.dumps(fast)) == full.data
    return full.data


# --- item 1: cohorts and nested projects --------------------------------------------------------------------

THROUGH_COHORTS = """{ project(name: "proja") { cohorts { name
  sequencingGroupsConnection { totalCount }
  sequencingGroups { id meta externalIds assays { id meta } analyses { id meta }
    sample { id externalId meta discussion { directComments { content } relatedComments { content } }
             participant { externalId meta families { externalId } auditLog { author } }
             project { name meta pedigree participants { externalId meta }
                       samples { id externalId meta } sequencingGroups { id } analyses { meta auditLogs { author } }
                       families { externalId } cohorts { name } analysisRunner { arGuid }
                       discussion { directComments { content } relatedComments { content } } } } } } } }"""


@pytest.mark.parametrize("user", READERS_OF_A)
def test_a_cohort_spanning_projects_shows_a_reader_of_one_only_its_groups(
    api: Api, seeded: Seeded, user: str
) -> None:
    # the issue's query, then every relation a cohort's groups lead to, through both executors
    issue = '{ project(name: "proja") { cohorts { sequencingGroups { sample { project { name participants { externalId meta } } } } } } }'
    assert leaks(data(api, issue, user=user), seeded) == []
    answer = both_executors(api.svc, user, THROUGH_COHORTS)
    assert leaks(answer, seeded) == []
    cohorts = {c["name"]: c for c in answer["project"]["cohorts"]}
    assert [g["id"] for g in cohorts["spanning"]["sequencingGroups"]] == [seeded.a["group"]]
    assert cohorts["spanning"]["sequencingGroupsConnection"] == {"totalCount": 1}
    assert cohorts["borrowed"]["sequencingGroups"] == []  # B's template picked B's groups only
    [group] = cohorts["spanning"]["sequencingGroups"]
    assert group["sample"]["meta"] == {"tag": "SA1-sample-meta"}
    assert group["sample"]["project"]["participants"] == [
        {"externalId": "PA1", "meta": {"tag": "PA1-participant-meta"}}
    ]
    assert [c["content"] for c in group["sample"]["discussion"]["directComments"]] == ["a-comment"]
    # an admin reads both: the seeding did put B's groups in the cohorts this reader sees
    every = data(api, '{ project(name: "proja") { cohorts { name sequencingGroups { id } } } }')
    assert sorted(len(c["sequencingGroups"]) for c in every["project"]["cohorts"]) == [1, 2]


@pytest.mark.parametrize("user", READERS_OF_A)
def test_a_template_of_an_unreadable_project_is_not_found(api: Api, seeded: Seeded, user: str) -> None:
    query = '{ project(name: "proja") { cohorts { name template { id name criteria project { name meta participants { externalId meta } } } } } }'
    body = gql(api, query, user=user)
    assert leaks(body, seeded) == [] and "projb" not in json.dumps(body)
    assert body["data"] is None and "not found" in body["errors"][0]["message"]
    templates = "{ cohortTemplates { id project { name } } cohorts { name template { project { name } } } }"
    body = gql(api, templates, user=user)
    assert leaks(body, seeded) == [] and "projb" not in json.dumps(body)
    spanning_only = (
        '{ project(name: "proja") { cohorts(name: {eq: "spanning"}) { template { project { name } } } } }'
    )
    answer = both_executors(api.svc, user, spanning_only)
    assert answer["project"]["cohorts"] == [{"template": {"project": {"name": "proja"}}}]
    admin_view = data(
        api,
        '{ project(name: "proja") { cohorts(name: {eq: "borrowed"}) { template { project { name } } } } }',
    )
    assert admin_view["project"]["cohorts"] == [{"template": {"project": {"name": "projb"}}}]


# --- item 2: mutation answers -------------------------------------------------------------------------------

PROJECT_ROWS = """id name roles participants { externalId meta } samples { id meta } sequencingGroups { id }
  analyses { id meta } families { externalId } cohorts { name } analysisRunner { arGuid }
  samplesConnection { totalCount } discussion { directComments { content } relatedComments { content } }"""
UPDATE_PROJECT = 'mutation { project { updateProject(project: "projb", projectUpdateModel: {}) { %s } } }'
UPDATE_MEMBERS = (
    "mutation ($members: [ProjectMemberUpdateInput!]!) { project { "
    'updateProjectMembers(project: "projb", members: $members) { %s } } }'
)
NO_OPS = {
    "updateProject": (UPDATE_PROJECT, {}),
    "updateProjectMembers": (UPDATE_MEMBERS, {"members": B_ROSTER}),
}


@pytest.mark.parametrize(
    ("user", "mutation"),
    [
        ("pat", "updateProject"),  # B's own project_admin
        ("mia", "updateProjectMembers"),  # B's own project_member_admin
        ("creator", "updateProject"),  # a site role that administers only the projects it creates: refused
        ("madmin", "updateProjectMembers"),  # project_member_admin everywhere by site role
    ],
)
def test_a_no_op_project_mutation_answers_nothing_of_a_project_its_caller_cannot_read(
    api: Api, seeded: Seeded, user: str, mutation: str
) -> None:
    text, variables = NO_OPS[mutation]
    body = gql(api, text % PROJECT_ROWS, variables, user=user)
    assert leaks(body, seeded) == []
    if user in ("pat", "mia") or "errors" not in body:  # a site role may also be refused the mutation
        assert "errors" not in body, body["errors"]
        answer = body["data"]["project"][mutation]
        rows = {
            k: v
            for k, v in answer.items()
            if k not in ("id", "name", "roles", "samplesConnection", "discussion")
        }
        assert answer["name"] == "projb" and all(v == [] for v in rows.values()), answer
        assert answer["samplesConnection"] == {"totalCount": 0}
        assert answer["discussion"] == {"directComments": [], "relatedComments": []}
    for field in ("meta", "pedigree", "sequencingGroupHistory { count }"):
        refused = gql(api, text % f"name {field}", variables, user=user)
        assert leaks(refused, seeded) == [] and refused["data"] is None, refused
    # the project is as it was, and its admin still reads it all
    answer = data(api, '{ project(name: "projb") { meta participants { externalId } } }')
    assert answer["project"] == {"meta": {"tag": "PB-project-meta"}, "participants": [{"externalId": "PB1"}]}


def test_a_project_mutation_answers_a_reader_with_its_rows(api: Api, seeded: Seeded) -> None:
    answer = data(api, UPDATE_PROJECT.replace("projb", "proja") % "meta participants { externalId }")
    assert answer["project"]["updateProject"]["participants"] == [{"externalId": "PA1"}]


@pytest.mark.parametrize("user", ["alma", "creator", "madmin", "pat", "mia", "rita"])
def test_restore_comment_walks_no_comment_of_an_unreadable_project(
    api: Api, seeded: Seeded, user: str
) -> None:
    restore = (
        "mutation ($id: Int!) { comment { restoreComment(id: $id) { id content author versions { content } "
        "entity { ... on GraphQLSample { id externalId meta project { name participants { externalId meta } } } "
        "... on GraphQLProject { name meta participants { meta } } } } } }"
    )
    last = max(seeded.comments.values()) + 2  # and ids of no comment at all
    answers = {i: gql(api, restore, {"id": i}, user=user) for i in range(1, last + 1)}
    assert [i for i, body in answers.items() if leaks(body, seeded)] == []
    b_comment, nowhere = answers[seeded.comments["b"]], answers[last]
    # B's comment is answered exactly as a comment that does not exist (no oracle), and is not restored
    assert b_comment["data"] is None and nowhere["data"] is None
    assert b_comment["errors"][0]["message"] == f"Comment {seeded.comments['b']} not found"
    assert nowhere["errors"][0]["message"] == f"Comment {last} not found"
    a_comment = answers[seeded.comments["a"]]
    if user == "alma":  # a project admin who reads A restores A's comment, and sees it
        restored = a_comment["data"]["comment"]["restoreComment"]
        assert restored["content"] == "a-comment"
        assert restored["entity"]["externalId"] == "SA1" and restored["entity"]["project"]["name"] == "proja"
    else:
        assert a_comment["data"] is None and "a-comment" not in json.dumps(a_comment)


# --- item 10: who edited a comment --------------------------------------------------------------------------


def test_a_project_admins_edit_of_anothers_comment_is_recorded_under_the_admin(api: Api) -> None:
    w = world(api)  # carl contributes; pam reads and administers the project
    comment = add(api, "sample", w.ids["sample"], "carl's words", user="carl")
    edit = "id: $id, content: $c"
    ok_mutation(api, "updateComment", edit, {"id": comment["id"], "c": "pam's correction"}, user="pam")
    after = ok_mutation(api, "updateComment", edit, {"id": comment["id"], "c": "carl again"}, user="carl")
    assert after["author"] == "carl"  # who wrote the comment
    assert [(v["content"], v["author"]) for v in after["versions"]] == [
        ("carl's words", "carl"),
        ("pam's correction", "pam"),
    ]
    deleted = ok_mutation(api, "deleteComment", "id: $id", {"id": comment["id"]}, user="pam")
    assert [(v["content"], v["author"]) for v in deleted["versions"]][-1] == ("carl again", "carl")
