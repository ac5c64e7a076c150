"""`genolog serve --sandbox`, as the README's Quickstart runs it, in a real process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import _postgres_reachable, scratch_postgres_database
from tests.metadata.live import free_port, wait_until_healthy


def test_serve_with_sandbox_answers_and_restarts_on_the_same_data(tmp_path: Path, db_url: str) -> None:
    port = free_port()
    command = [sys.executable, "-m", "genolog.cli", "serve", "--sandbox", "--dev-user", "demo"]
    command += ["--port", str(port), "--data-dir", str(tmp_path)]
    if db_url.startswith("postgresql"):
        command += ["--db", db_url]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENOLOG_")}
    for attempt in range(2):  # the second start must reuse the existing database and sandbox
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_healthy(base, alive=lambda p=process: p.poll() is None)
            projects = httpx.get(f"{base}/api/v1/project/").json()
            assert projects == ["sandbox", "sandbox-test"]
            groups = httpx.get(f"{base}/api/v1/sequencing-group/project/sandbox-test").json()
            assert len(groups) == 6
            pedigree = httpx.get(f"{base}/api/v1/family/sandbox/pedigree").json()
            assert {r["individual_id"] for r in pedigree} == {"SB001", "SB002", "SB003"}
            # the dev user owns the sandbox, its members page included
            members = httpx.get(f"{base}/projects/sandbox/members")
            assert members.status_code == 200 and "project_member_admin" in members.text
        finally:
            process.send_signal(signal.SIGINT)
            output, _ = process.communicate(timeout=20)
        assert "genolog" in output and f"127.0.0.1:{port}" in output
        assert ("Loaded the sandbox" in output) == (attempt == 0)
    assert (tmp_path / "genolog.sqlite").exists() == db_url.startswith("sqlite")


# --- starting up: a database shared with another process, one that is not there ------------------------


def _genolog(*args: str) -> list[str]:
    return [sys.executable, "-m", "genolog.cli", *args]


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("GENOLOG_")}


@contextmanager
def _fresh_databases(kind: str, tmp_path: Path) -> Iterator[Callable[[int], list[str]]]:
    """Per round, the ``--data-dir``/``--db`` arguments of a database that does not exist yet (a new
    data dir; on PostgreSQL a new, empty database, dropped afterwards)."""
    if kind == "postgres" and _postgres_reachable():
        pytest.skip("PostgreSQL is not reachable")

    with ExitStack() as databases:

        def arguments(round_: int) -> list[str]:
            data_dir = ["--data-dir", str(tmp_path / f"round-{round_}")]
            if kind != "postgres":
                return data_dir
            return [*data_dir, "--db", databases.enter_context(scratch_postgres_database("genolog_race"))]

        yield arguments


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_serve_and_token_create_at_once_on_a_new_database_both_succeed(tmp_path: Path, kind: str) -> None:
    """Both create the schema at once; the later one waits for the earlier (it failed with "database is
    locked" on SQLite, killing `serve`, about one start in eight)."""
    with _fresh_databases(kind, tmp_path) as fresh:
        for round_ in range(3 if kind == "sqlite" else 2):  # each start takes seconds
            database = fresh(round_)
            port = free_port()
            serve = subprocess.Popen(
                _genolog("serve", "--port", str(port), *database),
                env=_clean_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            creates = [
                subprocess.Popen(
                    _genolog("token", "create", "--user", f"u{i}", "--json", *database),
                    env=_clean_env(),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
                for i in range(2)
            ]
            try:
                outputs = [c.communicate(timeout=120)[0] for c in creates]
                assert [c.returncode for c in creates] == [0, 0], outputs
                base = f"http://127.0.0.1:{port}"
                wait_until_healthy(base, alive=lambda p=serve: p.poll() is None, timeout=60)
                for output in outputs:
                    token = json.loads(output)["token"]
                    answer = httpx.get(
                        f"{base}/api/v1/project/all", headers={"Authorization": f"Bearer {token}"}
                    )
                    assert answer.status_code == 200, answer.text
            finally:
                serve.send_signal(signal.SIGINT)
                served, _ = serve.communicate(timeout=30)
            assert "locked" not in served and "Traceback" not in served, served


def test_serve_on_an_unreachable_database_says_so_in_one_sentence(tmp_path: Path) -> None:
    closed = free_port()  # nothing listens there
    for args in (
        ["serve", "--db", f"postgresql://someone:secret@127.0.0.1:{closed}/x"],
        ["serve", "--data-dir", "/proc/genolog-cannot-be-here"],
        ["token", "create", "--user", "a", "--db", f"postgresql://127.0.0.1:{closed}/x"],
    ):
        run = subprocess.run(_genolog(*args), env=_clean_env(), capture_output=True, text=True, timeout=60)
        assert run.returncode == 1
        assert run.stdout == "" and run.stderr.count("\n") == 1, run.stderr
        assert run.stderr.startswith("error: Cannot open the database ")
        assert "secret" not in run.stderr and "Traceback" not in run.stderr
    refused = subprocess.run(
        _genolog("serve", "--db", f"postgresql://127.0.0.1:{closed}/x"),
        env=_clean_env(),
        capture_output=True,
        text=True,
    )
    assert "Connection refused" in refused.stderr
