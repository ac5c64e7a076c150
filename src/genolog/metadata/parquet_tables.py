"""Parquet tables of entities, written a row group at a time so that a whole table is never in memory.

Metamist's exports flatten each entity's ``meta`` into ``meta_<key>`` columns and its external ids into
``external_id`` (the primary organisation's) and ``external_id_<organisation>`` columns; DuckDB infers each
meta column's type from every row. Here the types are inferred the same way in a first pass over the
metas (``MetaColumns.add``), so the schema is known before the first row group is written:

- booleans, integers (64-bit), floats (integers mixed with floats are floats) and strings as such;
- objects as structs of their keys' types, lists as lists of their items' types, both recursively;
- a key whose values disagree in kind (a string here, a number there), or an object without keys, as
  JSON text; a key that is only ever null as a string column of nulls.

Meta columns, and the fields of structs, are in the order of their keys' names (the databases keep JSON
keys in orders of their own).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

NULL, BOOL, INT, FLOAT, STR, JSON = "null", "bool", "int", "float", "str", "json"
_INT64 = (-(2**63), 2**63 - 1)


@dataclass(frozen=True)
class ListOf:
    item: Inferred


@dataclass(frozen=True)
class StructOf:
    fields: dict[str, Inferred] = field(hash=False)


Inferred = str | ListOf | StructOf


def infer(value: Any) -> Inferred:
    """The type of one JSON value."""
    if value is None:
        return NULL
    if isinstance(value, bool):  # before int: a bool is an int to Python
        return BOOL
    if isinstance(value, int):
        return INT if _INT64[0] <= value <= _INT64[1] else FLOAT
    if isinstance(value, float):
        return FLOAT
    if isinstance(value, str):
        return STR
    if isinstance(value, list):
        item: Inferred = NULL
        for element in value:
            item = merge(item, infer(element))
        return ListOf(item)
    if isinstance(value, dict):
        return StructOf({str(k): infer(v) for k, v in value.items()})
    return JSON


def merge(a: Inferred, b: Inferred) -> Inferred:
    """The type that holds values of both types."""
    if a == NULL:
        return b
    if b == NULL or a == b:
        return a
    if {a, b} == {INT, FLOAT}:
        return FLOAT
    if isinstance(a, ListOf) and isinstance(b, ListOf):
        return ListOf(merge(a.item, b.item))
    if isinstance(a, StructOf) and isinstance(b, StructOf):
        fields = dict(a.fields)
        for key, kind in b.fields.items():
            fields[key] = merge(fields[key], kind) if key in fields else kind
        return StructOf(fields)
    return JSON


def _as_text(kind: Inferred) -> bool:
    return kind in (JSON, NULL) or (isinstance(kind, StructOf) and not kind.fields)


def arrow_type(kind: Inferred) -> pa.DataType:
    if _as_text(kind) or kind == STR:
        return pa.string()
    if isinstance(kind, ListOf):
        return pa.list_(arrow_type(kind.item))
    if isinstance(kind, StructOf):
        return pa.struct([pa.field(k, arrow_type(v)) for k, v in sorted(kind.fields.items())])
    return {BOOL: pa.bool_(), INT: pa.int64(), FLOAT: pa.float64()}[kind]


def convert(value: Any, kind: Inferred) -> Any:
    """``value`` as a column of ``arrow_type(kind)`` takes it; None for a value that does not fit (one
    changed since the types were inferred: the passes may see different rows on PostgreSQL)."""
    if value is None or kind == NULL:
        return None
    if kind == JSON or (isinstance(kind, StructOf) and not kind.fields):
        return orjson.dumps(value).decode()
    if isinstance(kind, ListOf):
        return [convert(v, kind.item) for v in value] if isinstance(value, list) else None
    if isinstance(kind, StructOf):
        return (
            {k: convert(value.get(k), v) for k, v in kind.fields.items()} if isinstance(value, dict) else None
        )
    found = infer(value)
    if kind == FLOAT and found in (INT, FLOAT):
        return float(value)  # an integer beyond 64 bits too
    return value if found == kind else None


class MetaColumns:
    """The ``meta_<key>`` columns of a table: every row's meta is ``add``-ed first, then ``arrays`` builds
    a row group's columns."""

    def __init__(self) -> None:
        self.kinds: dict[str, Inferred] = {}

    def add(self, meta: Mapping[str, Any]) -> None:
        kinds = self.kinds
        for key, value in meta.items():
            kind = infer(value)
            kinds[key] = merge(kinds[key], kind) if key in kinds else kind

    def fields(self) -> list[pa.Field]:
        return [pa.field(f"meta_{key}", arrow_type(kind)) for key, kind in sorted(self.kinds.items())]

    def arrays(self, metas: list[Mapping[str, Any]]) -> list[pa.Array]:
        return [
            pa.array([convert(m.get(key), kind) for m in metas], type=arrow_type(kind))
            for key, kind in sorted(self.kinds.items())
        ]


def external_id_fields(organisations: Iterable[str]) -> list[pa.Field]:
    """``external_id`` (the primary organisation, ``''``) and ``external_id_<organisation>`` for the others."""
    return [pa.field("external_id", pa.string())] + [
        pa.field(f"external_id_{org}", pa.string()) for org in organisations if org
    ]


def external_id_arrays(organisations: Iterable[str], rows: list[Mapping[str, str]]) -> list[pa.Array]:
    orgs = [""] + [org for org in organisations if org]
    return [pa.array([r.get(org) for r in rows], type=pa.string()) for org in orgs]


class _Drain(io.RawIOBase):
    """A sink keeping what was written since it was last ``taken``."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._parts.append(chunk)
        self._position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._position

    def taken(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


class StreamedTable:
    """A Parquet file written one row group at a time; each call answers the bytes written since the last."""

    def __init__(self, schema: pa.Schema) -> None:
        self.schema = schema
        self._sink = _Drain()
        self._writer = pq.ParquetWriter(self._sink, schema)

    def row_group(self, arrays: list[pa.Array]) -> bytes:
        table = pa.Table.from_arrays(arrays, schema=self.schema)
        self._writer.write_table(table, row_group_size=max(1, table.num_rows))
        return self._sink.taken()

    def close(self) -> bytes:
        """The file's end (its footer)."""
        self._writer.close()
        return self._sink.taken()
