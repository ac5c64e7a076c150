"""Benchmark: the seeds' GraphQL queries against projects of 1,000 to 100,000 sequencing groups.

    python benchmarks/graphql/bench_graphql.py                      # SQLite, 1k and 10k
    python benchmarks/graphql/bench_graphql.py --sizes 1000 10000 100000 --postgres postgresql://postgres@127.0.0.1/postgres
    python benchmarks/graphql/bench_graphql.py --sizes 1000 --postgres postgresql://postgres@127.0.0.1/postgres \
        --metamist http://127.0.0.1:8765 --metamist-mysql sm_dev      # the real Metamist side by side

For each size it builds a project (seeded: each sequencing group has a sample with an external id and one
assay with two read files; one analysis per ten groups) straight through SQL, starts `genolog serve` in its own process, and
times over HTTP:

- sgs:      project { sequencingGroups { id externalIds assays { meta } sample { externalId } } }
- analyses: project { analyses { active id output type meta } }

against two baselines: Metamist, and hand-written SQL that fetches the same rows and serialises the same
JSON in-process (no HTTP). Metamist is either its recorded figures on this machine class (REFERENCE 1.12:
0.44-0.66 s for 1,000 groups, about 0.55 s of Python per 1,000 beyond that) or, with ``--metamist URL``, a
running Metamist (/work/shared/tools/metamist-local/README.md) into which the same projects are loaded
through its API (metamist_side.py) and whose answer to the sgs query is timed right after genolog's on
each database, the ratio taken against that. It prints the median time (and the server's mean CPU time
per query, and on PostgreSQL the database processes' CPU time: steadier than the wall time on a busy
machine), the ratio to each baseline and, with ``--metamist``, a summary of the three side by side. The
memory of paged reads is bench_paging.py's.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for _support

from _support import Served, database_cpu_between, genolog_serve, scratch_postgres
from metamist_side import Metamist

from genolog.metadata import tables as t
from genolog.metadata.db import Database
from genolog.metadata.server import tune_interpreter
from genolog.metadata.service import Service
from genolog.metadata.settings import ServerSettings

SGS_QUERY = """query ($p: String!) { project(name: $p) { sequencingGroups {
  id externalIds assays { meta } sample { externalId } } } }"""
ANALYSES_QUERY = """query ($p: String!) { project(name: $p) { analyses { active id output type meta } } }"""


def metamist_seconds(groups: int) -> float:
    """Metamist's time for the sgs query (REFERENCE 1.12: ~0.5 s at 1,000, 3.3 s at 5,000; linear)."""
    return 0.5 + (groups - 1000) * 0.0007 if groups >= 1000 else 0.017 + groups * 0.00048


def assay_meta(name: str, i: int, rng: random.Random, now: datetime) -> dict[str, Any]:
    """The meta of sample ``i``'s sequencing assay: two read files."""
    reads = [
        {
            "location": f"gs://upload/{name}-S{i}_{r}.fastq.gz",
            "basename": f"{name}-S{i}_{r}.fastq.gz",
            "class": "File",
            "checksum": None,
            "size": rng.randrange(10**9, 3 * 10**10),
            "datetime_added": now.isoformat(),
        }
        for r in (1, 2)
    ]
    return {
        "reads_type": "fastq",
        "reads": reads,
        "sequencing_type": "genome",
        "sequencing_technology": "short-read",
        "sequencing_platform": "illumina",
    }


