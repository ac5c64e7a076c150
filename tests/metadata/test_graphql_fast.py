"""The fast executor answers read queries exactly as strawberry does, and steps aside for the rest."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from genolog.metadata.context import Tx
from genolog.metadata.graphql.context import GraphQLContext
from genolog.metadata.graphql.fast import FastExecutor
from genolog.metadata.graphql.query import schema
from genolog.metadata.permissions import Caller
from genolog.metadata.service import Service
from tests.metadata.support import Api, sample_with_group
from tests.metadata.test_graphql import data

QUERIES = [
    (
        '{ project(name: "proj") { sequencingGroups { id externalIds assays { id meta } sample { externalId } } } }',
        {},
    ),
    (
        "query ($p: String!, $ids: [String!]) { sequencingGroups(project: {eq: $p}, id: {in_: $ids}) { id assays { id meta } } }",
        {"p": "proj", "ids": None},
    ),
    (
        '{ project(name: "proj") { analyses { active id output type meta status timestampCompleted sequencingGroups { id } } } }',
        {},
    ),
    (
        """query Q($skip: Boolean!) { p: project(name: "proj") { name ...S samples(externalId: {startswith: "S"}) @skip(if: $skip) { id } } }
           fragment S on GraphQLProject { participants { externalId samples { id type assays(type: {eq: "sequencing"}) { type } } } }""",
        {"skip": False},
    ),
    (
        '{ project(name: "proj") { __typename families { externalId familyParticipants { affected participant { externalId } } } } }',
        {},
    ),
    (
        "{ myProjects { name roles } metamistSettings { samplePrefix } enum { sampleType } viewer { username } }",
        {},
    ),
    (
        '{ sample(project: {eq: "proj"}, externalId: {in_: ["S1"]}) { id participant { externalId } sequencingGroups { id analyses(status: {eq: COMPLETED}) { id } } } }',
        {},
    ),
    (  # comments: direct and related, threads and versions, on several kinds of entity
        """{ project(name: "proj") { discussion { directComments { id content author status createdAt thread { id } } }
               participants { discussion { directComments { id } relatedComments { id content } } }
               samples { discussion { directComments { id parentId content author status updatedAt
                                                       thread { id author } versions { content author status timestamp } }
                                      relatedComments { id } }
                         sequencingGroups { discussion { relatedComments { id } } } } } }""",
        {},
    ),
    (  # pagination: connections with counts and cursors, per-parent pages, python-linked pages
        """{ myProjectsConnection(first: 1) { totalCount pageInfo { hasNextPage endCursor }
               nodes { samplesConnection(first: 2) { totalCount pageInfo { endCursor } nodes { id } }
                       sequencingGroups(first: 1, after: null) { id analysesConnection { totalCount } } } }
             analyses(id: {gte: 0}, first: 3) { id sequencingGroupsConnection(first: 1) { totalCount nodes { id } } } }""",
        {},
    ),
]


@pytest.fixture
def filled(api: Api) -> Service:
    api.project("proj")
    [p] = api.ok(
        "PUT",
        "/participant/proj/upsert-many",
        json=[{"external_ids": {"": "P1"}, "samples": [sample_with_group("S1")]}],
    )
    more = api.ok("PUT", "/sample/proj/upsert-many", json=[sample_with_group("S2"), sample_with_group("T3")])
    sg_ids = [p["samples"][0]["sequencing_groups"][0]["id"]] + [s["sequencing_groups"][0]["id"] for s in more]
    for i, sg in enumerate(sg_ids):
        api.ok(
            "PUT",
            "/analysis/proj/",
            json={
                "type": "web",
                "status": "completed" if i % 2 else "queued",
                "sequencing_group_ids": [sg],
                "meta": {"i": i},
            },
        )
    api.ok("POST", "/family/proj/pedigree", files={"file": ("f.ped", "F1 P1 0 0 1 2\n")})
    add_comments(api, p["samples"][0]["id"])
    return api.svc


def add_comments(api: Api, sample_id: str) -> None:
    """A project comment, and an edited sample comment with a reply."""
    data(api, 'mutation { project { addComment(id: 1, content: "project note") { id } } }')
    comment = data(
        api,
        'mutation ($id: String!) { sample { addComment(id: $id, content: "draft") { id } } }',
        {"id": sample_id},
    )["sample"]["addComment"]["id"]
    data(
        api,
        'mutation ($id: Int!) { comment { updateComment(id: $id, content: "final") { id } '
        'addCommentToThread(parentId: $id, content: "a reply") { id } } }',
        {"id": comment},
    )


def run_both(svc: Service, query: str, variables: dict[str, Any]) -> tuple[Any, Any]:
    caller = Caller("admin", {"admin"})
    with svc.db.read() as conn:
        fast = FastExecutor(schema).execute(
            query, variables, None, {"genolog": GraphQLContext(Tx(conn, svc.codecs), caller)}
        )
    with svc.db.read() as conn:
        full = schema.execute_sync(
            query,
            variable_values=variables,
            context_value={"genolog": GraphQLContext(Tx(conn, svc.codecs), caller)},
        )
    assert not full.errors, full.errors
    return fast, full.data


@pytest.mark.parametrize(("query", "variables"), QUERIES, ids=[f"q{i}" for i in range(len(QUERIES))])
def test_fast_and_full_executors_agree(filled: Service, query: str, variables: dict[str, Any]) -> None:
    fast, full = run_both(filled, query, variables)
    assert fast is not None, "the fast executor should answer this query itself"
    assert orjson.loads(orjson.dumps(fast)) == full  # JSON fields are embedded as text fragments


@pytest.mark.parametrize(
    "query",
    [
        "{ __schema { queryType { name } } }",  # introspection
        '{ project(name: "nope") { name } }',  # an error: strawberry reports it
        "{ project { name } }",  # invalid
        'mutation { project { createProject(name: "x", dataset: "x", createTestProject: false) { name } } }',
        '{ project(name: "proj") { discussion { directComments { entity { __typename } } } } }',  # a union
    ],
)
def test_the_fast_executor_steps_aside(filled: Service, query: str) -> None:
    caller = Caller("admin", {"admin"})
    with filled.db.read() as conn:
        assert (
            FastExecutor(schema).execute(
                query, None, None, {"genolog": GraphQLContext(Tx(conn, filled.codecs), caller)}
            )
            is None
        )


def test_the_fast_executor_answers_discussions_with_their_comments(filled: Service) -> None:
    query = next(q for q, _ in QUERIES if "discussion" in q)
    fast, full = run_both(filled, query, {})
    assert fast is not None and orjson.loads(orjson.dumps(fast)) == full
    project = full["project"]
    assert [c["content"] for c in project["discussion"]["directComments"]] == ["project note"]
    [sample_comment] = [c for s in project["samples"] for c in s["discussion"]["directComments"]]
    assert sample_comment["content"] == "final" and [v["content"] for v in sample_comment["versions"]] == [
        "draft"
    ]
    assert [r["author"] for r in sample_comment["thread"]] == ["admin"]
    [participant] = project["participants"]
    assert [c["content"] for c in participant["discussion"]["relatedComments"]] == ["final"]
    union = (
        '{ project(name: "proj") { samples { discussion { directComments { entity { __typename } } } } } }'
    )
    with filled.db.read() as conn:
        answer = schema.execute_sync(
            union,
            context_value={"genolog": GraphQLContext(Tx(conn, filled.codecs), Caller("admin", {"admin"}))},
        )
    assert not answer.errors and answer.data is not None
    entities = [
        c["entity"] for s in answer.data["project"]["samples"] for c in s["discussion"]["directComments"]
    ]
    assert entities == [{"__typename": "GraphQLSample"}]
