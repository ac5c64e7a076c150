"""Every filter operator, on plain columns, formatted ids, external ids and JSON meta, through GraphQL."""

from __future__ import annotations

from typing import Any

import pytest

from tests.metadata.support import Api
from tests.metadata.test_graphql import data, gql


@pytest.fixture
def samples(api: Api) -> dict[str, str]:
    """Five samples with varied types, meta and external ids; returns external id -> sample id."""
    api.project("proj")
    bodies = [
        {
            "external_ids": {"": "A-1"},
            "type": "blood",
            "meta": {"batch": 1, "site": {"city": "Sydney"}, "flag": True},
        },
        {
            "external_ids": {"": "A-2"},
            "type": "blood",
            "meta": {"batch": 2, "site": {"city": "Perth"}, "flag": False},
        },
        {"external_ids": {"": "B_1"}, "type": "saliva", "meta": {"batch": 3, "site": {"city": "sydney"}}},
        {"external_ids": {"": "B%2"}, "type": "saliva", "meta": {"batch": 4, "note": "50% done"}},
        {"external_ids": {"": "C-3"}, "type": "blood", "meta": {}},
    ]
    created = api.ok("PUT", "/sample/proj/upsert-many", json=bodies)
    return {s["external_ids"][""]: s["id"] for s in created}


def eids(api: Api, arguments: str, variables: dict[str, Any] | None = None) -> list[str]:
    declared = "($v: JSON)" if variables and "v" in variables else ""
    call = f"samples({arguments})" if arguments else "samples"
    result = data(
        api, f'query {declared} {{ project(name: "proj") {{ {call} {{ externalId }} }} }}', variables
    )
    return [s["externalId"] for s in result["project"]["samples"]]


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ('type: {eq: "saliva"}', ["B_1", "B%2"]),
        ('type: {in_: ["saliva", "blood"]}', ["A-1", "A-2", "B_1", "B%2", "C-3"]),
        ("type: {in_: []}", []),
        ('type: {nin: ["blood"]}', ["B_1", "B%2"]),
        ('type: {gt: "blood"}', ["B_1", "B%2"]),
        ('type: {gte: "blood", lte: "blood"}', ["A-1", "A-2", "C-3"]),
        ('type: {lt: "saliva"}', ["A-1", "A-2", "C-3"]),
        ('type: {contains: "ali"}', ["B_1", "B%2"]),
        ('type: {icontains: "SAL"}', ["B_1", "B%2"]),
        ('type: {startswith: "bl"}', ["A-1", "A-2", "C-3"]),
        ("type: {isnull: false}", ["A-1", "A-2", "B_1", "B%2", "C-3"]),
        ("type: {isnull: true}", []),
        ('externalId: {startswith: "A-"}', ["A-1", "A-2"]),
        ('externalId: {contains: "_"}', ["B_1"]),  # LIKE wildcards are escaped
        ('externalId: {contains: "%"}', ["B%2"]),
        ('externalId: {icontains: "b_"}', ["B_1"]),
        ('externalId: {nin: ["A-1", "C-3"]}', ["A-2", "B_1", "B%2"]),
    ],
)
def test_string_operators(api: Api, samples: dict[str, str], arguments: str, expected: list[str]) -> None:
    assert eids(api, arguments) == expected


def test_formatted_id_filters(api: Api, samples: dict[str, str]) -> None:
    ids = samples
    assert eids(api, "id: {eq: $v}".replace("$v", f'"{ids["A-2"]}"')) == ["A-2"]
    both = f'["{ids["A-1"]}", "{ids["C-3"]}"]'
    assert eids(api, f"id: {{in_: {both}}}") == ["A-1", "C-3"]
    assert eids(api, f'id: {{gt: "{ids["B%2"]}"}}') == ["C-3"]


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        ({"batch": 2}, ["A-2"]),
        ({"batch": {"in_": [1, 3]}}, ["A-1", "B_1"]),
        ({"batch": {"gte": 3}}, ["B_1", "B%2"]),
        ({"batch": {"lt": 2}}, ["A-1"]),
        ({"batch": {"nin": [1, 2]}}, ["B_1", "B%2"]),
        ({"site.city": "Sydney"}, ["A-1"]),
        ({"site.city": {"icontains": "sydney"}}, ["A-1", "B_1"]),
        ({"site.city": {"startswith": "P"}}, ["A-2"]),
        ({"note": {"contains": "50%"}}, ["B%2"]),
        ({"flag": True}, ["A-1"]),
        ({"flag": False}, ["A-2"]),
        ({"batch": {"isnull": True}}, ["C-3"]),
        ({"batch": 2, "site.city": "Perth"}, ["A-2"]),
        ({}, ["A-1", "A-2", "B_1", "B%2", "C-3"]),
    ],
)
def test_meta_filters(api: Api, samples: dict[str, str], meta: dict[str, Any], expected: list[str]) -> None:
    assert eids(api, "meta: $v", {"v": meta}) == expected


def test_bad_meta_filters_are_errors_not_crashes(api: Api, samples: dict[str, str]) -> None:
    for meta in ([1, 2], {"batch": {"in_": 3}}, {"batch": {"eq": [1, 2]}}):
        body = gql(
            api, 'query ($v: JSON) { project(name: "proj") { samples(meta: $v) { id } } }', {"v": meta}
        )
        assert body["data"] is None and body["errors"][0]["message"], meta


def test_inactive_samples_are_hidden_unless_asked_for(api: Api, samples: dict[str, str]) -> None:
    api.ok("PATCH", f"/sample/{samples['C-3']}", json={"active": False})
    assert "C-3" not in eids(api, "")
    assert data(api, '{ sample(project: {eq: "proj"}, active: {eq: false}) { externalId } }') == {
        "sample": [{"externalId": "C-3"}]
    }
