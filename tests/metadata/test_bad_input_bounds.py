"""Bounds on input (issue 19, items 6 and 7): meta bounded in size and depth, text without NUL or lone
surrogates, ids and cursors in ASCII digits within 64 bits, lists of at most ``max_list_items``, PED
fields within csv's limit. Each is a 400 (a 413 for size) naming the problem, through REST, GraphQL and
the ingest, on both databases, and writes nothing (``world`` compares every table afterwards).
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.exc import OperationalError, StatementError

from genolog.metadata import inputs
from genolog.metadata.db import Database
from genolog.metadata.errors import BadRequest, client_error
from genolog.metadata.service import Service
from genolog.metadata.settings import ServerSettings
from tests.metadata.support import Api, Seeded, assert_rejected, sample_with_group

MIB = inputs.LIMITS.meta_max_bytes
MAX_ITEMS = inputs.LIMITS.max_list_items
OVER_MIB = "x" * MIB  # with its key and quotes, a meta just over the bound
SURROGATE = "lone UTF-16 surrogate"
NUL = "NUL character"


def nested(levels: int) -> Any:
    """An object nested ``levels`` deep: {"a": {"a": ... 1}}."""
    value: Any = 1
    for _ in range(levels):
        value = {"a": value}
    return value


def send(api: Api, method: str, path: str, body: str | bytes, **kwargs: Any) -> httpx.Response:
    """A request whose JSON body is sent as written (escapes such as \\ud800 kept as they are)."""
    headers = {"Content-Type": "application/json", **kwargs.pop("headers", {})}
    return api.call(method, path, content=body, headers=headers, **kwargs)


def graphql(api: Api, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
    # json.dumps escapes a lone surrogate as \udXXX; httpx's json= would fail to encode it at all
    body = json.dumps({"query": query, "variables": variables or {}})
    return send(api, "POST", "", body, base="/graphql")


def assert_graphql_error(response: httpx.Response, *fragments: str) -> str:
    """A GraphQL error (HTTP 200, no data) whose message names the problem, not an unexpected error."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"] is None and len(body["errors"]) == 1, body
    message: str = body["errors"][0]["message"]
    assert "Unexpected" not in message, message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return message


@pytest.fixture
def limits() -> Iterator[inputs.InputLimits]:
    """The process's input limits, put back after a test that builds a service with other settings."""
    saved = dataclasses.replace(inputs.LIMITS)
    yield inputs.LIMITS
    inputs.configure(saved.meta_max_bytes, saved.max_list_items)


# --- REST: each case is (method, path, body as sent, extra request arguments, status, fragments) ---

