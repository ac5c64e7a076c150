"""Where the script's code comes from (repository, commit, folder) and the git gate for reviewed code.

At standard and full access the working tree must have no uncommitted changes to tracked files, the script
must be committed, and the commit must be on the default branch: ``origin/HEAD`` when there is an
``origin`` remote (else ``origin/main`` or ``origin/master``), otherwise the local ``main`` or ``master``.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from genolog.runner.errors import RunnerError


@dataclass(frozen=True)
class Checkout:
    root: Path
    repository: str  # the origin URL, else the repository's local path
    commit: str
    branch: str | None
    script: Path  # the script file, absolute
    cwd: str  # the driver's working folder, relative to ``root`` ("." for the root itself)
    dirty: bool  # tracked files with uncommitted changes

    @property
    def workdir(self) -> Path:
        return self.root / self.cwd


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, check=False, timeout=60
        )
    except FileNotFoundError:
        raise RunnerError(
            "git is not installed, and the analysis runner needs it to know what code runs."
        ) from None


def _out(root: Path, *args: str) -> str | None:
    result = _git(root, *args)
    return result.stdout.strip() if result.returncode == 0 else None


def find_script(command: tuple[str, ...], cwd: Path) -> Path:
    """The script file of a command such as ``python3 scripts/x.py --flag``: its first argument that is a file."""
    for arg in command:
        if arg.startswith("-"):
            continue
        path = (cwd / arg).resolve()
        if path.is_file():
            return path
    if command:
        raise RunnerError(
            f"None of the command's arguments ({' '.join(command[:3])}…) is a script file, so the runner "
            "cannot tell which repository and commit it runs (give its path, e.g. python3 scripts/x.py)."
        )
    raise RunnerError("No script was given: end the command with the script and its arguments.")


def inspect(command: tuple[str, ...], cwd: Path | None = None) -> Checkout:
    """The checkout the command's script lives in; refuses a script outside any git repository."""
    here = (cwd or Path.cwd()).resolve()
    script = find_script(command, here)
    root_text = _out(script.parent, "rev-parse", "--show-toplevel")
    if root_text is None:
        raise RunnerError(
            f"The script {script} is not in a git repository; the analysis runner only runs committed code."
        )
    root = Path(root_text).resolve()
    commit = _out(root, "rev-parse", "--verify", "HEAD^{commit}")
    if commit is None:
        raise RunnerError(f"The git repository {root} has no commits yet; commit the script first.")
    branch = _out(root, "symbolic-ref", "--quiet", "--short", "HEAD")
    repository = _out(root, "remote", "get-url", "origin") or str(root)
    status = _out(root, "status", "--porcelain", "--untracked-files=no")
    base = here if here == root or root in here.parents else script.parent
    return Checkout(
        root=root,
        repository=repository,
        commit=commit,
        branch=branch,
        script=script,
        cwd=os.path.relpath(base, root),
        dirty=bool(status),
    )


def default_branch(root: Path) -> str | None:
    """The ref of the default branch, or None when there is none to find."""
    if _out(root, "remote", "get-url", "origin") is not None:
        head = _out(root, "symbolic-ref", "--quiet", "refs/remotes/origin/HEAD")
        if head:
            return head.removeprefix("refs/remotes/")
        candidates = ["origin/main", "origin/master"]
    else:
        candidates = ["main", "master"]
    for ref in candidates:
        if _out(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}") is not None:
            return ref
    return None


def require_reviewed(checkout: Checkout, access_level: str) -> None:
    """The standard/full gate: clean tracked files, a committed script, the commit on the default branch."""
    root = checkout.root
    if checkout.dirty:
        raise RunnerError(
            f"The repository {root} has uncommitted changes to tracked files; {access_level} access runs "
            "committed code only (commit or stash them)."
        )
    script = os.path.relpath(checkout.script, root)
    if _git(root, "ls-files", "--error-unmatch", "--", script).returncode != 0:
        raise RunnerError(
            f"The script {script} is not committed; {access_level} access runs committed code only."
        )
    branch = default_branch(root)
    if branch is None:
        raise RunnerError(
            f"The repository {root} has no default branch (origin/HEAD, main or master) to check the commit "
            f"against; {access_level} access runs code merged into it only."
        )
    merged = _git(root, "merge-base", "--is-ancestor", checkout.commit, branch)
    if merged.returncode != 0:
        raise RunnerError(
            f"The commit {checkout.commit[:12]} is not on the default branch {branch}; {access_level} "
            "access runs merged code only."
        )
