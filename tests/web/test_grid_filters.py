"""The sample grid builds its filters' SQL itself (``service.grid``), below the GraphQL front end: it must
stay the SQL of the same GraphQL filter (``graphql.filters``), on both databases, errors included."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from genolog.metadata import tables as t
from genolog.metadata.errors import BadRequest
from genolog.metadata.graphql.filters import GraphQLFilter, conditions, meta_conditions
from genolog.metadata.service import grid

DIALECTS = (sqlite.dialect(), postgresql.dialect())


def sql(condition: sa.ColumnElement[bool], dialect: Any) -> str:
    return str(condition.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


@pytest.mark.parametrize("op", ["eq", "gt", "gte", "lt", "lte", "icontains"])
@pytest.mark.parametrize("value", ["S0", "it's 50%_"])
def test_a_column_filter_is_the_graphql_filter(op: str, value: str) -> None:
    spec: GraphQLFilter[Any] = GraphQLFilter()
    setattr(spec, op, value)
    [expected] = conditions(t.sample.c.type, spec)
    for dialect in DIALECTS:
        assert sql(grid._compare(t.sample.c.type, op, value), dialect) == sql(expected, dialect)


@pytest.mark.parametrize(
    ("op", "value"),
    [("eq", 5), ("gt", 2**40), ("lte", 2.5), ("eq", "north"), ("icontains", "NO"), ("isnull", True)],
)
def test_a_meta_filter_is_the_graphql_meta_filter(op: str, value: Any) -> None:
    [expected] = meta_conditions(t.sample.c.meta, {"site": {op: value}})
    found = grid._meta_condition(t.sample.c.meta, "site", op, value)
    for dialect in DIALECTS:
        assert sql(found, dialect) == sql(expected, dialect)


@pytest.mark.parametrize(
    ("key", "op", "value"), [("site", "gt", 2**70), ('si"te', "eq", "x"), ("site", "eq", "a\x00b")]
)
def test_a_bad_filter_is_refused_as_graphql_refuses_it(key: str, op: str, value: Any) -> None:
    with pytest.raises(BadRequest) as expected:
        meta_conditions(t.sample.c.meta, {key: {op: value}})
    with pytest.raises(BadRequest) as found:
        grid._meta_condition(t.sample.c.meta, key, op, value)
    assert str(found.value) == str(expected.value)
