"""Comments ("discussion"): writing on every kind of entity, threads, versions, delete/restore,
who may do what, direct and related comments, bad input, and batched loading."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from genolog.metadata import tables as t
from tests.metadata.support import Api, dump, is_naive_utc, sample_with_group
from tests.metadata.test_graphql import data, gql
from tests.metadata.test_graphql_paging import counting_statements

COMMENT = "id parentId content author status createdAt updatedAt"
NAMESPACES = {  # entity kind -> (mutation namespace, GraphQL type of its id)
    "project": ("project", "Int!"),
    "participant": ("participant", "Int!"),
    "family": ("family", "Int!"),
    "sample": ("sample", "String!"),
    "sequencingGroup": ("sequencingGroup", "String!"),
    "assay": ("assay", "Int!"),
}


@dataclass
class World:
    """One project with a participant P1 in family F1, its sample S1 (one sequencing group, one assay),
    S1's child S1a and grandchild S1b, and an unrelated sample S2."""

    ids: dict[str, Any]


def world(api: Api) -> World:
    api.project(
        "proj",
        members={
            "rita": ["reader"],
            "carl": ["contributor"],
            "wes": ["writer"],
            "pam": ["reader", "project_admin"],
        },
    )
    s1 = sample_with_group("S1")
    s1["nested_samples"] = [
        {
            "external_ids": {"": "S1a"},
            "type": "blood",
            "nested_samples": [{"external_ids": {"": "S1b"}, "type": "blood"}],
        }
    ]
    [p1] = api.ok(
        "PUT", "/participant/proj/upsert-many", json=[{"external_ids": {"": "P1"}, "samples": [s1]}]
    )
    [s2] = api.ok("PUT", "/sample/proj/upsert-many", json=[sample_with_group("S2")])
    api.ok("POST", "/family/proj/pedigree", files={"file": ("f.ped", "F1 P1 0 0 1 2\n")})
    sample = p1["samples"][0]
    project_id = data(api, '{ project(name: "proj") { id } }')["project"]["id"]
    return World(
        {
            "project": project_id,
            "participant": p1["id"],
            "family": api.ok("GET", "/family/proj/")[0]["id"],
            "sample": sample["id"],
            "sequencingGroup": sample["sequencing_groups"][0]["id"],
            "assay": sample["sequencing_groups"][0]["assays"][0]["id"],
            "S1a": sample["nested_samples"][0]["id"],
            "S1b": sample["nested_samples"][0]["nested_samples"][0]["id"],
            "S2": s2["id"],
        }
    )


def add(api: Api, kind: str, entity_id: Any, content: str, user: str = "carl") -> dict[str, Any]:
    namespace, id_type = NAMESPACES[kind]
    result = data(
        api,
        f"mutation ($id: {id_type}, $c: String!) {{ {namespace} {{ addComment(id: $id, content: $c) {{ {COMMENT} }} }} }}",
        {"id": entity_id, "c": content},
        user=user,
    )
    comment: dict[str, Any] = result[namespace]["addComment"]
    return comment


def comment_mutation(api: Api, name: str, args: str, variables: dict[str, Any], user: str) -> dict[str, Any]:
    declared = ", ".join(f"${k}: {'Int!' if isinstance(v, int) else 'String!'}" for k, v in variables.items())
    body = gql(
        api,
        f"mutation ({declared}) {{ comment {{ {name}({args}) {{ {COMMENT} versions {{ content author status timestamp }} }} }} }}",
        variables,
        user,
    )
    return body


def ok_mutation(
    api: Api, name: str, args: str, variables: dict[str, Any], user: str = "carl"
) -> dict[str, Any]:
    body = comment_mutation(api, name, args, variables, user)
    assert "errors" not in body, body["errors"]
    comment: dict[str, Any] = body["data"]["comment"][name]
    return comment


def error_of(body: dict[str, Any]) -> str:
    assert body.get("data") is None, body
    message: str = body["errors"][0]["message"]
    return message


DISCUSSION = "discussion { directComments { id content status author thread { id content author } } relatedComments { id content } }"


