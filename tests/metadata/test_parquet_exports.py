"""The Parquet exports' inner workings: row groups written as rows are read, and meta columns typed from
every row (the published client's view of them is in test_client_ops_participants/samples)."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from genolog.metadata import parquet_tables as pt
from genolog.metadata.service import exports
from tests.metadata.support import Api


def test_meta_columns_take_every_rows_kind() -> None:
    metas = [
        {"n": 1, "mixed": "a", "deep": {"x": 1}, "tags": [], "none": None, "empty": {}},
        {"n": 2.5, "mixed": 3, "deep": {"y": [True]}, "tags": ["t", None], "big": 2**70},
        {"deep": None, "flag": True, "flagged": 1},
        {"flagged": False},
    ]
    columns = pt.MetaColumns()
    for meta in metas:
        columns.add(meta)
    schema = pa.schema(columns.fields())
    assert {f.name: str(f.type) for f in schema} == {
        "meta_big": "double",
        "meta_deep": "struct<x: int64, y: list<item: bool>>",
        "meta_empty": "string",  # an object without keys: JSON text
        "meta_flag": "bool",
        "meta_flagged": "string",  # an integer and a boolean: JSON text
        "meta_mixed": "string",
        "meta_n": "double",
        "meta_none": "string",
        "meta_tags": "list<item: string>",
    }
    table = pa.Table.from_arrays(columns.arrays(metas), schema=schema)
    rows = table.to_pylist()
    assert rows[0]["meta_deep"] == {"x": 1, "y": None} and rows[1]["meta_deep"] == {"x": None, "y": [True]}
    assert [r["meta_mixed"] for r in rows] == ['"a"', "3", None, None]  # as DuckDB's JSON columns hold them
    assert [r["meta_flagged"] for r in rows] == [None, None, "1", "false"]
    assert [r["meta_n"] for r in rows] == [1.0, 2.5, None, None]
    assert rows[0]["meta_empty"] == "{}" and rows[1]["meta_big"] == float(2**70)
    # a value that no longer fits its column (changed between the two passes) is left out, not an error
    assert pt.convert("text", pt.INT) is None and pt.convert([1], pt.StructOf({"a": pt.INT})) is None


def test_exports_write_a_row_group_at_a_time(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports, "ROWS_PER_GROUP", 2)
    api.project("proj", {"reader": ["reader"]})
    api.ok(
        "PUT",
        "/sample/proj/upsert-many",
        json=[{"external_ids": {"": f"S{i}"}, "type": "blood", "meta": {"i": i}} for i in range(5)],
    )
    with api.client.stream(
        "GET", "/api/v1/sample/proj/export/sample_table.parquet", headers=api.user("reader")
    ) as response:
        assert response.status_code == 200
        chunks = list(response.iter_raw())
    data = b"".join(chunks)
    assert data.startswith(b"PAR1") and data.endswith(b"PAR1")
    file = pq.ParquetFile(io.BytesIO(data))
    assert file.metadata.num_row_groups == 3
    assert [r["meta_i"] for r in file.read().to_pylist()] == [0, 1, 2, 3, 4]
