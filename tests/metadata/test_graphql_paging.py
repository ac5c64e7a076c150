"""GraphQL pagination (first/after on every list, xsConnection with totalCount and pageInfo), and the
fixed number of SQL statements a query costs whatever the number of rows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from tests.metadata.support import Api, sample_with_group
from tests.metadata.test_graphql import data, gql
from tests.metadata.test_graphql_records import RUN

SAMPLES_PAGE = """query ($p: String!, $first: Int, $after: String) {
  project(name: $p) {
    samplesConnection(first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } nodes { id externalId }
    }
  }
}"""


def fill(api: Api, project: str, count: int, prefix: str = "S") -> list[dict[str, Any]]:
    created: list[dict[str, Any]] = api.ok(
        "PUT",
        f"/sample/{project}/upsert-many",
        json=[sample_with_group(f"{prefix}{i:03}") for i in range(count)],
    )
    return created


def test_a_project_is_paged_through_with_cursors_and_a_total_count(api: Api) -> None:
    api.project("proj")
    created = fill(api, "proj", 25)
    everything = data(api, '{ project(name: "proj") { samples { id } } }')["project"]["samples"]
    assert [s["id"] for s in everything] == [c["id"] for c in created]
    seen, after, pages = [], None, []
    while True:
        page = data(api, SAMPLES_PAGE, {"p": "proj", "first": 10, "after": after})["project"][
            "samplesConnection"
        ]
        pages.append((len(page["nodes"]), page["pageInfo"]["hasNextPage"], page["totalCount"]))
        seen += [n["id"] for n in page["nodes"]]
        assert page["pageInfo"]["endCursor"] == page["nodes"][-1]["id"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert pages == [(10, True, 25), (10, True, 25), (5, False, 25)]
    assert seen == [s["id"] for s in everything]
    # the plain list takes the same arguments, and the last id seen is the cursor
    tail = data(
        api,
        'query ($a: String) { project(name: "proj") { samples(first: 3, after: $a) { id } } }',
        {"a": seen[20]},
    )
    assert [s["id"] for s in tail["project"]["samples"]] == seen[21:24]


def test_past_the_end_is_an_empty_page_with_the_full_total(api: Api) -> None:
    api.project("proj")
    created = fill(api, "proj", 3)
    page = data(api, SAMPLES_PAGE, {"p": "proj", "first": 5, "after": created[-1]["id"]})
    assert page["project"]["samplesConnection"] == {
        "totalCount": 3,
        "pageInfo": {"hasNextPage": False, "endCursor": None},
        "nodes": [],
    }
    none = data(api, SAMPLES_PAGE, {"p": "proj", "first": 0, "after": None})
    assert none["project"]["samplesConnection"]["nodes"] == []
    assert none["project"]["samplesConnection"]["pageInfo"]["hasNextPage"] is True


def test_first_applies_to_each_parent_not_to_the_whole_answer(api: Api) -> None:
    for name, count in (("alpha", 4), ("beta", 3)):
        api.project(name)
        fill(api, name, count, prefix=name)
    result = data(
        api,
        """{ myProjects { name samples(first: 2) { externalId }
              samplesConnection(first: 2) { totalCount pageInfo { hasNextPage } } } }""",
    )
    by_name = {p["name"]: p for p in result["myProjects"]}
    assert [s["externalId"] for s in by_name["alpha"]["samples"]] == ["alpha000", "alpha001"]
    assert [s["externalId"] for s in by_name["beta"]["samples"]] == ["beta000", "beta001"]
    assert by_name["alpha"]["samplesConnection"] == {"totalCount": 4, "pageInfo": {"hasNextPage": True}}
    assert by_name["alpha-test"]["samplesConnection"] == {"totalCount": 0, "pageInfo": {"hasNextPage": False}}
    # nested lists of a page are those of its nodes only, each paged in turn
    nested = data(
        api,
        """{ project(name: "alpha") { sequencingGroups(first: 2) {
              sample { externalId } assaysConnection(first: 1) { totalCount nodes { id } } } } }""",
    )
    groups = nested["project"]["sequencingGroups"]
    assert [g["sample"]["externalId"] for g in groups] == ["alpha000", "alpha001"]
    assert all(
        g["assaysConnection"]["totalCount"] == 1 and len(g["assaysConnection"]["nodes"]) == 1 for g in groups
    )


def test_root_lists_and_filters_count_only_their_matches(api: Api) -> None:
    api.project("proj")
    created = fill(api, "proj", 6)
    sg_ids = [c["sequencing_groups"][0]["id"] for c in created]
    query = """query ($ids: [String!], $after: String) { sequencingGroupsConnection(
        project: {eq: "proj"}, id: {in_: $ids}, first: 2, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } nodes { id } } }"""
    first = data(api, query, {"ids": sg_ids[1:5]})["sequencingGroupsConnection"]
    assert first["totalCount"] == 4 and [n["id"] for n in first["nodes"]] == sg_ids[1:3]
    second = data(api, query, {"ids": sg_ids[1:5], "after": first["pageInfo"]["endCursor"]})
    assert [n["id"] for n in second["sequencingGroupsConnection"]["nodes"]] == sg_ids[3:5]
    assert second["sequencingGroupsConnection"]["pageInfo"]["hasNextPage"] is False
    samples = data(
        api,
        'query ($a: String) { sample(project: {eq: "proj"}, first: 2, after: $a) { id } }',
        {"a": created[0]["id"]},
    )
    assert [s["id"] for s in samples["sample"]] == [c["id"] for c in created[1:3]]
    projects = data(api, "{ myProjectsConnection(first: 1) { totalCount nodes { name } } }")
    assert projects["myProjectsConnection"] == {"totalCount": 2, "nodes": [{"name": "proj"}]}


def test_lists_linked_through_other_tables_page_too(api: Api) -> None:
    api.project("proj")
    created = fill(api, "proj", 3)
    sg_ids = [c["sequencing_groups"][0]["id"] for c in created]
    analysis = api.ok(
        "PUT",
        "/analysis/proj/",
        json={"type": "joint-calling", "status": "completed", "sequencing_group_ids": sg_ids, "meta": {}},
    )
    result = data(
        api,
        """query ($id: Int!, $a: String) { analyses(id: {eq: $id}) {
            sequencingGroupsConnection(first: 2, after: $a) { totalCount pageInfo { hasNextPage } nodes { id } } } }""",
        {"id": analysis, "a": sg_ids[0]},
    )
    page = result["analyses"][0]["sequencingGroupsConnection"]
    assert page == {
        "totalCount": 3,
        "pageInfo": {"hasNextPage": False},
        "nodes": [{"id": i} for i in sg_ids[1:]],
    }


def test_bad_page_arguments_are_clear_errors(api: Api) -> None:
    api.project("proj")
    fill(api, "proj", 2)
    cases = [
        ('{ project(name: "proj") { samples(first: -1) { id } } }', "'first' must be zero or more, not -1"),
        (
            '{ project(name: "proj") { sequencingGroups(after: "nope") { id } } }',
            "Invalid sequencing group id",
        ),
        ('{ project(name: "proj") { analyses(after: "x1") { id } } }', "Invalid cursor 'x1'"),
    ]
    for query, message in cases:
        body = gql(api, query)
        assert body["data"] is None and message in body["errors"][0]["message"], body


def test_a_connection_is_costed_by_its_first_argument(api: Api) -> None:
    api.project("proj")
    wide = "sequencingGroups { assays { sample { sequencingGroups { assays { id type meta } } } } }"
    refused = gql(api, f'{{ project(name: "proj") {{ samples {{ {wide} }} }} }}')
    assert "could return about" in refused["errors"][0]["message"]
    narrow = gql(
        api, f'{{ project(name: "proj") {{ samplesConnection(first: 1) {{ nodes {{ {wide} }} }} }} }}'
    )
    assert "errors" not in narrow
    huge = gql(
        api, f'{{ project(name: "proj") {{ samplesConnection(first: 100000) {{ nodes {{ {wide} }} }} }} }}'
    )
    assert "could return about" in huge["errors"][0]["message"]


@contextmanager
def counting_statements(api: Api) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    sa.event.listen(api.svc.db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(api.svc.db.engine, "before_cursor_execute", count)


def test_a_query_costs_the_same_statements_for_3_or_30_rows(api: Api) -> None:
    """No N+1: statements are per level of nesting, not per row (paged or not)."""
    query = """query ($p: String!) { project(name: $p) {
        sequencingGroups { id externalIds assays { meta } sample { externalId participant { id } } analyses { id } }
        samplesConnection(first: 20) { totalCount nodes { id assays { id } } } } }"""
    counts = []
    for name, size in (("small", 3), ("large", 30)):
        api.project(name)
        fill(api, name, size)
        data(api, query, {"p": name})  # warm: the caller's token and roles
        with counting_statements(api) as statements:
            result = data(api, query, {"p": name})
        assert len(result["project"]["sequencingGroups"]) == size
        assert len(result["project"]["samplesConnection"]["nodes"]) == min(size, 20)
        counts.append(len(statements))
    assert counts[0] == counts[1]
    assert counts[0] <= 16, counts


def test_cohorts_and_their_sequencing_groups_page(api: Api) -> None:
    api.project("proj")
    sg_ids = [c["sequencing_groups"][0]["id"] for c in fill(api, "proj", 5)]
    create = """mutation ($name: String!, $sgs: [String!]) { cohort { createCohortFromCriteria(project: "proj",
        cohortSpec: {name: $name, description: "d"}, cohortCriteria: {sgIdsInternal: $sgs}) { createdCohort { id } } } }"""
    cohort_ids = [
        data(api, create, {"name": name, "sgs": sgs})["cohort"]["createCohortFromCriteria"]["createdCohort"][
            "id"
        ]
        for name, sgs in (("all", sg_ids), ("two", sg_ids[:2]), ("one", sg_ids[4:]))
    ]
    page = data(
        api,
        """query ($after: String) { cohortsConnection(project: {eq: "proj"}, first: 2, after: $after) {
            totalCount nodes { id sequencingGroupsConnection(first: 2) { totalCount nodes { id } } } } }""",
        {"after": cohort_ids[0]},
    )["cohortsConnection"]
    assert page["totalCount"] == 3 and [c["id"] for c in page["nodes"]] == cohort_ids[1:]
    assert [c["sequencingGroupsConnection"] for c in page["nodes"]] == [
        {"totalCount": 2, "nodes": [{"id": i} for i in sg_ids[:2]]},
        {"totalCount": 1, "nodes": [{"id": sg_ids[4]}]},
    ]
    within = data(
        api,
        """query ($after: String) { project(name: "proj") { cohorts(name: {eq: "all"}) {
            sequencingGroups(first: 2, after: $after) { id } } } }""",
        {"after": sg_ids[1]},
    )
    assert within["project"]["cohorts"][0]["sequencingGroups"] == [{"id": i} for i in sg_ids[2:4]]


def test_comments_page_in_the_order_they_were_written(api: Api) -> None:
    api.project("proj")
    [sample] = fill(api, "proj", 1)
    add = "mutation ($id: String!, $c: String!) { sample { addComment(id: $id, content: $c) { id } } }"
    ids = [
        data(api, add, {"id": sample["id"], "c": f"note {i}"})["sample"]["addComment"]["id"] for i in range(3)
    ]
    query = """query ($id: String!, $after: String) { sample(id: {eq: $id}) { discussion {
        directCommentsConnection(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor }
                                                             nodes { content } } } } }"""
    first = data(api, query, {"id": sample["id"]})["sample"][0]["discussion"]["directCommentsConnection"]
    assert first["totalCount"] == 3 and [n["content"] for n in first["nodes"]] == ["note 0", "note 1"]
    assert first["pageInfo"] == {"hasNextPage": True, "endCursor": str(ids[1])}
    rest = data(api, query, {"id": sample["id"], "after": first["pageInfo"]["endCursor"]})
    assert [n["content"] for n in rest["sample"][0]["discussion"]["directCommentsConnection"]["nodes"]] == [
        "note 2"
    ]


def test_analysis_runner_logs_page_newest_first(api: Api) -> None:
    api.project("proj")
    for i in range(3):
        api.ok("PUT", "/analysis-runner/proj/", params={**RUN, "ar_guid": f"ar-{i}"}, json={})
    query = """query ($after: String) { project(name: "proj") {
        analysisRunnerConnection(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor }
                                                            nodes { arGuid } } } }"""
    first = data(api, query)["project"]["analysisRunnerConnection"]
    newest = [n["arGuid"] for n in first["nodes"]]
    assert first["totalCount"] == 3 and len(newest) == 2
    assert first["pageInfo"] == {"hasNextPage": True, "endCursor": newest[-1]}
    rest = data(api, query, {"after": newest[-1]})["project"]["analysisRunnerConnection"]
    assert len(rest["nodes"]) == 1 and rest["pageInfo"]["hasNextPage"] is False
    assert {*newest, rest["nodes"][0]["arGuid"]} == {"ar-0", "ar-1", "ar-2"}
    unknown = gql(api, '{ project(name: "proj") { analysisRunner(after: "ar-9") { arGuid } } }')
    assert "Invalid cursor 'ar-9'" in unknown["errors"][0]["message"]