def discussion_of(api: Api, kind: str, entity_id: Any, user: str = "admin") -> dict[str, Any]:
    """The discussion of one entity, reached the usual way for its kind."""
    if kind == "project":
        query, path = f'{{ project(name: "proj") {{ {DISCUSSION} }} }}', ["project"]
    elif kind in ("sample", "S1a", "S1b", "S2"):
        query = f"query ($id: String!) {{ sample(id: {{eq: $id}}) {{ {DISCUSSION} }} }}"
        path = ["sample", 0]
    elif kind == "sequencingGroup":
        query = f"query ($id: String!) {{ sequencingGroups(id: {{eq: $id}}) {{ {DISCUSSION} }} }}"
        path = ["sequencingGroups", 0]
    elif kind == "assay":
        query = (
            f"query ($id: String!) {{ sequencingGroups(id: {{eq: $id}}) {{ assays {{ {DISCUSSION} }} }} }}"
        )
        path = ["sequencingGroups", 0, "assays", 0]  # an assay is reached through its group
    elif kind == "participant":
        query = f'query ($id: Int!) {{ project(name: "proj") {{ participants(id: {{eq: $id}}) {{ {DISCUSSION} }} }} }}'
        path = ["project", "participants", 0]
    else:
        query = f'query ($id: Int!) {{ project(name: "proj") {{ families(id: {{eq: $id}}) {{ {DISCUSSION} }} }} }}'
        path = ["project", "families", 0]
    found: Any = data(api, query, {"id": entity_id}, user=user)
    for step in path:
        found = found[step]
    result: dict[str, Any] = found["discussion"]
    return result


def test_add_comment_through_every_entity_namespace(api: Api) -> None:
    w = world(api)
    typenames = {
        "project": ("GraphQLProject", "name"),
        "participant": ("GraphQLParticipant", "externalId"),
        "family": ("GraphQLFamily", "externalId"),
        "sample": ("GraphQLSample", "externalId"),
        "sequencingGroup": ("GraphQLSequencingGroup", "id"),
        "assay": ("GraphQLAssay", "id"),
    }
    for kind in NAMESPACES:
        comment = add(api, kind, w.ids[kind], f"about the {kind}")
        assert comment["content"] == f"about the {kind}" and comment["author"] == "carl"
        assert comment["status"] == "active" and comment["parentId"] is None
        assert comment["createdAt"] == comment["updatedAt"] and is_naive_utc(comment["createdAt"])
        typename, _ = typenames[kind]
        entity = data(
            api,
            """mutation ($id: Int!) { comment { updateComment(id: $id, content: "again") { entity { __typename
                 ... on GraphQLProject { id } ... on GraphQLSample { sid: id } ... on GraphQLAssay { id }
                 ... on GraphQLSequencingGroup { sid: id } ... on GraphQLParticipant { id } ... on GraphQLFamily { id } } } } }""",
            {"id": comment["id"]},
            user="carl",
        )["comment"]["updateComment"]["entity"]
        key = "sid" if kind in ("sample", "sequencingGroup") else "id"
        assert entity == {"__typename": typename, key: w.ids[kind]}
        direct = discussion_of(api, kind, w.ids["sequencingGroup"] if kind == "assay" else w.ids[kind])[
            "directComments"
        ]
        assert [(c["id"], c["content"], c["author"]) for c in direct] == [(comment["id"], "again", "carl")]


def test_replies_form_one_thread_in_time_order(api: Api) -> None:
    w = world(api)
    top = add(api, "sample", w.ids["sample"], "is this contaminated?")
    first = ok_mutation(
        api, "addCommentToThread", "parentId: $p, content: $c", {"p": top["id"], "c": "yes"}, user="wes"
    )
    second = ok_mutation(
        api, "addCommentToThread", "parentId: $p, content: $c", {"p": first["id"], "c": "re-run it"}
    )  # a reply to a reply joins the top comment's thread
    assert first["parentId"] == top["id"] and second["parentId"] == top["id"]
    [direct] = discussion_of(api, "sample", w.ids["sample"])["directComments"]
    assert direct["id"] == top["id"]
    assert direct["thread"] == [
        {"id": first["id"], "content": "yes", "author": "wes"},
        {"id": second["id"], "content": "re-run it", "author": "carl"},
    ]
    entity = data(
        api,
        'mutation ($id: Int!) { comment { updateComment(id: $id, content: "re-run") { entity { ... on GraphQLSample { id } } thread { id } } } }',
        {"id": second["id"]},
        user="carl",
    )["comment"]["updateComment"]
    assert entity == {"entity": {"id": w.ids["sample"]}, "thread": []}


