"""What runs is a clean checkout of one commit: uncommitted edits are refused (or run, flagged dirty, with
--allow-uncommitted), --commit, --repository, --cwd and --skip-repo-checkout, and strict options."""

from __future__ import annotations

import hashlib
import json
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.runner.conftest import DATASET, Server, cli, git, run_args
from tests.runner.test_refusals import assert_nothing_recorded, assert_refused

VERSION = ("python3", "scripts/version.py")
# the script reports its version, and whether the caller's untracked note is beside it
SCRIPT = 'import os\nprint("{version}")\nprint("note" if os.path.exists("note.txt") else "no note")\n'


def commit_versions(repo: Path) -> tuple[str, str]:
    """``scripts/version.py`` committed as version-one, then as version-two; the two shas."""
    shas = []
    for version in ("version-one", "version-two"):
        (repo / "scripts" / "version.py").write_text(SCRIPT.format(version=version))
        git(repo, "add", ".")
        git(repo, "commit", "-q", "-m", version)
        shas.append(git(repo, "rev-parse", "HEAD"))
    return shas[0], shas[1]


def printed(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line]


def scratch_left(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "data" / "analysis-runner-scratch"
    return list(folder.iterdir()) if folder.exists() else []


def loose_objects(repo: Path) -> str:
    return git(repo, "count-objects").split(",")[0]


def test_uncommitted_changes_are_refused_naming_the_files(server: Server, repo: Path, tmp_path: Path) -> None:
    commit_versions(repo)
    (repo / "scripts" / "version.py").write_text('print("uncommitted")\n')
    message = assert_refused(cli(*run_args(*VERSION)), "scripts/version.py", "--allow-uncommitted")
    assert "uncommitted changes to tracked files" in message
    assert_nothing_recorded(server)
    assert scratch_left(tmp_path) == []


def test_allow_uncommitted_runs_the_edit_and_records_it_dirty_with_the_diffs_hash(
    server: Server, repo: Path, tmp_path: Path
) -> None:
    _, head = commit_versions(repo)
    (repo / "scripts" / "version.py").write_text('print("uncommitted")\n')
    expected = hashlib.sha256(
        subprocess.run(
            ["git", "-C", str(repo), "diff", "--binary", "--full-index", "HEAD"],
            capture_output=True,
            check=True,
        ).stdout
    ).hexdigest()
    before = (git(repo, "status", "--porcelain"), git(repo, "worktree", "list"), loose_objects(repo))

    result = cli(*run_args(*VERSION, description="try the edit", allow_uncommitted=True))
    assert result.exit_code == 0, result.stderr
    assert printed(result.stdout) == ["uncommitted"]
    [run] = server.runs(f"{DATASET}-test")
    assert run["commit"] == head  # the commit the changes were made over
    assert run["meta"]["dirty"] is True and run["meta"]["diff_sha256"] == expected
    assert run["meta"]["uncommitted_files"] == ["scripts/version.py"]
    assert f"diff sha256 {expected}" in result.stderr
    # the caller's repository gained no worktree, object or index change; the scratch folder is gone
    assert (git(repo, "status", "--porcelain"), git(repo, "worktree", "list"), loose_objects(repo)) == before
    assert scratch_left(tmp_path) == []


def test_allow_uncommitted_runs_an_untracked_script_which_is_refused_without_it(
    server: Server, repo: Path
) -> None:
    (repo / "scripts" / "new.py").write_text('print("brand new")\n')
    assert_refused(cli(*run_args("python3", "scripts/new.py")), "scripts/new.py is not committed")
    result = cli(*run_args("python3", "scripts/new.py", allow_uncommitted=True))
    assert result.exit_code == 0, result.stderr
    assert printed(result.stdout) == ["brand new"]
    [run] = server.runs(f"{DATASET}-test")
    assert run["meta"]["dirty"] is True and run["meta"]["uncommitted_files"] == ["scripts/new.py"]


def test_a_clean_tree_runs_its_commit_and_none_of_the_callers_other_files(
    server: Server, repo: Path, tmp_path: Path
) -> None:
    _, head = commit_versions(repo)
    (repo / "note.txt").write_text("an untracked note in the caller's folder\n")
    (repo / ".gitignore").write_text("ignored.txt\n")  # itself untracked
    (repo / "ignored.txt").write_text("ignored\n")
    result = cli(*run_args(*VERSION))
    assert result.exit_code == 0, result.stderr
    assert printed(result.stdout) == ["version-two", "no note"]
    [run] = server.runs(f"{DATASET}-test")
    assert run["commit"] == head and run["meta"]["dirty"] is False and "diff_sha256" not in run["meta"]
    # --allow-uncommitted takes the untracked note along (not the ignored file), and says so
    result = cli(*run_args(*VERSION, allow_uncommitted=True))
    assert printed(result.stdout) == ["version-two", "note"]
    dirty = next(r for r in server.runs(f"{DATASET}-test") if r["meta"]["dirty"])
    assert sorted(dirty["meta"]["uncommitted_files"]) == [".gitignore", "note.txt"]


def test_commit_runs_an_older_commits_code(server: Server, repo: Path) -> None:
    first, _ = commit_versions(repo)
    git(repo, "tag", "v1", first)
    (repo / "scripts" / "version.py").write_text('print("uncommitted")\n')  # not what --commit runs
    for ref in (first[:7], "v1", "main~1"):
        result = cli(*run_args(*VERSION, commit=ref))
        assert result.exit_code == 0, (ref, result.stderr)
        assert printed(result.stdout)[0] == "version-one"
    runs = server.runs(f"{DATASET}-test")
    assert [r["commit"] for r in runs] == [first] * 3  # the full sha, however it was named


def test_an_unknown_commit_is_refused_and_never_run_as_the_command(server: Server, repo: Path) -> None:
    message = assert_refused(cli(*run_args("python3", "scripts/hello.py", commit="abc")), "'abc'")
    assert "is not in the repository" in message and "Cannot start the driver" not in message
    assert_nothing_recorded(server)


def other_repository(tmp_path: Path) -> tuple[Path, str]:
    other = tmp_path / "other repo"
    (other / "tools").mkdir(parents=True)
    (other / "tools" / "other.py").write_text("import os\nprint('from the other repository', os.getcwd())\n")
    git(other, "init", "-q", "-b", "main")
    git(other, "add", ".")
    git(other, "commit", "-q", "-m", "other")
    return other, git(other, "rev-parse", "HEAD")


def test_repository_runs_another_local_repository(server: Server, repo: Path, tmp_path: Path) -> None:
    other, sha = other_repository(tmp_path)
    (repo / "README.md").write_text("the caller's uncommitted edit does not matter here\n")
    result = cli(*run_args("python3", "tools/other.py", repository=str(other)))
    assert result.exit_code == 0, result.stderr
    assert printed(result.stdout)[0].startswith("from the other repository")
    [run] = server.runs(f"{DATASET}-test")
    assert (run["repository"], run["commit"], run["cwd"]) == (str(other), sha, ".")
    assert run["meta"]["branch"] == "main"
    # a bare repository too; it is named by its origin
    bare = tmp_path / "bare.git"
    git(tmp_path, "clone", "-q", "--bare", str(other), str(bare))
    result = cli(*run_args("python3", "tools/other.py", repo=str(bare)))
    assert result.exit_code == 0, result.stderr
    assert printed(result.stdout)[0].startswith("from the other repository")
    assert {(r["repository"], r["commit"]) for r in server.runs(f"{DATASET}-test")} == {(str(other), sha)}


def test_repository_as_a_url_is_fetched(server: Server, repo: Path, tmp_path: Path) -> None:
    other, sha = other_repository(tmp_path)
    url = other.as_uri()
    for ref in ("main", sha, sha[:8]):  # fetched alone, or found by a full fetch
        result = cli(*run_args("python3", "other.py", repo=url, cwd="tools", commit=ref))
        assert result.exit_code == 0, result.stderr
        assert printed(result.stdout)[0].startswith("from the other repository")
        assert printed(result.stdout)[0].endswith("/checkout/tools")
        assert f"fetching {ref} of {url}" in result.stderr
    # standard access fetches the history to check the commit is on the default branch
    server.act_as("writer")
    result = cli(*run_args("python3", "tools/other.py", repo=url, level="standard"))
    assert result.exit_code == 0, result.stderr
    test_runs = server.runs(f"{DATASET}-test")
    [standard_run] = server.runs(DATASET)
    assert {(r["repository"], r["commit"], r["cwd"]) for r in test_runs} == {(url, sha, "tools")}
    assert (standard_run["repository"], standard_run["commit"], standard_run["cwd"]) == (url, sha, ".")
    assert_refused(cli(*run_args("python3", "x.py", repo="nowhere/at/all")), "neither a folder")


def test_cwd_is_the_folder_inside_the_checkout(server: Server, repo: Path) -> None:
    commit_versions(repo)
    result = cli(*run_args("python3", "version.py", cwd="scripts"))
    assert result.exit_code == 0, result.stderr
    assert printed(result.stdout)[0] == "version-two"
    [run] = server.runs(f"{DATASET}-test")
    assert run["cwd"] == "scripts"
    assert_refused(cli(*run_args(*VERSION, cwd="nosuch")), "The folder nosuch is not in commit")
    assert_refused(cli(*run_args(*VERSION, cwd="../up")), "inside the repository")


def test_a_script_given_by_its_path_from_outside_the_repository_runs_from_the_checkout(
    server: Server, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    commit_versions(repo)
    monkeypatch.chdir(tmp_path)
    result = cli(*run_args("python3", str(repo / "scripts" / "version.py")))
    assert result.exit_code == 0, result.stderr
    [run] = server.runs(f"{DATASET}-test")
    assert (run["cwd"], run["script"]) == ("scripts", "python3 version.py")


def test_unknown_options_are_refused_and_the_scripts_own_options_are_its(server: Server, repo: Path) -> None:
    result = cli(
        *run_args("python3", "scripts/hello.py")[:3], "--xyz", *run_args("python3", "scripts/hello.py")[3:]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("error: no such option --xyz") and result.stderr.count("\n") == 1
    assert_nothing_recorded(server)
    (repo / "scripts" / "args.py").write_text("import sys\nprint(sys.argv[1:])\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "args")
    result = cli(*run_args("python3", "scripts/args.py", "--commit", "x", "--xyz"))
    assert result.exit_code == 0, result.stderr
    assert printed(result.stdout) == ["['--commit', 'x', '--xyz']"]


def test_config_output_writes_the_merged_config(server: Server, repo: Path, tmp_path: Path) -> None:
    extra = tmp_path / "extra.toml"
    extra.write_text('[workflow]\nsequencing_type = "genome"\n')
    target = tmp_path / "out" / "merged.toml"
    args = ["analysis-runner", "config", "--dataset", DATASET, "-o", "qc/v1", "--config", str(extra)]
    result = cli(*args, "--config-output", str(target))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "" and str(target) in result.stderr
    written = tomllib.loads(target.read_text())
    printed_config = json.loads(cli(*args, "--json").stdout)
    for config in (written, printed_config):
        config["workflow"].pop("ar-guid")  # new for every config
    assert written == printed_config
    assert (
        written["workflow"]["sequencing_type"] == "genome" and written["workflow"]["output_prefix"] == "qc/v1"
    )


def test_skip_repo_checkout_runs_in_an_empty_folder_without_a_repository(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loose = tmp_path / "not a repository"
    loose.mkdir()
    (loose / "local.txt").write_text("the caller's file\n")
    monkeypatch.chdir(loose)
    command = ("python3", "-c", "import os; print(sorted(os.listdir('.')))")
    result = cli(*run_args(*command, skip_repo_checkout=True))
    assert result.exit_code == 0, result.stderr
    assert printed(result.stdout) == ["[]"]
    [run] = server.runs(f"{DATASET}-test")
    assert (run["repository"], run["commit"], run["cwd"]) == ("(none)", "(none)", None)
    assert run["meta"]["skip_repo_checkout"] is True and run["script"] == " ".join(command)
    assert_refused(
        cli(*run_args(*command, commit="main", skip_repo_checkout=True)), "--commit cannot be given"
    )
    server.act_as("writer")
    assert_refused(cli(*run_args(*command, level="standard", skip_repo_checkout=True)), "test access only")


def test_reviewed_levels_refuse_allow_uncommitted(server: Server, repo: Path) -> None:
    server.act_as("writer")
    (repo / "scripts" / "hello.py").write_text("print('changed')\n")
    message = assert_refused(
        cli(*run_args("python3", "scripts/hello.py", level="standard", allow_uncommitted=True)),
        "test access only",
    )
    assert "--allow-uncommitted" in message
    assert_nothing_recorded(server)
