"""`genolog db copy` throughput: a SQLite database of N participants (each with a sample, a sequencing
group and an assay, external ids, meta and the audit and history rows of their requests) copied to a
scratch PostgreSQL database and back to a new SQLite file, in rows per second each way, with the peak
resident memory of the copying process (the copy streams: it should not grow with the database).

    python benchmarks/db/bench_copy.py --participants 20000 --postgres postgresql://postgres@127.0.0.1/postgres
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _support import scratch_postgres

from genolog.metadata.context import AuditInfo, Tx
from genolog.metadata.sandbox import _participant
from genolog.metadata.service import Service
from genolog.metadata.settings import ServerSettings
from genolog.metadata.store import projects
from genolog.metadata.store.upserts import upsert_items

CHUNK = 1_000  # participants per request


def fill(url: str, participants: int) -> None:
    svc = Service.create(ServerSettings(db=url))
    svc.db.migrate()
    rng = random.Random(1)
    with svc.db.write() as conn:
        tx = Tx(conn, svc.codecs, AuditInfo(author="bench", comment="bench"))
        projects.create(tx, "bench", "bench", create_test_project=False, owner="bench")
        tx.finish()
    with svc.db.read() as conn:
        project = projects.get_by_name(conn, "bench")
    assert project is not None
    for first in range(0, participants, CHUNK):
        with svc.db.write() as conn:
            tx = Tx(conn, svc.codecs, AuditInfo(author="bench", comment="bench"))
            items = [
                _participant(rng, i, "gs://bench")
                for i in range(first + 1, min(first + CHUNK, participants) + 1)
            ]
            upsert_items(tx, project["id"], items)
            tx.finish()
    svc.db.dispose()


def timed(source: str, target: str) -> tuple[int, float, float]:
    """Rows, seconds and peak resident MiB of `genolog db copy` run as its own process."""
    argv = [sys.executable, "-m", "genolog.cli", "db", "copy", "--from", source, "--to", target, "--json"]
    with tempfile.TemporaryFile() as out:
        child = subprocess.Popen(argv, stdout=out)
        _, status, usage = os.wait4(child.pid, 0)  # this child's own peak memory
        child.returncode = os.waitstatus_to_exitcode(status)
        assert child.returncode == 0, f"{argv} failed"
        out.seek(0)
        report = json.loads(out.read())
    return report["total_rows"], report["seconds"], usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--participants", type=int, default=20_000)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    options = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as folder,
        scratch_postgres(options.postgres, "genolog_bench_copy") as pg,
    ):
        source = f"sqlite:///{folder}/source.sqlite"
        started = time.perf_counter()
        fill(source, options.participants)
        print(f"filled {options.participants:,} participants in {time.perf_counter() - started:.1f} s")
        for label, a, b in [
            ("SQLite -> PostgreSQL", source, pg),
            ("PostgreSQL -> SQLite", pg, f"sqlite:///{folder}/back.sqlite"),
        ]:
            rows, seconds, peak = timed(a, b)
            print(
                f"{label}: {rows:,} rows in {seconds:.1f} s, {rows / seconds:,.0f} rows/s (peak RSS {peak:.0f} MiB)"
            )


if __name__ == "__main__":
    main()