def test_an_edit_keeps_the_earlier_versions_and_records_its_request(api: Api) -> None:
    w = world(api)
    comment = add(api, "participant", w.ids["participant"], "first draft")
    ok_mutation(api, "updateComment", "id: $id, content: $c", {"id": comment["id"], "c": "second draft"})
    latest = ok_mutation(api, "updateComment", "id: $id, content: $c", {"id": comment["id"], "c": "final"})
    assert latest["content"] == "final" and latest["author"] == "carl"
    assert [(v["content"], v["status"], v["author"]) for v in latest["versions"]] == [
        ("first draft", "active", "carl"),
        ("second draft", "active", "carl"),
    ]
    assert latest["versions"][0]["timestamp"] == comment["updatedAt"]
    assert latest["updatedAt"] >= latest["versions"][1]["timestamp"] >= comment["createdAt"]
    with api.svc.db.read() as conn:
        audit = conn.execute(
            sa.select(t.audit_log.c.author, t.audit_log.c.meta)
            .join(t.comment, t.comment.c.audit_log_id == t.audit_log.c.id)
            .where(t.comment.c.id == comment["id"])
        ).one()
        version_audits = (
            conn.execute(
                sa.select(t.comment_version.c.audit_log_id).where(
                    t.comment_version.c.comment_id == comment["id"]
                )
            )
            .scalars()
            .all()
        )
    assert audit.author == "carl" and audit.meta["path"] == "/graphql"
    assert len(set(version_audits)) == 2 and None not in version_audits


def test_delete_marks_deleted_and_restore_brings_it_back(api: Api) -> None:
    w = world(api)
    comment = add(api, "family", w.ids["family"], "wrong pedigree")
    deleted = ok_mutation(api, "deleteComment", "id: $id", {"id": comment["id"]})
    assert deleted["status"] == "deleted" and deleted["content"] == "wrong pedigree"
    assert [v["status"] for v in deleted["versions"]] == ["active"]
    [listed] = discussion_of(api, "family", w.ids["family"])["directComments"]
    assert listed["status"] == "deleted"
    again = ok_mutation(api, "deleteComment", "id: $id", {"id": comment["id"]})
    assert len(again["versions"]) == 1  # already deleted: nothing changes
    refused = comment_mutation(
        api, "updateComment", "id: $id, content: $c", {"id": comment["id"], "c": "x"}, "carl"
    )
    assert "is deleted: restore it before editing" in error_of(refused)
    reply = comment_mutation(
        api, "addCommentToThread", "parentId: $id, content: $c", {"id": comment["id"], "c": "x"}, "carl"
    )
    assert "is deleted: restore it before replying" in error_of(reply)
    restored = ok_mutation(api, "restoreComment", "id: $id", {"id": comment["id"]})
    assert restored["status"] == "active"
    assert [v["status"] for v in restored["versions"]] == ["active", "deleted"]
    assert discussion_of(api, "family", w.ids["family"])["directComments"][0]["status"] == "active"


