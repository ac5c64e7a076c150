"""GraphQL's bounds: fragments expanded once per selection, limits measured along each path, no parsing
before authentication, a document cache bounded in bytes, clear errors, and a time limit."""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from graphql import GraphQLError

from genolog.metadata.context import Tx
from genolog.metadata.db import statement_time_limit
from genolog.metadata.graphql import router
from genolog.metadata.graphql.context import GraphQLContext
from genolog.metadata.graphql.fast import DEFINITION_BACKREF, FastExecutor, Prepared
from genolog.metadata.graphql.limits import MAX_DEPTH
from genolog.metadata.graphql.query import schema
from genolog.metadata.permissions import Caller
from genolog.metadata.service import Service
from tests.metadata.support import Api, sample_with_group
from tests.metadata.test_graphql import gql


def chain(levels: int, on: str, selection: str) -> str:
    """Fragments each spreading the next one twice: 2^levels spreads if expanded at every spread."""
    fragments = " ".join(
        f"fragment F{i} on {on} {{ {selection} ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    )
    return f"{fragments} fragment F{levels} on {on} {{ {selection} }}"


@pytest.fixture
def server_heap() -> Iterator[None]:
    """The heap a served process has: ``server.serve`` freezes what exists at start, so its collections
    scan only what requests made since. Without this, a collection during a timed request scans the whole
    test session's heap (a gigabyte late in a full run: 4.9 s once in CI), which no server has."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


@pytest.fixture
def reader(api: Api) -> str:
    api.project("proja", members={"rita": ["reader"]})
    api.ok("PUT", "/sample/proja/upsert-many", json=[sample_with_group("S1"), sample_with_group("S2")])
    return "rita"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (  # the document: 2^30 spreads of one fragment on the root
            "query { ...F0 } " + chain(30, "Query", "metamistSettings { samplePrefix }"),
            {"metamistSettings": {"samplePrefix": "XPG"}},
        ),
        (  # the same under a list, with a relation in every fragment
            '{ project(name: "proja") { ...F0 } } '
            + chain(30, "GraphQLProject", "name samples { externalId }"),
            {"project": {"name": "proja", "samples": [{"externalId": "S1"}, {"externalId": "S2"}]}},
        ),
    ],
)
@pytest.mark.usefixtures("server_heap")
def test_a_fragment_chain_of_30_levels_is_answered_within_a_second(
    api: Api, reader: str, query: str, expected: dict[str, Any]
) -> None:
    started = time.perf_counter()
    body = gql(api, query, user=reader)
    assert time.perf_counter() - started < 1.0
    assert body == {"data": expected}
    tracemalloc.start()  # and again, as a document not cached yet: the server's memory stays put
    try:
        assert gql(api, query + " ", user=reader) == body
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000


@pytest.mark.usefixtures("server_heap")
def test_the_fast_executor_expands_a_fragment_once_per_selection(svc: Service) -> None:
    """graphql-core's collect_fields skips a fragment already spread into the selection; so does ours:
    without that, this walk visits 2^30 spreads."""
    prepared = FastExecutor(schema).prepare("query { ...F0 } " + chain(30, "Query", "__typename"))
    assert prepared.errors == []
    started = time.perf_counter()
    with svc.db.read() as conn:
        context = GraphQLContext(Tx(conn, svc.codecs), Caller("rita", set(), {}))
        assert FastExecutor(schema).execute(prepared, None, None, {"genolog": context}) == {
            "__typename": "Query"
        }
    assert time.perf_counter() - started < 1.0


@pytest.mark.usefixtures("server_heap")
def test_an_answer_doubling_at_each_of_30_levels_is_refused_within_a_second(api: Api, reader: str) -> None:
    """Aliased copies are not merged: the answer would be 2^30 wide. The measure looks at each fragment's
    fields once, so it refuses that at once."""
    both = "a: sequencingGroups { sample { ...F{next} } } b: sequencingGroups { sample { ...F{next} } }"
    fragments = " ".join(
        f"fragment F{i} on GraphQLSample {{ {both.replace('{next}', str(i + 1))} }}" for i in range(30)
    )
    query = f'{{ project(name: "proja") {{ samples {{ ...F0 }} }} }} {fragments} fragment F30 on GraphQLSample {{ id }}'
    started = time.perf_counter()
    body = gql(api, query, user=reader)
    assert time.perf_counter() - started < 1.0
    assert body["data"] is None
    messages = " ".join(e["message"] for e in body["errors"])
    assert "is 63 levels deep" in messages and "could return about" in messages


# A fragment spread both beside a field and inside it: the old measure, after measuring the first spread,
# skipped every later spread of that fragment in the selection and below it.
DEEP = "fragment D on GraphQLSample { sequencingGroups { sample { sequencingGroups { sample { externalId } } } } }"
COSTLY = "fragment C on GraphQLSample { sequencingGroups { assays { sample { sequencingGroups { id } } } } }"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            '{ project(name: "proja") { samples { ...D sequencingGroups { sample { sequencingGroups { sample { ...D } } } } } } } '
            + DEEP,
            f"is 11 levels deep; the limit is {MAX_DEPTH}",
        ),
        (
            '{ project(name: "proja") { samples { ...C sequencingGroups { sample { ...C } } } } } ' + COSTLY,
            "could return about 133,312 objects",  # C costs 1,211, and 100 times that inside
        ),
    ],
)
def test_a_fragment_spread_beside_its_own_copy_no_longer_escapes_the_limits(
    api: Api, reader: str, query: str, message: str
) -> None:
    body = gql(api, query, user=reader)
    assert body["data"] is None
    assert [e["message"] for e in body["errors"] if message in e["message"]], body


@pytest.mark.usefixtures("server_heap")
def test_one_field_repeated_hundreds_of_times_is_refused_before_graphql_core_compares_the_copies(
    api: Api, reader: str
) -> None:
    started = time.perf_counter()
    body = gql(api, "{ " + "metamistSettings { samplePrefix } " * 1000 + "}", user=reader)
    assert time.perf_counter() - started < 1.0
    assert body["data"] is None
    assert body["errors"][0]["message"].startswith(
        "Query selects 'metamistSettings' 1000 times in one selection"
    )


def test_documents_over_the_token_budget_are_refused(api: Api, reader: str) -> None:
    api.svc.settings.graphql_max_tokens = 500
    body = gql(
        api,
        "{ " + " ".join(f"a{i}: metamistSettings {{ samplePrefix }}" for i in range(200)) + " }",
        user=reader,
    )
    assert body["data"] is None
    assert "Document contains more than 500 tokens" in body["errors"][0]["message"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-token"}])
def test_an_unauthenticated_document_is_refused_unparsed(
    api: Api, monkeypatch: pytest.MonkeyPatch, headers: dict[str, str]
) -> None:
    def never(*_args: Any) -> Prepared:
        raise AssertionError("parsed before authentication")

    cached = router.fast_executor.cached_documents
    monkeypatch.setattr(router.fast_executor, "prepare", never)
    big = "{ " + "metamistSettings { samplePrefix } " * 30_000 + "}"  # 1 MB
    response = api.client.post("/graphql", json={"query": big}, headers=headers)
    assert response.status_code == 401, response.text
    assert response.json()["name"] == "Unauthenticated"
    assert router.fast_executor.cached_documents == cached


def test_the_document_cache_is_bounded_in_bytes() -> None:
    executor = FastExecutor(schema, cache_bytes=100_000)
    queries = [f"{{ a{i}: metamistSettings {{ samplePrefix }} }}" for i in range(100)]
    prepared = [executor.prepare(query) for query in queries]
    assert 0 < executor.cached_bytes <= 100_000
    assert 10 < executor.cached_documents < 100
    assert executor.cached_bytes == sum(p.size for p in prepared[-executor.cached_documents :])
    # the most recent stay, the oldest went first
    assert executor.prepare(queries[-1]) is prepared[-1]
    assert executor.prepare(queries[0]) is not prepared[0]
    # a document estimated at over a sixteenth of the bound is not cached at all
    before = executor.cached_documents, executor.cached_bytes
    big = "{ " + " ".join(f"a{i}: metamistSettings {{ samplePrefix }}" for i in range(50)) + " }"
    assert executor.prepare(big).size > 100_000 // 16
    assert (executor.cached_documents, executor.cached_bytes) == before


def test_an_unknown_operation_name_is_graphqls_own_error(api: Api, reader: str) -> None:
    query = "query A { metamistSettings { samplePrefix } } query B { viewer { username } }"
    response = api.call("POST", "", user=reader, base="/graphql", json={"query": query, "operationName": "C"})
    assert response.status_code == 200
    assert response.json() == {"data": None, "errors": [{"message": "Unknown operation named 'C'."}]}
    unnamed = gql(api, query, user=reader)
    assert unnamed["errors"] == [
        {"message": "Must provide operation name if query contains multiple operations."}
    ]
    mutation = api.call(
        "POST",
        "",
        user=reader,
        base="/graphql",
        json={"query": "mutation M { __typename }", "operationName": "N"},
    )
    assert mutation.json()["errors"] == [{"message": "Unknown operation named 'N'."}]


@pytest.mark.parametrize("value", [2**31, 2**40, -(2**31) - 1])
def test_an_int_over_32_bits_is_graphqls_own_error(api: Api, reader: str, value: int) -> None:
    query = 'query ($n: Int) { project(name: "proja") { samples(first: $n) { id } } }'
    body = gql(api, query, {"n": value}, user=reader)
    [error] = body["errors"]
    assert error["message"] == (
        f"Variable '$n' got invalid value {value}; Int cannot represent non 32-bit signed integer value: {value}"
    )
    literal = gql(api, f'{{ project(name: "proja") {{ samples(first: {value}) {{ id }} }} }}', user=reader)
    assert any(
        e["message"] == f"Int cannot represent non 32-bit signed integer value: {value}"
        for e in literal["errors"]
    ), literal


@pytest.fixture
def slow_settings(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """``metamistSettings`` made to take ``seconds``, in both executors."""
    query_type = schema._schema.query_type
    assert query_type is not None
    resolver = query_type.fields["metamistSettings"].extensions[DEFINITION_BACKREF].base_resolver
    original = resolver.wrapped_func

    def slow_by(seconds: float) -> None:
        def slow(*args: Any, **kwargs: Any) -> Any:
            time.sleep(seconds)
            return original(*args, **kwargs)

        monkeypatch.setattr(resolver, "wrapped_func", slow)

    return slow_by


@pytest.mark.parametrize(
    "extra",
    ["", "__schema { queryType { name } }"],  # introspection: strawberry runs the whole query
    ids=["fast executor", "strawberry"],
)
@pytest.mark.usefixtures("server_heap")
def test_a_query_past_the_time_limit_stops_with_a_clear_error(
    api: Api, reader: str, slow_settings: Callable[[float], None], extra: str
) -> None:
    api.svc.settings.graphql_time_limit = 0.3
    slow_settings(0.2)
    fields = " ".join(f"s{i}: metamistSettings {{ samplePrefix }}" for i in range(20))
    started = time.perf_counter()
    body = gql(api, f"{{ {fields} {extra} }}", user=reader)
    assert time.perf_counter() - started < 2.0  # 4 s if it ran to the end
    assert body == {
        "data": None,
        "errors": [
            {
                "message": "The query ran past the time limit of 0.3 s and was stopped. "
                "Ask for less: fewer nested lists, or smaller pages with first/after."
            }
        ],
    }
    slow_settings(0)
    assert gql(api, f"{{ {fields} }}", user=reader)["data"]["s19"] == {"samplePrefix": "XPG"}


def test_a_slow_statement_is_cancelled_at_the_limit(svc: Service) -> None:
    slow = (
        "SELECT pg_sleep(10)"
        if svc.db.engine.dialect.name == "postgresql"
        else "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 1000000000) SELECT count(*) FROM n"
    )
    started = time.perf_counter()
    with svc.db.read() as conn:
        with pytest.raises(sa.exc.OperationalError), statement_time_limit(conn, 0.2):
            conn.exec_driver_sql(slow)
        elapsed = time.perf_counter() - started
        if svc.db.is_sqlite:  # the interrupt is gone with the block: the connection serves others again
            assert (
                conn.exec_driver_sql(
                    "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 100000) SELECT count(*) FROM n"
                ).scalar()
                == 100000
            )
    assert elapsed < 3.0


def test_a_reads_time_limit_is_its_own(svc: Service) -> None:
    """On PostgreSQL a read's limit is set by its BEGIN, or on the session of a read without a transaction
    (the GraphQL route's); it cancels that read's statements and no later transaction's on the connection."""
    if svc.db.is_sqlite:
        pytest.skip(
            "SQLite's limit is statement_time_limit's alone (test_a_slow_statement_is_cancelled_at_the_limit)"
        )
    for transaction in (True, False):
        with svc.db.read(0.2, transaction=transaction) as conn, pytest.raises(sa.exc.OperationalError):
            conn.exec_driver_sql("SELECT pg_sleep(10)")
        with svc.db.read(0.2, transaction=transaction) as conn:  # the connection serves reads again
            assert conn.exec_driver_sql("SELECT 1").scalar() == 1
        with svc.db.write() as conn:
            conn.exec_driver_sql("SELECT pg_sleep(0.3)")
            assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "0"
        with svc.db.read() as conn:
            assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "0"


def test_graphql_errors_from_coercion_are_not_reported_as_server_errors() -> None:
    wrapped = GraphQLError(
        "Variable '$n' got invalid value", original_error=GraphQLError("Int cannot represent")
    )
    assert router._error(wrapped)["message"] == "Variable '$n' got invalid value"