REST_CASES: dict[str, tuple[str, str, str | bytes | None, dict[str, Any], int, tuple[str, ...]]] = {
    "surrogate-in-external-id": (
        "PUT",
        "/sample/proj/",
        '{"external_ids": {"": "A\\ud800"}, "type": "blood"}',
        {},
        400,
        ("request body", SURROGATE),
    ),
    "surrogate-in-meta-value": (
        "PATCH",
        "/sample/{sample}",
        '{"meta": {"k": "\\udc00"}}',
        {},
        400,
        (SURROGATE,),
    ),
    "surrogate-in-meta-key": ("PATCH", "/sample/{sample}", '{"meta": {"\\ud800": 1}}', {}, 400, (SURROGATE,)),
    "surrogate-as-raw-bytes": (
        "PATCH",
        "/sample/{sample}",
        b'{"meta": {"k": "\xed\xa0\x80"}}',
        {},
        400,
        (SURROGATE,),
    ),
    "nul-in-meta": ("PATCH", "/sample/{sample}", '{"meta": {"k": "a\\u0000b"}}', {}, 400, (NUL,)),
    "nul-in-external-id": (
        "PUT",
        "/sample/proj/",
        '{"external_ids": {"": "A\\u0000"}, "type": "blood"}',
        {},
        400,
        (NUL,),
    ),
    "nul-in-query-parameter": (
        "GET",
        "/analysis/analysis-runner",
        None,
        {"params": {"project_names": "proj\x00"}},
        400,
        ("'project_names'", NUL),
    ),
    "sample-id-superscript": ("GET", "/sample/XPG1²/history", None, {}, 400, ("'XPG1²'", "ASCII digits")),
    "sample-id-arabic-indic": ("GET", "/sample/XPG١٢/history", None, {}, 400, ("ASCII digits",)),
    "sample-id-fullwidth": ("GET", "/sample/XPG１８/history", None, {}, 400, ("ASCII digits",)),
    "sample-id-5000-digits": ("GET", f"/sample/XPG{'1' * 5000}/history", None, {}, 400, ("out of range",)),
    "participant-id-fullwidth": ("GET", "/participant/１/history", None, {}, 400, ("participant_id",)),
    "participant-id-key-arabic-indic": (
        "POST",
        "/participant/update-many",
        '{"\\u0661": "NEW"}',
        {},
        400,
        ("Invalid participant id '\u0661'", "digits 0-9"),
    ),
    "sg-id-superscript-in-list": (
        "PATCH",
        "/sequencing-group/archive",
        '["CPG1\\u00b2"]',
        {},
        400,
        ("'CPG1²'", "ASCII digits"),
    ),
    "meta-one-level-too-deep": (
        "PATCH",
        "/sample/{sample}",
        json.dumps({"meta": nested(33)}),
        {},
        400,
        ("meta is nested too deeply", "32 levels"),
    ),
    "meta-nested-900-levels": (
        "PATCH",
        "/sample/{sample}",
        json.dumps({"meta": nested(900)}),
        {},
        400,
        ("meta is nested too deeply",),
    ),
    "extra-values-nested-3000-levels": (
        "PATCH",
        "/sample/{sample}",
        '{"meta": {"k": 1}}',
        {"headers": {"sm-extra-values": '{"a": ' + "[" * 3000 + "]" * 3000 + "}"}},
        400,
        ("sm-extra-values", "depth limit"),
    ),
    "extra-values-one-level-too-deep": (
        "PATCH",
        "/sample/{sample}",
        '{"meta": {"k": 1}}',
        {"headers": {"sm-extra-values": json.dumps(nested(33))}},
        400,
        ("sm-extra-values", "nested too deeply"),
    ),
    "too-many-sample-ids": (
        "POST",
        "/sample/",
        json.dumps({"sample_ids": ["{sample}"] * (MAX_ITEMS + 1), "project_ids": ["proj"]}),
        {},
        400,
        ("Too many sample ids", f"at most {MAX_ITEMS:,}", "max_list_items", f"got {MAX_ITEMS + 1:,}"),
    ),
    "too-many-ids-to-map": (
        "POST",
        "/sample/id-map/internal",
        json.dumps(["{sample}"] * (MAX_ITEMS + 1)),
        {},
        400,
        ("max_list_items",),
    ),
    "sample-meta-over-the-bound": (
        "PATCH",
        "/sample/{sample}",
        json.dumps({"meta": {"k": OVER_MIB}}),
        {},
        413,
        ("meta is too large", f"{MIB:,} bytes", "meta_max_bytes"),
    ),
    "project-meta-over-the-bound": (
        "POST",
        "/project/proj/update",
        json.dumps({"meta": {"k": OVER_MIB}}),
        {},
        413,
        ("meta_max_bytes",),
    ),
    "analysis-meta-over-the-bound": (
        "PUT",
        "/analysis/proj/",
        json.dumps(
            {"type": "cram", "status": "queued", "sequencing_group_ids": ["{sg}"], "meta": {"k": OVER_MIB}}
        ),
        {},
        413,
        ("meta_max_bytes",),
    ),
    "pedigree-field-over-128kb": (
        "POST",
        "/family/proj/pedigree",
        None,
        {
            "files": {"file": ("f.ped", f"F\t{'x' * 140_000}\t0\t0\t1\t1\n")},
            "params": {"create_missing_participants": True},
        },
        400,
        ("Pedigree line 1", "field limit"),
    ),
    "pedigree-with-nul": (
        "POST",
        "/family/proj/pedigree",
        None,
        {"files": {"file": ("f.ped", "F A\x00 0 0 1 1\n")}, "params": {"create_missing_participants": True}},
        400,
        ("pedigree file", NUL),
    ),
}


