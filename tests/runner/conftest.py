"""Fixtures for the analysis runner: a live metadata server with users, and throwaway git repositories."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from genolog.cli import app
from genolog.metadata.db import Database
from genolog.metadata.service import Service
from genolog.metadata.settings import ServerSettings
from tests.metadata.live import live_server
from tests.metadata.support import Api

DATASET = "sandbox"
# who holds what: the runner needs contributor on sandbox-test for test runs, writer on sandbox otherwise
MEMBERS = {
    DATASET: [("writer", ["writer"]), ("contrib", ["contributor"]), ("reader", ["reader"])],
    f"{DATASET}-test": [("writer", ["writer"]), ("contrib", ["contributor"]), ("reader", ["reader"])],
}


@dataclass
class Server:
    url: str
    api: Api
    monkeypatch: pytest.MonkeyPatch

    def token(self, user: str) -> str:
        return self.api.user(user)["Authorization"].removeprefix("Bearer ")

    def act_as(self, user: str) -> None:
        """Make the CLI (and the driver it starts) talk to this server as ``user``."""
        self.monkeypatch.setenv("GENOLOG_URL", self.url)
        self.monkeypatch.setenv("GENOLOG_TOKEN", self.token(user))

    def runs(self, project: str) -> list[dict]:  # type: ignore[type-arg]
        return list(self.api.ok("GET", "/analysis-runner/runs", params={"project_names": project}))


@pytest.fixture
def server(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    """A live server without development mode, with the sandbox dataset and its members; the CLI acts as
    ``contrib`` (a contributor) unless a test says otherwise."""
    svc = Service.create(ServerSettings(db=db_url), Database(db_url))
    api = Api(svc)
    api.ok("PUT", "/project/", params={"name": DATASET, "dataset": DATASET, "create_test_project": True})
    for project, members in MEMBERS.items():
        roster = [{"member": "admin", "roles": ["reader", "writer"]}]
        roster += [{"member": m, "roles": r} for m, r in members]
        api.ok("PATCH", f"/project/{project}/members", json=roster)
    with live_server(svc) as url:
        srv = Server(url, api, monkeypatch)
        srv.act_as("contrib")
        yield srv
    svc.db.dispose()


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@x", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository on ``main`` with one committed script, and the current directory."""
    root = tmp_path / "analysis repo"
    (root / "scripts").mkdir(parents=True)
    (root / "scripts" / "hello.py").write_text("print('hello from the driver')\n")
    (root / "README.md").write_text("an analysis\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "first")
    monkeypatch.chdir(root)
    return root


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


def cli(*args: str, input: str | None = None) -> Result:
    """``genolog <args>`` in-process, stdout and stderr apart."""
    result = CliRunner().invoke(app, list(args), input=input)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Result(result.exit_code, result.stdout, result.stderr)


def run_args(*command: str, level: str = "test", out: str = "out/v1", **options: str | bool) -> list[str]:
    """The run's arguments: its options (``flag=True`` for a flag), then the command."""
    args = ["analysis-runner", "--dataset", DATASET, "--access-level", level, "-o", out]
    args += ["--description", str(options.pop("description", "a test run"))]
    for key, value in options.items():
        args += [f"--{key.replace('_', '-')}"] + ([] if value is True else [str(value)])
    return [*args, *command]