def populate(db: Database, name: str, groups: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    with db.write() as conn:
        audit = conn.execute(
            t.audit_log.insert().values(timestamp=now, author="bench", meta={}).returning(t.audit_log.c.id)
        ).scalar_one()
        project_id = conn.execute(
            t.project.insert()
            .values(name=name, dataset=name, meta={}, audit_log_id=audit)
            .returning(t.project.c.id)
        ).scalar_one()
        conn.execute(t.project_member.insert().values(project_id=project_id, member="bench", role="reader"))
        base = conn.execute(sa.select(sa.func.coalesce(sa.func.max(t.sample.c.id), 0))).scalar_one()
        for start in range(0, groups, 5000):
            ids = range(base + start + 1, base + min(start + 5000, groups) + 1)
            conn.execute(
                t.sample.insert(),
                [
                    {
                        "id": i,
                        "project_id": project_id,
                        "type": "blood",
                        "active": True,
                        "meta": {},
                        "created_at": now,
                    }
                    for i in ids
                ],
            )
            conn.execute(
                t.sample_external_id.insert(),
                [
                    {"project_id": project_id, "sample_id": i, "name": "", "external_id": f"{name}-S{i}"}
                    for i in ids
                ],
            )
            conn.execute(
                t.assay.insert(),
                [
                    {
                        "id": i,
                        "sample_id": i,
                        "type": "sequencing",
                        "meta": assay_meta(name, i, rng, now),
                    }
                    for i in ids
                ],
            )
            conn.execute(
                t.sequencing_group.insert(),
                [
                    {
                        "id": i,
                        "sample_id": i,
                        "project_id": project_id,
                        "type": "genome",
                        "technology": "short-read",
                        "platform": "illumina",
                        "meta": {},
                        "archived": False,
                    }
                    for i in ids
                ],
            )
            conn.execute(
                t.sequencing_group_assay.insert(), [{"sequencing_group_id": i, "assay_id": i} for i in ids]
            )
            conn.execute(
                t.sequencing_group_external_id.insert(),
                [
                    {
                        "project_id": project_id,
                        "sequencing_group_id": i,
                        "name": "",
                        "external_id": f"{name}-SG{i}",
                    }
                    for i in ids
                ],
            )
            analysis_ids = [i for i in ids if i % 10 == 0]
            if analysis_ids:
                conn.execute(
                    t.analysis.insert(),
                    [
                        {
                            "id": i,
                            "project_id": project_id,
                            "type": "web",
                            "status": "completed",
                            "output": f"gs://web/{i}.html",
                            "meta": {"display_url": f"http://web/{i}.html"},
                            "active": True,
                            "created_at": now,
                        }
                        for i in analysis_ids
                    ],
                )
                conn.execute(
                    t.analysis_sequencing_group.insert(),
                    [{"analysis_id": i, "sequencing_group_id": i} for i in analysis_ids],
                )
    if db.engine.dialect.name == "postgresql":  # explicit ids leave the sequences behind
        with db.write() as conn:
            for table in ("sample", "assay", "sequencing_group", "analysis"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
                )
    # Planner statistics, as autovacuum would have them after a load (and ANALYZE on SQLite).
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")


def hand_written(db: Database, name: str, codecs: Any) -> Callable[[], bytes]:
    """The same rows as the sgs query, fetched with plain SQL and serialised with orjson."""

    def run() -> bytes:
        with db.read() as conn:
            project_id = conn.execute(sa.select(t.project.c.id).where(t.project.c.name == name)).scalar_one()
            sgs = conn.execute(
                sa.select(t.sequencing_group.c.id, t.sequencing_group.c.sample_id)
                .join(t.sample)
                .where(t.sample.c.project_id == project_id, t.sequencing_group.c.archived.is_(False))
                .order_by(t.sequencing_group.c.id)
            ).all()
            sg_ids = [r[0] for r in sgs]
            eids: dict[int, dict[str, str]] = {}
            for sg_id, org, value in conn.execute(
                sa.select(
                    t.sequencing_group_external_id.c.sequencing_group_id,
                    t.sequencing_group_external_id.c.name,
                    t.sequencing_group_external_id.c.external_id,
                ).where(t.sequencing_group_external_id.c.project_id == project_id)
            ):
                eids.setdefault(sg_id, {})[org] = value
            assays: dict[int, list[Any]] = {}
            for sg_id, meta in conn.execute(
                sa.select(t.sequencing_group_assay.c.sequencing_group_id, t.assay.c.meta)
                .join(t.assay, t.assay.c.id == t.sequencing_group_assay.c.assay_id)
                .join(t.sample, t.sample.c.id == t.assay.c.sample_id)
                .where(t.sample.c.project_id == project_id)
            ):
                assays.setdefault(sg_id, []).append({"meta": meta})
            sample_eids = dict(
                conn.execute(
                    sa.select(t.sample_external_id.c.sample_id, t.sample_external_id.c.external_id).where(
                        t.sample_external_id.c.project_id == project_id, t.sample_external_id.c.name == ""
                    )
                ).all()
            )
        fmt = codecs.sequencing_group.format
        groups = [
            {
                "id": fmt(sg_id),
                "externalIds": eids.get(sg_id, {}),
                "assays": assays.get(sg_id, []),
                "sample": {"externalId": sample_eids.get(sample_id, "")},
            }
            for sg_id, sample_id in sgs
        ]
        del sg_ids
        return orjson.dumps({"data": {"project": {"sequencingGroups": groups}}})

    return run


def timed(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median wall time and the last result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def timed_server_cpu(run: Callable[[], Any], repeat: int, server: Served) -> tuple[float, float, float, Any]:
    """Median wall time, the server's and the database's mean CPU time per run and the last result.
    The CPU times (the server's Python work, plus SQLite's; PostgreSQL's processes serving the server,
    when it runs on this machine) are figures that other load on the machine hardly moves, unlike the
    wall time."""
    cpu_started, db_started = server.cpu_seconds(), server.database_cpu()
    median, result = timed(run, repeat)
    cpu = (server.cpu_seconds() - cpu_started) / repeat
    return median, cpu, database_cpu_between(db_started, server.database_cpu()) / repeat, result


# Metamist's projects, by size, and how to time the sgs query on each: median seconds of ``repeat`` runs
MetamistTimer = Callable[[int, int], float]


def metamist_timer(metamist: Metamist, sizes: list[int]) -> MetamistTimer:
    """Loads a project of each size into the running Metamist, once; returns the timer of its answers."""
    posts = {}
    for size in sizes:
        name = f"bench{size}x{uuid.uuid4().hex[:6]}"
        seconds = metamist.load(name, size, assay_meta)
        post = metamist.query(SGS_QUERY, name)
        groups = orjson.loads(post())["data"]["project"]["sequencingGroups"]  # and warm up
        assert len(groups) == size, len(groups)
        with_ids = sum(1 for g in groups if g["externalIds"])
        print(
            f"Metamist  {size:>7,} groups loaded in {seconds:.1f} s through its API"
            + ("" if with_ids else " (its groups have no external ids: see --metamist-mysql)"),
            flush=True,
        )
        posts[size] = post

    def median_seconds(size: int, repeat: int) -> float:
        return timed(posts[size], repeat)[0]

    return median_seconds


def bench(
    url: str, label: str, sizes: list[int], repeat: int, metamist: MetamistTimer | None = None
) -> list[dict[str, Any]]:
    """The figures of each size on one database; with ``metamist``, Metamist's time for the same query
    measured right after genolog's (the same load on the machine), and the ratio taken against it."""
    db = Database(url)
    db.migrate()
    svc = Service.create(ServerSettings(db=url, dev_user="bench"), db)
    rows = []
    with genolog_serve(url) as server, httpx.Client(base_url=server.url, timeout=600) as client:
        for size in sizes:
            name = f"bench-{size}-{uuid.uuid4().hex[:6]}"
            started = time.perf_counter()
            populate(db, name, size)
            setup = time.perf_counter() - started

            def post(query: str, project: str = name) -> bytes:
                """The answer's bytes: request, server work and transfer, not the client's JSON parsing."""
                response = client.post("/graphql", json={"query": query, "variables": {"p": project}})
                response.raise_for_status()
                return response.content

            def check(content: bytes) -> dict[str, Any]:
                body: dict[str, Any] = orjson.loads(content)
                assert "errors" not in body, body["errors"]
                return body

            check(post(SGS_QUERY))  # warm up
            sgs_s, sgs_cpu_s, sgs_db_cpu_s, content = timed_server_cpu(
                lambda: post(SGS_QUERY), repeat, server
            )
            assert len(check(content)["data"]["project"]["sequencingGroups"]) == size
            measured = metamist is not None
            metamist_s = metamist(size, repeat) if metamist is not None else metamist_seconds(size)
            analyses_s, content = timed(lambda: post(ANALYSES_QUERY), repeat)
            check(content)
            sql_s, _ = timed(hand_written(db, name, svc.codecs), repeat)
            rows.append(
                {
                    "db": label,
                    "groups": size,
                    "setup_s": setup,
                    "sgs_s": sgs_s,
                    "sgs_cpu_s": sgs_cpu_s,
                    "sgs_db_cpu_s": sgs_db_cpu_s,
                    "analyses_s": analyses_s,
                    "sql_s": sql_s,
                    "metamist_s": metamist_s,
                    "metamist_measured": measured,
                    "vs_metamist": metamist_s / sgs_s,
                    "vs_sql": sgs_s / sql_s,
                }
            )
            db_cpu = f" + database {sgs_db_cpu_s * 1000:5.1f}" if label == "postgres" else ""
            beside = f"{metamist_s:.3f} s beside it" if measured else f"~{metamist_s:.2f} s recorded"
            print(
                f"{label:9} {size:>7,} groups  sgs {sgs_s * 1000:8.1f} ms (cpu {sgs_cpu_s * 1000:5.1f}{db_cpu})  "
                f"analyses {analyses_s * 1000:7.1f} ms  hand-written SQL {sql_s * 1000:8.1f} ms  | "
                f"{metamist_s / sgs_s:5.1f}x faster than Metamist ({beside}), {sgs_s / sql_s:4.1f}x the hand-written time",
                flush=True,
            )
    db.dispose()
    return rows


def summary(rows: list[dict[str, Any]]) -> None:
    """Per size, each database's median and its ratio to Metamist's time measured beside it."""
    print("\nsgs query, median wall time (Metamist measured beside each database in this run):")
    for size in sorted({r["groups"] for r in rows}):
        parts = [
            f"genolog-{r['db']} {r['sgs_s'] * 1000:.1f} ms vs Metamist {r['metamist_s'] * 1000:.0f} ms: "
            f"{r['vs_metamist']:.1f}x"
            for r in rows
            if r["groups"] == size
        ]
        print(f"  {size:>7,} groups  " + "  |  ".join(parts))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--postgres", help="PostgreSQL URL of a server to create a scratch database on")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--metamist", metavar="URL", help="a running Metamist to load and time side by side")
    parser.add_argument("--metamist-user", default="testuser", help="Metamist's local user (the author)")
    parser.add_argument(
        "--metamist-mysql",
        metavar="DATABASE",
        help="Metamist's MariaDB database (mysql -uroot), to give its groups external ids as genolog's have",
    )
    parser.add_argument("--no-sqlite", action="store_true", help="only PostgreSQL")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON at the end")
    args = parser.parse_args()
    tune_interpreter()  # the hand-written baseline runs here: give it the server's garbage collection
    metamist = None
    if args.metamist:
        metamist = metamist_timer(
            Metamist(args.metamist, args.metamist_user, args.metamist_mysql), args.sizes
        )
    results = []
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as scratch:
            results += bench(f"sqlite:///{scratch}/bench.sqlite", "sqlite", args.sizes, args.repeat, metamist)
    if args.postgres:
        with scratch_postgres(args.postgres, "genolog_bench") as url:
            results += bench(url, "postgres", args.sizes, args.repeat, metamist)
    if metamist is not None:
        summary(results)
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
