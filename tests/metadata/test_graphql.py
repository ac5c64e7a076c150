"""GraphQL: the seeds' queries, relations in both directions, filters and permissions."""

from __future__ import annotations

from typing import Any

from tests.metadata.support import Api, sample_with_group

SEED_QUERY = """
query ($project: String! $sequencingGroupID: String!) {
  project(name: $project) {
    sequencingGroups(id: {eq: $sequencingGroupID}) {
      assays { meta }
      sample { externalId }
    }
  }
}
"""

SEED_ASSAY_QUERY = """
query ($project: String!, $sgids: [String!]) {
    sequencingGroups(project: {eq: $project}, id: {in_: $sgids}) {
        id
        assays { id meta }
    }
}
"""


def gql(api: Api, query: str, variables: dict[str, Any] | None = None, user: str = "admin") -> dict[str, Any]:
    response = api.call(
        "POST", "", user=user, json={"query": query, "variables": variables or {}}, base="/graphql"
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def data(
    api: Api, query: str, variables: dict[str, Any] | None = None, user: str = "admin"
) -> dict[str, Any]:
    body = gql(api, query, variables, user)
    assert "errors" not in body, body["errors"]
    result: dict[str, Any] = body["data"]
    return result


def seed(api: Api) -> list[dict[str, Any]]:
    api.project("sandbox", members={"reader-rita": ["reader"]})
    created: list[dict[str, Any]] = api.ok(
        "PUT", "/sample/sandbox-test/upsert-many", json=[sample_with_group(f"LP-{i}") for i in range(3)]
    )
    return created


def test_the_seeds_first_query_returns_assay_meta_and_sample_external_id(api: Api) -> None:
    created = seed(api)
    sg_id = created[1]["sequencing_groups"][0]["id"]
    result = data(api, SEED_QUERY, {"project": "sandbox-test", "sequencingGroupID": sg_id})
    [group] = result["project"]["sequencingGroups"]
    assert group["sample"] == {"externalId": "LP-1"}
    assert [r["location"] for r in group["assays"][0]["meta"]["reads"]] == [
        "gs://b/LP-1_1.fq.gz",
        "gs://b/LP-1_2.fq.gz",
    ]


def test_the_tutorial_assay_query_by_project_and_ids(api: Api) -> None:
    created = seed(api)
    sg_ids = [s["sequencing_groups"][0]["id"] for s in created]
    result = data(api, SEED_ASSAY_QUERY, {"project": "sandbox-test", "sgids": sg_ids[:2]})
    assert [g["id"] for g in result["sequencingGroups"]] == sg_ids[:2]
    assert all(len(g["assays"]) == 1 for g in result["sequencingGroups"])


def test_project_analyses_and_relations_both_ways(api: Api) -> None:
    created = seed(api)
    sg_id = created[0]["sequencing_groups"][0]["id"]
    analysis_id = api.ok(
        "PUT",
        "/analysis/sandbox-test/",
        json={
            "type": "web",
            "status": "completed",
            "sequencing_group_ids": [sg_id],
            "meta": {"display_url": "http://w/x.html"},
            "output": "gs://w/x.html",
        },
    )
    result = data(
        api,
        '{ project(name: "sandbox-test") { analyses { active id output type meta status sequencingGroups { id sample { externalId project { name } } } } } }',
    )
    [analysis] = result["project"]["analyses"]
    assert analysis == {
        "active": True,
        "id": analysis_id,
        "output": "gs://w/x.html",
        "type": "web",
        "meta": {"display_url": "http://w/x.html"},
        "status": "COMPLETED",
        "sequencingGroups": [
            {"id": sg_id, "sample": {"externalId": "LP-0", "project": {"name": "sandbox-test"}}}
        ],
    }
    back = data(
        api,
        "query ($id: String!) { sequencingGroups(id: {eq: $id}) { analyses { id } sample { sequencingGroups { id } } } }",
        {"id": sg_id},
    )
    assert back["sequencingGroups"][0]["analyses"] == [{"id": analysis_id}]


def test_unreadable_or_unknown_projects_are_errors_and_filters_apply(api: Api) -> None:
    seed(api)
    api.project("secret")
    for name in ("secret", "nope"):
        body = gql(api, f'{{ project(name: "{name}") {{ id }} }}', user="reader-rita")
        assert (
            body["data"] is None
            and f'Could not find projects with names: "{name}"' in body["errors"][0]["message"]
        )
    assert data(api, '{ project(name: "sandbox") { name } }', user="reader-rita") == {
        "project": {"name": "sandbox"}
    }
    projects = data(api, "{ myProjects { name } }", user="reader-rita")
    assert projects == {"myProjects": [{"name": "sandbox"}, {"name": "sandbox-test"}]}
    found = data(
        api,
        '{ project(name: "sandbox-test") { samples(externalId: {in_: ["LP-0", "LP-2"]}) { externalId } } }',
    )
    assert [s["externalId"] for s in found["project"]["samples"]] == ["LP-0", "LP-2"]
    found = data(
        api,
        '{ project(name: "sandbox-test") { samples(externalId: {startswith: "LP-1"}, meta: {}) { externalId } } }',
    )
    assert [s["externalId"] for s in found["project"]["samples"]] == ["LP-1"]
    bad_id = gql(api, '{ sequencingGroups(id: {eq: "CPG12"}) { id } }')
    assert "Invalid sequencing group id" in bad_id["errors"][0]["message"]


def test_settings_enum_and_viewer(api: Api) -> None:
    seed(api)
    result = data(
        api,
        "{ metamistSettings { samplePrefix sequencingGroupPrefix primaryExternalIdName } enum { sequencingType } viewer { username projects { name } } }",
    )
    assert result["metamistSettings"] == {
        "samplePrefix": "XPG",
        "sequencingGroupPrefix": "CPG",
        "primaryExternalIdName": "",
    }
    assert "genome" in result["enum"]["sequencingType"]
    assert result["viewer"]["username"] == "admin"


def test_graphiql_on_get_is_served_without_any_cdn(api: Api) -> None:
    page = api.client.get("/graphql")
    assert page.status_code == 200 and "GraphiQL" in page.text
    assert "https://" not in page.text and "http://" not in page.text
    for asset in (
        "graphiql.min.js",
        "graphiql.min.css",
        "react.production.min.js",
        "react-dom.production.min.js",
    ):
        assert f"/graphql/static/{asset}" in page.text
        assert api.client.get(f"/graphql/static/{asset}").status_code == 200


def test_too_deep_or_too_costly_queries_are_refused_before_running(api: Api) -> None:
    seed(api)
    nested = "sample { sequencingGroups { " * 5 + "id" + " } }" * 5
    deep = gql(api, f'{{ project(name: "sandbox-test") {{ sequencingGroups {{ {nested} }} }} }}')
    assert deep["data"] is None
    assert "levels deep; the limit is 10" in deep["errors"][0]["message"]
    wide = "sequencingGroups { assays { sample { sequencingGroups { assays { id type meta } } } } }"
    costly = gql(api, f'{{ project(name: "sandbox-test") {{ samples {{ {wide} }} }} }}')
    assert costly["data"] is None and "could return about" in costly["errors"][0]["message"]
    assert data(api, SEED_QUERY, {"project": "sandbox-test", "sequencingGroupID": "CPG12344"}) == {
        "project": {"sequencingGroups": []}
    }
