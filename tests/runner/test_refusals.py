"""Each refusal is one sentence on stderr with a non-zero exit, and nothing is recorded or run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.runner.conftest import DATASET, Server, cli, git, run_args

HELLO = ("python3", "scripts/hello.py")


def assert_refused(result: object, *fragments: str) -> str:
    assert result.exit_code == 1, (result.exit_code, result.stdout, result.stderr)  # type: ignore[attr-defined]
    message: str = result.stderr.strip()  # type: ignore[attr-defined]
    assert message.startswith("error: ") and "\n" not in message, message
    assert "Traceback" not in message and "hello from the driver" not in result.stdout  # type: ignore[attr-defined]
    for fragment in fragments:
        assert fragment in message, message
    return message


def assert_nothing_recorded(server: Server) -> None:
    assert server.runs(DATASET) == [] and server.runs(f"{DATASET}-test") == []


def test_an_unknown_dataset_is_refused(server: Server, repo: Path) -> None:
    result = cli(*run_args(*HELLO)[:2], "nosuch", *run_args(*HELLO)[3:])
    assert_refused(result, "Dataset 'nosuch' is not known to the metadata server")


def test_a_dataset_the_caller_has_no_role_on_reads_as_unknown(server: Server, repo: Path) -> None:
    server.act_as("stranger")
    assert_refused(cli(*run_args(*HELLO)), f"Dataset '{DATASET}' is not known")
    assert_nothing_recorded(server)


def test_a_reader_may_not_run_at_test_access(server: Server, repo: Path) -> None:
    server.act_as("reader")
    message = assert_refused(
        cli(*run_args(*HELLO)), "may not run analyses", "contributor", f"'{DATASET}-test'"
    )
    assert "has reader" in message
    assert_nothing_recorded(server)


def test_a_contributor_may_not_run_at_standard_access(server: Server, repo: Path) -> None:
    assert_refused(cli(*run_args(*HELLO, level="standard")), "standard access", "writer", f"'{DATASET}'")
    assert_nothing_recorded(server)


def test_a_script_outside_a_git_repository_is_refused(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loose = tmp_path / "loose"
    loose.mkdir()
    (loose / "hello.py").write_text("print('hello from the driver')\n")
    monkeypatch.chdir(loose)
    assert_refused(cli(*run_args("python3", "hello.py")), "is not in a git repository")
    assert_nothing_recorded(server)


def test_a_command_without_a_script_file_is_refused(server: Server, repo: Path) -> None:
    assert_refused(cli(*run_args("python3", "missing.py")), "is a script file")


def test_uncommitted_changes_are_refused_at_standard_access(server: Server, repo: Path) -> None:
    server.act_as("writer")
    (repo / "scripts" / "hello.py").write_text("print('changed')\n")
    assert_refused(cli(*run_args(*HELLO, level="standard")), "uncommitted changes to tracked files")
    assert_nothing_recorded(server)


def test_an_uncommitted_script_is_refused_at_standard_access(server: Server, repo: Path) -> None:
    server.act_as("writer")
    (repo / "scripts" / "new.py").write_text("print('new')\n")
    assert_refused(cli(*run_args("python3", "scripts/new.py", level="standard")), "is not committed")


def test_a_commit_off_the_default_branch_is_refused_at_standard_access(server: Server, repo: Path) -> None:
    server.act_as("writer")
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "scripts" / "hello.py").write_text("print('unreviewed')\n")
    git(repo, "commit", "-q", "-am", "unreviewed")
    assert_refused(cli(*run_args(*HELLO, level="standard")), "is not on the default branch main")
    assert_nothing_recorded(server)


def test_an_unpushed_commit_is_refused_when_there_is_an_origin(
    server: Server, repo: Path, tmp_path: Path
) -> None:
    server.act_as("writer")
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    git(repo, "remote", "add", "origin", str(origin))
    git(repo, "push", "-q", "origin", "main")
    git(repo, "remote", "set-head", "origin", "main")
    (repo / "scripts" / "hello.py").write_text("print('local only')\n")
    git(repo, "commit", "-q", "-am", "local only")  # on local main, but not on origin's
    assert_refused(cli(*run_args(*HELLO, level="standard")), "is not on the default branch origin/main")


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"out": "gs://cpg-sandbox-test/x"}, "not a URL"),
        ({"description": "  "}, "description must not be empty"),
        ({"env": "NOEQUALS"}, "must be given as KEY=VALUE"),
        ({"env": "CPG_CONFIG_PATH=/x.toml"}, "set by the analysis runner"),
        ({"config": "/nonexistent/extra.toml"}, "does not exist"),
    ],
)
def test_bad_input_is_one_sentence(repo: Path, options: dict[str, str], fragment: str) -> None:
    assert_refused(cli(*run_args(*HELLO, **options)), fragment)


def test_full_access_asks_first(server: Server, repo: Path) -> None:
    server.act_as("writer")
    result = cli(*run_args(*HELLO, level="full"), input="n\n")
    assert result.exit_code == 1
    assert "full access was not confirmed" in result.stderr
    assert_nothing_recorded(server)


def test_an_unreachable_server_is_named(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.metadata.live import free_port

    url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("GENOLOG_URL", url)
    assert_refused(cli(*run_args(*HELLO)), f"Cannot reach the metadata server at {url}")