@pytest.mark.parametrize("name", REST_CASES)
def test_rest_refuses_out_of_bounds_input(world: Seeded, name: str) -> None:
    method, path, body, kwargs, status, fragments = REST_CASES[name]
    path = path.format(**world.ids)
    if isinstance(body, str):
        body = body.replace("{sample}", world.ids["sample"]).replace("{sg}", world.ids["sg"])
    response = (
        world.api.call(method, path, **kwargs)
        if body is None
        else send(world.api, method, path, body, **kwargs)
    )
    assert_rejected(response, status, *fragments)


# --- the ingest: all or nothing, the error naming the record ---

INGEST_CASES = {
    "surrogate-in-meta": (
        {"sample": {"external_ids": {"": "Z2"}, "type": "blood", "meta": {"k": "\ud800"}}},
        400,
        ("record 2", SURROGATE),
    ),
    "nul-in-external-id": (
        {"sample": {"external_ids": {"": "A\x00"}, "type": "blood"}},
        400,
        ("record 2", NUL),
    ),
    "meta-over-the-bound": (
        {"sample": {"external_ids": {"": "Z2"}, "type": "blood", "meta": {"k": OVER_MIB}}},
        413,
        ("meta_max_bytes",),
    ),
    "meta-too-deep": (
        {"participant": {"external_ids": {"": "PZ"}, "meta": nested(33)}},
        400,
        ("nested too deeply",),
    ),
}


@pytest.mark.parametrize("name", INGEST_CASES)
def test_ingest_refuses_a_bad_record_after_a_good_one(world: Seeded, name: str) -> None:
    record, status, fragments = INGEST_CASES[name]
    lines = [json.dumps({"sample": sample_with_group("Z1")}), json.dumps(record)]
    response = world.api.call(
        "POST", "/ingest/proj", content="\n".join(lines), headers={"Content-Type": "application/x-ndjson"}
    )
    assert_rejected(response, status, *fragments)


# --- GraphQL: errors found while resolving are GraphQL errors; bad text is refused with the request ---

