"""Where the run's code comes from (repository, commit, folder) and the git gate for reviewed code.

A run never executes the caller's working tree: it executes a clean checkout of one commit
(`genolog.runner.checkout` makes it). This module answers the questions git answers: which repository
and commit, what the caller changed, whether a file is in a commit, and whether the commit is reviewed.

At standard and full access the commit must be on the default branch: ``origin/HEAD`` when there is an
``origin`` remote (else ``origin/main`` or ``origin/master``), otherwise the local ``main`` or ``master``.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from genolog.runner.errors import RunnerError

#: How many changed files a refusal names before it says "and N more".
NAMED_FILES = 5


@dataclass(frozen=True)
class Checkout:
    """The code a run executes: a clean checkout of ``commit`` at ``root``, run from ``root / cwd``."""

    root: Path  # the checkout, a folder in the run's scratch (empty with --skip-repo-checkout)
    repository: str  # the origin URL, else the repository's local path; "" with --skip-repo-checkout
    commit: str  # the full sha that runs; "" with --skip-repo-checkout
    branch: str | None
    script: str | None  # the script, relative to ``workdir``; None with --skip-repo-checkout
    cwd: str  # the driver's working folder, relative to ``root`` ("." for the root itself)
    dirty: bool  # the caller's uncommitted changes were applied (--allow-uncommitted)
    diff_sha256: str | None = None  # the sha256 of those changes as a binary git diff
    changed: tuple[str, ...] = ()  # the files they change

    @property
    def workdir(self) -> Path:
        return self.root / self.cwd


def git(
    where: Path, *args: str, env: Mapping[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``git -C where args…``; never raises for git's own failures (see the return code)."""
    try:
        return subprocess.run(
            ["git", "-C", str(where), *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
            input=stdin,
            env=None if env is None else {**os.environ, **env},
        )
    except FileNotFoundError:
        raise RunnerError(
            "git is not installed, and the analysis runner needs it to know what code runs."
        ) from None


def out(where: Path, *args: str, env: Mapping[str, str] | None = None) -> str | None:
    """git's output, stripped, or None when git failed."""
    result = git(where, *args, env=env)
    return result.stdout.strip() if result.returncode == 0 else None


def git_root(folder: Path) -> Path | None:
    """The work tree ``folder`` is in, or None outside any git work tree."""
    text = out(folder, "rev-parse", "--show-toplevel") if folder.is_dir() else None
    return Path(text).resolve() if text else None


def is_repository(folder: Path) -> bool:
    """Whether ``folder`` is a git repository (a work tree or a bare one)."""
    return folder.is_dir() and out(folder, "rev-parse", "--git-dir") is not None


def recorded_name(repository: Path) -> str:
    """What the record names a local repository by: its ``origin`` URL, else its path."""
    return out(repository, "remote", "get-url", "origin") or str(repository)


def resolve_commit(repository: Path, ref: str) -> str | None:
    """The full sha of a commit named by a sha (short or full), branch, tag or ``HEAD``; None if unknown."""
    if ref.startswith("-"):
        return None
    for candidate in (ref, f"origin/{ref}"):
        sha = out(repository, "rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}")
        if sha:
            return sha
    return None


def current_branch(repository: Path) -> str | None:
    return out(repository, "symbolic-ref", "--quiet", "--short", "HEAD")


def is_branch(repository: Path, name: str) -> bool:
    return any(
        out(repository, "rev-parse", "--verify", "--quiet", f"{prefix}{name}") is not None
        for prefix in ("refs/heads/", "refs/remotes/origin/")
    )


def tracked_changes(root: Path) -> list[str]:
    """Tracked files that differ from HEAD in the work tree or the index (modified, added, deleted)."""
    status = git(root, "status", "--porcelain=v1", "-z", "--untracked-files=no")
    if status.returncode != 0:
        raise RunnerError(f"git cannot read the state of the repository {root} ({status.stderr.strip()}).")
    entries = status.stdout.split("\0")
    names: list[str] = []
    skip = False
    for entry in entries:
        if skip:  # the origin of a rename or copy
            skip = False
            continue
        if len(entry) > 3:
            names.append(entry[3:])
            skip = entry[0] in "RC"
    return names


def untracked_files(root: Path) -> list[str]:
    """Untracked files git does not ignore."""
    listed = git(root, "ls-files", "--others", "--exclude-standard", "-z")
    return [name for name in listed.stdout.split("\0") if name]


def named(files: list[str]) -> str:
    """A few file names for a one-sentence message."""
    shown = ", ".join(files[:NAMED_FILES])
    return shown + (f" and {len(files) - NAMED_FILES} more" if len(files) > NAMED_FILES else "")


def local_script(command: Iterable[str], cwd: Path) -> tuple[int, Path] | None:
    """The caller's script file of a command such as ``python3 scripts/x.py --flag``: the position of
    its first argument that is a file relative to ``cwd``, and that file (absolute); or None."""
    for index, arg in enumerate(command):
        if arg.startswith("-"):
            continue
        path = (cwd / arg).resolve()
        if path.is_file():
            return index, path
    return None


def script_in(
    repository: Path, treeish: str, cwd: str, command: Iterable[str], env: Mapping[str, str] | None = None
) -> str | None:
    """The command's first argument that is a file of ``treeish`` when run from its folder ``cwd``."""
    candidates = [arg for arg in command if arg and not arg.startswith("-") and not os.path.isabs(arg)]
    paths = [os.path.normpath(os.path.join(cwd, arg)) for arg in candidates]
    if not paths:
        return None
    # one git call answers for every argument: "<sha> blob <size>" or "<name> missing"
    batch = git(
        repository,
        "cat-file",
        "--batch-check",
        stdin="".join(f"{treeish}:{path}\n" for path in paths),
        env=env,
    )
    for arg, path, line in zip(candidates, paths, batch.stdout.splitlines(), strict=False):
        if not path.startswith("..") and line.split(" ")[1:2] == ["blob"]:
            return arg
    return None


def is_folder_in(repository: Path, treeish: str, folder: str, env: Mapping[str, str] | None = None) -> bool:
    if folder == ".":
        return True
    return out(repository, "cat-file", "-t", f"{treeish}:{folder}", env=env) == "tree"


def default_branch(repository: Path) -> str | None:
    """The ref of the default branch, or None when there is none to find."""
    if out(repository, "remote", "get-url", "origin") is not None:
        head = out(repository, "symbolic-ref", "--quiet", "refs/remotes/origin/HEAD")
        if head:
            return head.removeprefix("refs/remotes/")
        candidates = ["origin/main", "origin/master"]
    else:
        candidates = ["main", "master"]
    for ref in candidates:
        if out(repository, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}") is not None:
            return ref
    return None


def require_on_default_branch(repository: Path, commit: str, access_level: str) -> None:
    """The standard/full gate on the commit itself: it must be merged into the default branch."""
    branch = default_branch(repository)
    if branch is None:
        raise RunnerError(
            f"The repository {repository} has no default branch (origin/HEAD, main or master) to check the "
            f"commit against; {access_level} access runs code merged into it only."
        )
    if git(repository, "merge-base", "--is-ancestor", commit, branch).returncode != 0:
        raise RunnerError(
            f"The commit {commit[:12]} is not on the default branch {branch}; {access_level} "
            "access runs merged code only."
        )
