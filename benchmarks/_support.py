"""What the benchmarks share: a scratch PostgreSQL database and a real `genolog serve` process.

The server runs in its own process, as it does for users: a client thread in the server's process would
fight it for the GIL (each hand-over can wait out the 5 ms switch interval), which makes a 25 ms answer
look like 45 ms. The server's CPU time and peak memory are read from /proc, and so is, on a PostgreSQL on
this machine, the CPU time of the database processes serving it (its connections carry an
``application_name`` of their own).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.metadata.live

from genolog.metadata.db import normalise_url  # noqa: E402
from tests.metadata.live import free_port, wait_until_healthy  # noqa: E402


@contextmanager
def scratch_postgres(server_url: str, prefix: str) -> Iterator[str]:
    """The URL of a new database on the PostgreSQL server at ``server_url``, dropped afterwards."""
    admin = sa.create_engine(normalise_url(server_url), isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.make_url(normalise_url(server_url)).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time process ``pid`` has used so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Served:
    url: str
    pid: int
    db_url: str = ""
    application_name: str = ""  # of the server's PostgreSQL connections

    def cpu_seconds(self) -> float:
        """User plus system CPU time the server process has used so far."""
        return _cpu_seconds(self.pid)

    def database_cpu(self) -> dict[int, float]:
        """The CPU seconds so far of each PostgreSQL process serving the server's connections (empty on
        SQLite, or when the database runs elsewhere); differences of two of these are what
        ``database_cpu_between`` sums."""
        if not self.application_name:
            return {}
        engine = sa.create_engine(normalise_url(self.db_url), poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                pids = conn.execute(
                    sa.text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
                    {"name": self.application_name},
                ).scalars()
                return {pid: _cpu_seconds(pid) for pid in pids if Path(f"/proc/{pid}").exists()}
        finally:
            engine.dispose()

    def peak_rss_mib(self) -> float:
        return self._status_mib("VmHWM:")

    def rss_mib(self) -> float:
        """The server's resident memory now."""
        return self._status_mib("VmRSS:")

    def reset_peak_rss(self) -> None:
        """Start the peak (VmHWM) again from the present resident memory (``5`` to clear_refs)."""
        Path(f"/proc/{self.pid}/clear_refs").write_text("5")

    def _status_mib(self, field: str) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1]) / 1024
        return float("nan")


def database_cpu_between(before: dict[int, float], after: dict[int, float]) -> float:
    """The database CPU seconds used between two ``Served.database_cpu`` readings (a connection opened
    in between counts from zero)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


@contextmanager
def genolog_serve(db_url: str, dev_user: str = "bench", workers: int | None = None) -> Iterator[Served]:
    """`genolog serve` on ``db_url`` on a free loopback port, in development mode as ``dev_user``
    (with ``workers``: that many worker processes, ``--workers``)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    application_name = ""
    if normalise_url(db_url).startswith("postgresql"):
        application_name = f"genolog-bench-{port}"
        named = sa.make_url(normalise_url(db_url)).update_query_dict({"application_name": application_name})
        db_url = named.render_as_string(hide_password=False)
    argv = [sys.executable, "-c", "from genolog.cli import app; app()", "serve"]
    argv += ["--port", str(port), "--db", db_url, "--dev-user", dev_user]
    if workers is not None:
        argv += ["--workers", str(workers)]
    # the server's output goes to a file, shown only if it fails to start
    with tempfile.TemporaryFile(mode="w+") as log:
        env = {**os.environ, "GENOLOG_CONFIG_PATH": ""}
        server = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            try:
                wait_until_healthy(url, alive=lambda: server.poll() is None, timeout=60)
            except RuntimeError:
                log.seek(0)
                sys.stderr.write(log.read())
                raise
            yield Served(url, server.pid, db_url, application_name)
        finally:
            server.terminate()
            server.wait(timeout=30)