SAMPLES_BY_META = 'query ($m: JSON) { project(name: "proj") { samples(meta: $m) { id } } }'
GRAPHQL_CASES: dict[str, tuple[str, dict[str, Any], tuple[str, ...]]] = {
    "meta-filter-key-with-quote": (SAMPLES_BY_META, {"m": {'a"b': 1}}, ("Invalid meta filter key", "quotes")),
    "meta-filter-key-with-backslash": (SAMPLES_BY_META, {"m": {"a\\b": 1}}, ("Invalid meta filter key",)),
    "meta-filter-key-empty-part": (SAMPLES_BY_META, {"m": {"a..b": 1}}, ("Invalid meta filter key",)),
    "meta-filter-integer-over-64-bits": (SAMPLES_BY_META, {"m": {"a": 2**64}}, ("out of range", str(2**64))),
    "meta-filter-integer-2-to-63": (SAMPLES_BY_META, {"m": {"a": {"in_": [1, 2**63]}}}, ("out of range",)),
    "meta-filter-too-many-values": (
        SAMPLES_BY_META,
        {"m": {"a": {"in_": list(range(MAX_ITEMS + 1))}}},
        ("max_list_items",),
    ),
    "cursor-over-64-bits": (
        'query { project(name: "proj") { analyses(first: 1, after: "99999999999999999999") { id } } }',
        {},
        ("Invalid cursor", "digits 0-9"),
    ),
    "cursor-2-to-63": (
        f'query {{ project(name: "proj") {{ participants(first: 1, after: "{2**63}") {{ id }} }} }}',
        {},
        ("Invalid cursor",),
    ),
    "cursor-arabic-indic": (
        'query { project(name: "proj") { participants(first: 1, after: "١") { id } } }',
        {},
        ("Invalid cursor",),
    ),
    "sg-cursor-superscript": (
        'query { project(name: "proj") { sequencingGroups(first: 1, after: "CPG1²") { id } } }',
        {},
        ("Invalid sequencing group id", "ASCII digits"),
    ),
    "sample-id-5000-digits": (
        "query ($i: String) { sample(id: {eq: $i}) { id } }",
        {"i": "XPG" + "1" * 5000},
        ("Invalid sample id", "out of range"),
    ),
    "nul-in-a-filter-literal": (
        'query { project(name: "proj") { samples(externalId: {eq: "a\\u0000"}) { id } } }',
        {},
        ("filter value", NUL),
    ),
    "too-many-ids-in-a-filter": (
        "query ($ids: [String!]) { sample(id: {in_: $ids}) { id } }",
        {"ids": ["XPG18"] * (MAX_ITEMS + 1)},
        ("max_list_items",),
    ),
    "mutation-meta-too-deep": (
        "mutation ($s: String!, $m: JSON!) { sample { updateSample(sample: {id: $s, meta: $m}) { id } } }",
        {"s": "{sample}", "m": nested(33)},
        ("meta is nested too deeply",),
    ),
    "mutation-meta-over-the-bound": (
        "mutation ($s: String!, $m: JSON!) { sample { updateSample(sample: {id: $s, meta: $m}) { id } } }",
        {"s": "{sample}", "m": {"k": OVER_MIB}},
        ("meta is too large", "meta_max_bytes"),
    ),
}


@pytest.mark.parametrize("name", GRAPHQL_CASES)
def test_graphql_names_out_of_bounds_input(world: Seeded, name: str) -> None:
    query, variables, fragments = GRAPHQL_CASES[name]
    variables = {k: world.ids["sample"] if v == "{sample}" else v for k, v in variables.items()}
    assert_graphql_error(graphql(world.api, query, variables), *fragments)


@pytest.mark.parametrize(
    ("variables", "fragment"),
    [({"n": "proj\ud800"}, SURROGATE), ({"n": "proj\x00"}, NUL), ({"m": {"a\x00b": 1}}, NUL)],
    ids=["surrogate", "nul", "nul-in-meta-filter-key"],
)
def test_graphql_variables_with_bad_text_are_refused_with_the_request(
    world: Seeded, variables: dict[str, Any], fragment: str
) -> None:
    query = "query ($n: String!) { project(name: $n) { id } }" if "n" in variables else SAMPLES_BY_META
    assert_rejected(graphql(world.api, query, variables), 400, "request body", fragment)


# --- what is taken: the bounds themselves, and proper text that looks like the refused ---


def test_values_at_the_bounds_are_taken_and_read_back(api: Api) -> None:
    api.project("proj")
    sample = api.ok("PUT", "/sample/proj/upsert-many", json=[sample_with_group("S1")])[0]["id"]
    # the largest meta: {"k": "x…"} is 8 bytes besides the value
    deepest, largest = nested(31), {"k": "x" * (MIB - 8)}  # "deep" adds the 32nd level
    paired = "\N{GRINNING FACE} and a backslash-u text: \\u0000 \\ud800"  # no NUL, no surrogate
    api.ok("PATCH", f"/sample/{sample}", json={"meta": {"deep": deepest}})
    body = json.dumps({"meta": {"text": paired}})  # ascii: the emoji goes as the escaped pair \ud83d\ude00
    assert send(api, "PATCH", f"/sample/{sample}", body).status_code == 200
    meta = api.ok("GET", f"/sample/{sample}")["meta"]
    assert meta == {"deep": deepest, "text": paired}
    api.ok("PATCH", f"/sample/{sample}", json={"meta": {"deep": None, "text": None}})
    api.ok("PATCH", f"/sample/{sample}", json={"meta": largest})
    assert api.ok("GET", f"/sample/{sample}")["meta"] == largest
    # integers up to 2**63-1 filter, beyond PostgreSQL's 32-bit INTEGER too (a file size, say)
    api.ok("PATCH", f"/sample/{sample}", json={"meta": {"k": None, "size": 5_000_000_000}})
    found = graphql(api, SAMPLES_BY_META, {"m": {"size": {"in_": [2**63 - 1, 5_000_000_000]}}}).json()
    assert found == {"data": {"project": {"samples": [{"id": sample}]}}}, found


