"""PostgreSQL: what one upsert request reads and runs does not grow with the project.

A request of new samples looks their external ids up; the lookup must probe the given keys, not read the
project's rows. The statistics the planner needs are made when a table has none or has quadrupled, not by
every request.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import pytest
import sqlalchemy as sa

from genolog.metadata.service import Service
from tests.metadata.support import Api, sample_with_group

pytestmark = pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


def ingest(api: Api, first: int, count: int, project: str = "proj") -> None:
    """``count`` new samples (each with a sequencing group and an assay) through the bulk ingest."""
    body = b"".join(
        orjson.dumps({"sample": sample_with_group(f"{project}-S{i}")}) + b"\n"
        for i in range(first, first + count)
    )
    response = api.call(
        "POST", f"/ingest/{project}", content=body, headers={"Content-Type": "application/x-ndjson"}
    )
    assert response.status_code == 200, response.text


def upsert_many(api: Api, first: int, count: int, project: str = "proj") -> None:
    body = [sample_with_group(f"{project}-S{i}") for i in range(first, first + count)]
    assert len(api.ok("PUT", f"/sample/{project}/upsert-many", json=body)) == count


@contextmanager
def statements(svc: Service) -> Iterator[list[tuple[str, Any]]]:
    """The statements (and their parameters) the service sends while the block runs."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    sa.event.listen(svc.db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(svc.db.engine, "before_cursor_execute", record)


def rows_read(plan: dict[str, Any], table: str) -> int:
    """Rows the plan's scans of ``table`` looked at: those they returned and those their filters dropped
    (EXPLAIN gives each per loop)."""
    read = 0
    if plan.get("Relation Name") == table:
        dropped = plan.get("Rows Removed by Filter", 0) + plan.get("Rows Removed by Index Recheck", 0)
        read += (plan["Actual Rows"] + dropped) * plan.get("Actual Loops", 1)
    return read + sum(rows_read(child, table) for child in plan.get("Plans", []))


def analysed(seen: list[tuple[str, Any]]) -> list[list[str]]:
    """The tables each ANALYZE among the statements named."""
    return [re.findall(r"(\w+) \(", s) for s, _ in seen if s.lstrip().upper().startswith("ANALYZE")]


def test_a_chunks_external_id_lookup_reads_the_given_keys_not_the_project(api: Api, svc: Service) -> None:
    api.project("proj")
    api.project("other")
    ingest(api, 0, 2_000)
    ingest(api, 0, 2_000, project="other")
    with svc.db.write() as conn:  # statistics as they would be: the planner then prices a scan as cheap
        conn.exec_driver_sql("ANALYZE")
    with statements(svc) as seen:
        upsert_many(api, 2_000, 300)
    lookups = [(s, p) for s, p in seen if "FROM sample_external_id" in s and "external_id" in s]
    assert lookups, "the request looked no external id up"
    for statistics in ("analysed", "none"):
        with svc.db.write() as conn:
            if statistics == "none":  # as on a table never analysed (superuser only)
                conn.exec_driver_sql(
                    "DELETE FROM pg_statistic WHERE starelid = 'sample_external_id'::regclass"
                )
            for statement, parameters in lookups:
                explain = f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}"
                [plan] = conn.exec_driver_sql(explain, parameters).scalar()
                # 300 keys, none there yet: a probe per key reads nothing, a scan of the project 2,000 rows
                assert rows_read(plan["Plan"], "sample_external_id") <= 300, (statistics, plan)


def test_statistics_are_made_when_missing_or_outgrown_not_by_every_request(api: Api, svc: Service) -> None:
    api.project("proj")
    with statements(svc) as seen:
        ingest(api, 0, 2_000)  # the tables grow from empty: analysed on the way, inside the request
    assert analysed(seen)
    with svc.db.write() as conn:  # every table analysed at its present size
        conn.exec_driver_sql("ANALYZE")
    with statements(svc) as seen:
        upsert_many(api, 2_000, 500)
        upsert_many(api, 2_500, 500)
    assert analysed(seen) == []
    with svc.db.write() as conn:  # as if the assay table had never been analysed (superuser only)
        conn.exec_driver_sql("DELETE FROM pg_statistic WHERE starelid = 'assay'::regclass")
    with statements(svc) as seen:
        upsert_many(api, 3_000, 500)
        upsert_many(api, 3_500, 500)
    assert analysed(seen) == [["assay"]]  # the first request, and only the table without statistics
    with svc.db.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM pg_stats WHERE tablename = 'assay'").scalar()