def test_readers_read_but_cannot_comment_and_outsiders_see_nothing(api: Api) -> None:
    w = world(api)
    comment = add(api, "sample", w.ids["sample"], "carl's note")
    assert [
        c["content"] for c in discussion_of(api, "sample", w.ids["sample"], user="rita")["directComments"]
    ] == ["carl's note"]
    refused = gql(
        api,
        'mutation ($id: String!) { sample { addComment(id: $id, content: "hi") { id } } }',
        {"id": w.ids["sample"]},
        user="rita",
    )
    assert "needs one of the roles contributor, writer" in error_of(refused)
    reply = comment_mutation(
        api, "addCommentToThread", "parentId: $id, content: $c", {"id": comment["id"], "c": "x"}, "rita"
    )
    assert "needs one of the roles contributor, writer" in error_of(reply)

    api.user("olga")  # a user with no role on the project
    hidden = gql(api, f'{{ project(name: "proj") {{ {DISCUSSION} }} }}', user="olga")
    assert "Could not find projects" in hidden["errors"][0]["message"]
    assert data(
        api,
        f"query ($id: String!) {{ sample(id: {{eq: $id}}) {{ {DISCUSSION} }} }}",
        {"id": w.ids["sample"]},
        user="olga",
    ) == {"sample": []}
    outsider = gql(
        api,
        'mutation ($id: String!) { sample { addComment(id: $id, content: "hi") { id } } }',
        {"id": w.ids["sample"]},
        user="olga",
    )
    assert error_of(outsider) == f"Sample {w.ids['sample']} not found"
    for name in ("deleteComment", "restoreComment"):
        assert error_of(comment_mutation(api, name, "id: $id", {"id": comment["id"]}, "olga")) == (
            f"Comment {comment['id']} not found"
        )
    assert discussion_of(api, "sample", w.ids["sample"])["directComments"][0]["status"] == "active"


def test_only_the_author_or_a_project_admin_changes_a_comment(api: Api) -> None:
    w = world(api)
    comment = add(api, "assay", w.ids["assay"], "carl's", user="carl")
    refusals = {  # a writer who is not the author; a reader
        "wes": f"may not change comment {comment['id']} by 'carl'",
        "rita": "needs one of the roles contributor, project_admin, writer",
    }
    for user, refusal in refusals.items():
        edit = comment_mutation(
            api, "updateComment", "id: $id, content: $c", {"id": comment["id"], "c": "mine"}, user
        )
        assert refusal in error_of(edit)
        for name in ("deleteComment", "restoreComment"):
            assert refusal in error_of(comment_mutation(api, name, "id: $id", {"id": comment["id"]}, user))
    by_author = ok_mutation(
        api, "updateComment", "id: $id, content: $c", {"id": comment["id"], "c": "carl's, edited"}
    )
    assert by_author["content"] == "carl's, edited"
    by_admin = ok_mutation(api, "deleteComment", "id: $id", {"id": comment["id"]}, user="pam")
    assert by_admin["status"] == "deleted" and by_admin["author"] == "carl"
    assert (
        ok_mutation(api, "restoreComment", "id: $id", {"id": comment["id"]}, user="pam")["status"] == "active"
    )
    [listed] = discussion_of(api, "assay", w.ids["sequencingGroup"])["directComments"]
    assert listed["content"] == "carl's, edited"


def test_direct_and_related_comments_follow_the_entity_graph(api: Api) -> None:
    w = world(api)
    on = {
        kind: add(api, "sample" if kind in ("S1a", "S1b", "S2") else kind, w.ids[kind], kind)["id"]
        for kind in (
            "project",
            "participant",
            "family",
            "sample",
            "sequencingGroup",
            "assay",
            "S1a",
            "S1b",
            "S2",
        )
    }
    add_reply = ok_mutation(
        api, "addCommentToThread", "parentId: $p, content: $c", {"p": on["sample"], "c": "a reply"}
    )
    expected_related = {
        "project": {"participant", "family", "sample", "sequencingGroup", "assay", "S1a", "S1b", "S2"},
        "participant": {"sample", "sequencingGroup", "assay", "S1a", "S1b"},
        "family": {"participant"},
        "sample": {"sequencingGroup", "assay", "S1a", "S1b", "participant"},
        "S1a": {"S1b", "participant"},
        "sequencingGroup": {"sample", "assay"},
        "assay": {"sample", "sequencingGroup"},
        "S2": set(),
    }
    for kind, related in expected_related.items():
        entity_id = w.ids["sequencingGroup"] if kind == "assay" else w.ids[kind]
        found = discussion_of(api, kind, entity_id)
        assert [c["content"] for c in found["directComments"]] == [kind], kind
        assert sorted(c["content"] for c in found["relatedComments"]) == sorted(related), kind
        assert add_reply["id"] not in {c["id"] for c in found["relatedComments"] + found["directComments"]}