def test_patches_cannot_grow_meta_past_the_bound_so_pages_stay_small(api: Api) -> None:
    """The bound is on the stored meta, not on one patch: two patches of 60% each cannot add up."""
    api.project("proj")
    sample = api.ok("PUT", "/sample/proj/upsert-many", json=[sample_with_group("S1")])[0]["id"]
    part = "x" * (MIB * 6 // 10)
    api.ok("PATCH", f"/sample/{sample}", json={"meta": {"a": part}})
    api.ok("POST", "/project/proj/update", json={"meta": {"a": part}})
    assert_rejected(api.call("PATCH", f"/sample/{sample}", json={"meta": {"b": part}}), 413, "meta_max_bytes")
    assert_rejected(
        api.call("POST", "/project/proj/update", json={"meta": {"b": part}}), 413, "meta_max_bytes"
    )
    assert api.ok("GET", f"/sample/{sample}")["meta"] == {"a": part}
    # what made a 50 MB value cost every page 57 MB and a history 314 MB is now at most the bound a copy
    history = api.call("GET", f"/sample/{sample}/history")
    assert history.status_code == 200 and len(history.content) < 3 * MIB
    project = graphql(api, '{ project(name: "proj") { meta samples { meta } } }')
    assert project.status_code == 200 and len(project.content) < 3 * MIB


def test_the_limits_are_settings(db_url: str, limits: inputs.InputLimits) -> None:
    svc = Service.create(ServerSettings(db=db_url, meta_max_bytes=2048, max_list_items=3), Database(db_url))
    try:
        api = Api(svc)
        api.project("proj")
        sample = api.ok("PUT", "/sample/proj/upsert-many", json=[sample_with_group("S1")])[0]["id"]
        too_large = api.call("PATCH", f"/sample/{sample}", json={"meta": {"k": "x" * 2048}})
        assert_rejected(too_large, 413, "the limit is 2,048 bytes", "meta_max_bytes")
        too_many = api.call("POST", "/sample/id-map/internal", json=[sample] * 4)
        assert_rejected(too_many, 400, "at most 3 in one request", "max_list_items")
        assert api.ok("POST", "/sample/id-map/internal", json=[sample] * 3) == {sample: "S1"}
    finally:
        svc.db.dispose()


def test_database_errors_caused_by_input_are_named_for_rest_and_graphql() -> None:
    """The net under the checks above (``errors.client_error``, used by api/errors.py and GraphQL's
    router): more values than a statement binds is the client's 400, not a 503 inviting a retry."""
    too_many = OperationalError("SELECT", {}, sqlite3.OperationalError("too many SQL variables"))
    pg_too_many = OperationalError(
        "SELECT",
        {},
        Exception("sending query and params failed: number of parameters must be between 0 and 65535"),
    )
    for error in (too_many, pg_too_many):
        named = client_error(error)
        assert isinstance(named, BadRequest) and "max_list_items" in str(named), named
    assert (
        client_error(OperationalError("SELECT", {}, sqlite3.OperationalError("database is locked"))) is None
    )
    surrogate = StatementError(
        "bad", "UPDATE", {}, TypeError("str is not valid UTF-8: surrogates not allowed")
    )
    assert SURROGATE in str(client_error(surrogate))
    assert "out of range" in str(
        client_error(OverflowError("Python int too large to convert to SQLite INTEGER"))
    )
    assert client_error(RuntimeError("a bug")) is None