@pytest.mark.parametrize(
    ("mutation", "variables", "message"),
    [
        ('sample { addComment(id: $id, content: "") { id } }', {"id": "sample"}, "needs some content"),
        ('sample { addComment(id: $id, content: "  \\n ") { id } }', {"id": "sample"}, "needs some content"),
        ('sample { addComment(id: $id, content: "x") { id } }', {"id": "unknown sample"}, "not found"),
        ('sample { addComment(id: $id, content: "x") { id } }', {"id": "nonsense"}, "nonsense"),
        ('assay { addComment(id: $id, content: "x") { id } }', {"id": 9999}, "Assay 9999 not found"),
        ('project { addComment(id: $id, content: "x") { id } }', {"id": 9999}, "Project 9999 not found"),
        ('family { addComment(id: $id, content: "x") { id } }', {"id": 9999}, "Family 9999 not found"),
        (
            'participant { addComment(id: $id, content: "x") { id } }',
            {"id": 9999},
            "Participant 9999 not found",
        ),
        (
            'comment { addCommentToThread(parentId: $id, content: "x") { id } }',
            {"id": 9999},
            "Comment 9999 not found",
        ),
        ('comment { updateComment(id: $id, content: "x") { id } }', {"id": 9999}, "Comment 9999 not found"),
        ('comment { updateComment(id: $id, content: "") { id } }', {"id": "comment"}, "needs some content"),
        ("comment { deleteComment(id: $id) { id } }", {"id": 9999}, "Comment 9999 not found"),
    ],
)
def test_bad_input_is_a_clear_error_and_writes_nothing(
    api: Api, mutation: str, variables: dict[str, Any], message: str
) -> None:
    w = world(api)
    existing = add(api, "sample", w.ids["sample"], "kept")
    value = {
        "sample": w.ids["sample"],
        "comment": existing["id"],
        "unknown sample": api.svc.codecs.sample.format(99999),
    }.get(variables["id"], variables["id"])
    if variables["id"] == "unknown sample":
        message = f"Sample {value} not found"
    id_type = "String!" if isinstance(value, str) else "Int!"
    with api.svc.db.read() as conn:
        before = dump(conn)
    body = gql(api, f"mutation ($id: {id_type}) {{ {mutation} }}", {"id": value}, user="carl")
    assert message in error_of(body)
    with api.svc.db.read() as conn:
        assert dump(conn) == before


def test_discussions_of_many_siblings_cost_a_fixed_number_of_statements(api: Api) -> None:
    query = """{ project(name: "proj") { discussion { directComments { id } }
        samples { id discussion { directComments { id thread { id } versions { content } entity { __typename } }
                                  relatedComments { id } }
                  sequencingGroups { discussion { directComments { id } relatedComments { id } } } } } }"""
    world(api)
    counts = []
    for size in (3, 30):
        created = api.ok(
            "PUT", "/sample/proj/upsert-many", json=[sample_with_group(f"N{size}-{i}") for i in range(size)]
        )
        for s in created:
            comment = add(api, "sample", s["id"], "note")
            ok_mutation(
                api, "addCommentToThread", "parentId: $p, content: $c", {"p": comment["id"], "c": "reply"}
            )
            ok_mutation(api, "updateComment", "id: $id, content: $c", {"id": comment["id"], "c": "edited"})
            add(api, "sequencingGroup", s["sequencing_groups"][0]["id"], "on the group")
        data(api, query)  # warm: the caller's token and roles
        with counting_statements(api) as statements:
            result = data(api, query)
        with_comments = [s for s in result["project"]["samples"] if s["discussion"]["directComments"]]
        assert len(with_comments) == {3: 3, 30: 33}[size]
        one = with_comments[0]["discussion"]
        assert len(one["directComments"][0]["thread"]) == 1 and one["relatedComments"]
        assert one["directComments"][0]["versions"] == [{"content": "note"}]
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
