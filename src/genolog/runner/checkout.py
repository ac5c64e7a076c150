"""The clean checkout a run executes: one commit, written into the run's scratch folder, never the
caller's working tree (a file edited after the commit must not run under the commit's name).

Where the commit comes from:

- the caller's repository (the script's, else the caller's folder's): ``--commit``, or its ``HEAD``. At
  ``HEAD`` the caller's uncommitted changes to tracked files are refused, naming them; with
  ``--allow-uncommitted`` (test access only) they run, with untracked files git does not ignore, and the
  run is flagged dirty with the sha256 of the changes as a binary diff;
- ``--repository PATH``: another repository on this machine (a work tree or a bare repository);
- ``--repository URL``: fetched into the checkout, only the one commit when it is named by a full sha,
  branch or tag at test access, else the branches and tags (a short sha, or the default-branch check);
- ``--skip-repo-checkout``: none; the driver runs in an empty folder.

A local repository is cloned with ``git clone --shared --no-checkout`` (its objects are borrowed, not
copied) and the commit checked out detached, so the driver's folder is a git repository at the commit
whose ``origin`` is the recorded repository, and the caller's repository gains no worktree, branch or
object (`git worktree add` would list every run among the caller's worktrees). The caller's changes are
written as a tree into the scratch's own object folder, with the repository's objects as an alternate.
Submodules are not checked out.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from genolog.config import default_data_dir
from genolog.runner import gitinfo
from genolog.runner.errors import RunnerError
from genolog.runner.gitinfo import Checkout
from genolog.runner.spec import RunSpec

#: The folder of genolog's data dir that holds the runs' scratch folders (``<ar-guid>/checkout``).
SCRATCH_FOLDER = "analysis-runner-scratch"
#: The most untracked data ``--allow-uncommitted`` copies into a run (git-ignore data files instead).
UNTRACKED_LIMIT_BYTES = 100 * 1024 * 1024
#: How many changed files a dirty run's meta lists.
LISTED_FILES = 100
#: Flags that make `git diff`'s bytes depend on the changes only, not on the caller's git config.
_STABLE_DIFF = (
    "-c", "core.quotepath=true", "diff", "--binary", "--full-index", "--no-color", "--no-ext-diff",
    "--no-textconv", "--no-renames", "--no-relative", "-U3", "--diff-algorithm=myers", "--src-prefix=a/",
    "--dst-prefix=b/",
)  # fmt: skip


@dataclass(frozen=True)
class Source:
    """A resolved commit: where git reads it, what the record calls it, and how the command runs."""

    repository: Path  # a local repository holding the commit (for a URL: the checkout it was fetched into)
    name: str  # what the record names the repository: its origin URL, else its path; a URL as given
    commit: str
    branch: str | None
    cwd: str
    command: tuple[str, ...]
    caller_tree: Path | None = None  # the caller's work tree, when the run defaults to its HEAD
    fetched: bool = False  # ``repository`` is the checkout itself (a URL's commit was fetched into it)


@dataclass(frozen=True)
class Snapshot:
    """The caller's working tree as a git tree, and what distinguishes it from the commit."""

    tree: str
    diff_sha256: str | None  # None when the working tree is the commit's
    changed: tuple[str, ...]
    objects: Path  # where its new objects are


def scratch_for(ar_guid: str) -> Path:
    """A run's scratch folder (its checkout, the caller's snapshot): ``<data dir>/analysis-runner-scratch/<ar-guid>``."""
    return default_data_dir() / SCRATCH_FOLDER / ar_guid


def remove(scratch: Path) -> None:
    """Delete a run's scratch folder and everything in it (a driver's read-only files too)."""

    def writable_then_retry(function: Callable[..., Any], path: str, _: Any) -> None:
        try:
            os.chmod(os.path.dirname(path), stat.S_IRWXU)
            os.chmod(path, stat.S_IRWXU)
            function(path)
        except OSError:
            pass  # a leftover in the scratch folder is not worth failing the run over

    if not scratch.exists():
        return
    if sys.version_info >= (3, 12):  # onerror is deprecated there, and warnings are errors in the tests
        shutil.rmtree(scratch, onexc=writable_then_retry)
    else:
        shutil.rmtree(scratch, onerror=writable_then_retry)


def _checked(result: subprocess.CompletedProcess[str], doing: str) -> str:
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines()
        raise RunnerError(f"git could not {doing} ({lines[-1] if lines else f'exit {result.returncode}'}).")
    return result.stdout.strip()


def looks_like_url(text: str) -> bool:
    """``scheme://…`` or scp-like ``user@host:path``."""
    if "://" in text:
        return True
    user_host, colon, _ = text.partition(":")
    return bool(colon) and "@" in user_host and "/" not in user_host


def _unknown_commit(ref: str, name: str) -> RunnerError:
    return RunnerError(
        f"The commit {ref!r} is not in the repository {name} (give a commit sha, branch or tag it has)."
    )


def caller_source(spec: RunSpec, here: Path) -> Source:
    """The caller's repository: the one holding the command's script file, else the caller's folder's."""
    located = gitinfo.local_script(spec.command, here)
    found = located[1] if located else None
    if found is not None:
        root = gitinfo.git_root(found.parent)
        if root is None:
            raise RunnerError(
                f"The script {found} is not in a git repository; the analysis runner only runs committed "
                "code (or give --repository, or --skip-repo-checkout)."
            )
    else:
        root = gitinfo.git_root(here)
        if root is None:
            raise RunnerError(
                f"The folder {here} is not in a git repository and none of the command's arguments is a "
                "script file in one; the analysis runner only runs committed code."
            )
    inside = here == root or root in here.parents
    if spec.cwd is not None:
        cwd = spec.cwd
    else:
        cwd = os.path.relpath(here if inside or found is None else found.parent, root)
    command = spec.command
    if located is not None:
        # a script named by its absolute path, or from outside the repository, runs from the checkout
        index, found = located
        if os.path.isabs(command[index]) or not inside:
            relative = os.path.relpath(found, root / cwd)
            command = (*command[:index], relative, *command[index + 1 :])
    ref = spec.commit or "HEAD"
    commit = gitinfo.resolve_commit(root, ref)
    if commit is None:
        if spec.commit is None:
            raise RunnerError(f"The git repository {root} has no commits yet; commit the script first.")
        raise _unknown_commit(ref, str(root))
    if spec.commit is None:
        branch = gitinfo.current_branch(root)
    else:
        branch = spec.commit if gitinfo.is_branch(root, spec.commit) else None
    return Source(
        repository=root,
        name=gitinfo.recorded_name(root),
        commit=commit,
        branch=branch,
        cwd=cwd,
        command=command,
        caller_tree=root if spec.commit is None else None,
    )


def other_source(
    spec: RunSpec, target: str, checkout: Path, say: Callable[[str], None] | None = None
) -> Source:
    """``--repository``: a local repository read in place, or a URL fetched into ``checkout``."""
    path = Path(target).expanduser()
    ref = spec.commit or "HEAD"
    if path.exists():
        if not gitinfo.is_repository(path):
            raise RunnerError(f"The repository {target} is not a git repository.")
        root = gitinfo.git_root(path) or path.resolve()
        name = gitinfo.recorded_name(root)
        commit = gitinfo.resolve_commit(root, ref)
        fetched = False
    elif looks_like_url(target):
        root, name, fetched = checkout, target, True
        if say is not None:
            say(f"analysis-runner: fetching {spec.commit or 'HEAD'} of {target}")
        commit = fetch(target, spec.commit, checkout, history=spec.access_level != "test")
    else:
        raise RunnerError(f"The repository {target!r} is neither a folder on this machine nor a git URL.")
    if commit is None:
        raise _unknown_commit(ref, name)
    branch = spec.commit if spec.commit and gitinfo.is_branch(root, spec.commit) else None
    if spec.commit is None and not fetched:
        branch = gitinfo.current_branch(root)
    return Source(root, name, commit, branch, spec.cwd or ".", spec.command, fetched=fetched)


def fetch(url: str, ref: str | None, into: Path, history: bool) -> str | None:
    """Fetch ``ref`` (default: the remote's HEAD) of ``url`` into a new repository at ``into``; returns
    its full sha, or None when the remote has no such commit. Only the one commit is fetched unless
    ``history`` is wanted or the ref is a short sha (which only a full fetch can find)."""
    into.mkdir(parents=True, exist_ok=True)
    _checked(gitinfo.git(into, "init", "--quiet"), f"create a repository in {into}")
    _checked(gitinfo.git(into, "remote", "add", "origin", url), "name the remote")
    if not history:
        shallow = gitinfo.git(into, "fetch", "--quiet", "--depth", "1", "origin", ref or "HEAD")
        if shallow.returncode == 0:
            return gitinfo.out(into, "rev-parse", "--verify", "FETCH_HEAD^{commit}")
    full = gitinfo.git(
        into, "fetch", "--quiet", "origin", "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"
    )
    if full.returncode != 0:
        lines = full.stderr.strip().splitlines()
        raise RunnerError(f"Cannot fetch the repository {url} ({lines[-1] if lines else 'git failed'}).")
    gitinfo.git(into, "remote", "set-head", "origin", "--auto")
    return gitinfo.resolve_commit(into, ref or "origin/HEAD")


def snapshot(root: Path, commit: str, scratch: Path) -> Snapshot:
    """The caller's working tree (tracked files as they are, untracked files git does not ignore) as a
    tree whose new objects are written in the scratch folder, not in the caller's repository."""
    untracked = gitinfo.untracked_files(root)
    sizes = {name: (root / name).lstat().st_size for name in untracked if (root / name).exists()}
    if sum(sizes.values()) > UNTRACKED_LIMIT_BYTES:
        largest = sorted(sizes, key=lambda name: -sizes[name])
        raise RunnerError(
            f"The untracked files of {root} hold {sum(sizes.values()) // 2**20} MiB "
            f"({gitinfo.named(largest)}), more than --allow-uncommitted copies into a run; git-ignore "
            "the data files or commit what the run needs."
        )
    objects = scratch / "objects"
    objects.mkdir(parents=True, exist_ok=True)
    index = scratch / "snapshot.index"
    repo_index = root / _checked(gitinfo.git(root, "rev-parse", "--git-path", "index"), "find the index")
    if repo_index.is_file():  # a copy keeps git's knowledge of unchanged files: no file is read twice
        shutil.copyfile(repo_index, index)
    repo_objects = root / _checked(gitinfo.git(root, "rev-parse", "--git-path", "objects"), "find objects")
    env = {
        "GIT_INDEX_FILE": str(index),
        "GIT_OBJECT_DIRECTORY": str(objects),
        "GIT_ALTERNATE_OBJECT_DIRECTORIES": str(repo_objects.resolve()),
    }
    if not repo_index.is_file():
        _checked(gitinfo.git(root, "read-tree", commit, env=env), "read the commit")
    _checked(gitinfo.git(root, "add", "--all", env=env), "snapshot the working tree")
    tree = _checked(gitinfo.git(root, "write-tree", env=env), "snapshot the working tree")
    if tree == gitinfo.out(root, "rev-parse", f"{commit}^{{tree}}"):
        return Snapshot(tree, None, (), objects)
    diff = subprocess.run(
        ["git", "-C", str(root), *_STABLE_DIFF, commit, tree],
        capture_output=True,
        check=False,
        env={**os.environ, **env},
    )
    if diff.returncode != 0:
        raise RunnerError(f"git could not diff the working tree of {root} against its commit.")
    names = _checked(gitinfo.git(root, "diff", "--name-only", "--no-renames", commit, tree, env=env), "list")
    return Snapshot(tree, hashlib.sha256(diff.stdout).hexdigest(), tuple(names.splitlines()), objects)


def _refuse_uncommitted(spec: RunSpec, root: Path, changed: list[str]) -> RunnerError:
    if spec.access_level != "test":
        return RunnerError(
            f"The repository {root} has uncommitted changes to tracked files ({gitinfo.named(changed)}); "
            f"{spec.access_level} access runs committed code only (commit or stash them)."
        )
    return RunnerError(
        f"The repository {root} has uncommitted changes to tracked files ({gitinfo.named(changed)}), and a "
        "run executes its commit: commit or stash them, or give --allow-uncommitted to run them as they are."
    )


def _missing_script(spec: RunSpec, source: Source, here: Path) -> RunnerError:
    located = gitinfo.local_script(spec.command, here) if source.caller_tree is not None else None
    if located is not None:
        script = os.path.relpath(located[1], source.repository)
        remedy = (
            "commit it, or give --allow-uncommitted to run the working tree as it is"
            if spec.access_level == "test"
            else f"{spec.access_level} access runs committed code only"
        )
        return RunnerError(
            f"The script {script} is not committed (it is not in {source.commit[:12]}); {remedy}."
        )
    shown = " ".join(source.command[:3]) + ("…" if len(source.command) > 3 else "")
    return RunnerError(
        f"None of the command's arguments ({shown}) is a script file in the folder {source.cwd} of commit "
        f"{source.commit[:12]} of {source.name}, so the runner cannot tell what it runs (give the script's "
        "path from that folder, e.g. python3 scripts/x.py, or --cwd)."
    )


def _clone(source: Source, dest: Path) -> None:
    """A git repository at ``dest`` borrowing ``source``'s objects, its origin the recorded name."""
    _checked(
        gitinfo.git(
            dest.parent, "clone", "--quiet", "--shared", "--no-checkout", str(source.repository), str(dest)
        ),
        f"clone {source.repository}",
    )
    gitinfo.git(dest, "remote", "set-url", "origin", source.name)


def _check_out(dest: Path, commit: str, tree: Snapshot | None) -> None:
    _checked(
        gitinfo.git(dest, "-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", commit),
        f"check out {commit[:12]}",
    )
    if tree is not None:  # the caller's changes over the commit: HEAD stays the commit that is recorded
        alternates = dest / ".git" / "objects" / "info" / "alternates"
        with alternates.open("a") as f:
            f.write(f"{tree.objects.resolve()}\n")
        _checked(gitinfo.git(dest, "read-tree", "-u", "--reset", tree.tree), "apply the uncommitted changes")


def make(
    spec: RunSpec, scratch: Path, here: Path | None = None, say: Callable[[str], None] | None = None
) -> tuple[Checkout, RunSpec]:
    """Check out the commit ``spec`` names into ``<scratch>/checkout``; returns the checkout and the spec
    as it runs there (its command's script path made relative to the checkout when it was not). ``say``
    hears of a fetch, the one step that may take long. Raises `RunnerError` with the first refusal; the
    caller removes ``scratch`` then."""
    dest = scratch / "checkout"
    here = (here or Path.cwd()).resolve()
    if spec.skip_repo_checkout:
        dest.mkdir(parents=True)
        return Checkout(dest, "", "", None, None, ".", dirty=False), spec
    scratch.mkdir(parents=True, exist_ok=True)
    if spec.repository is not None:
        source = other_source(spec, spec.repository, dest, say)
    else:
        source = caller_source(spec, here)
    tree: Snapshot | None = None
    treeish = source.commit
    if source.caller_tree is not None:
        changed = gitinfo.tracked_changes(source.caller_tree)
        if spec.allow_uncommitted:
            tree = snapshot(source.caller_tree, source.commit, scratch)
            treeish = tree.tree
        elif changed:
            raise _refuse_uncommitted(spec, source.caller_tree, changed)
    env = {"GIT_ALTERNATE_OBJECT_DIRECTORIES": str(tree.objects.resolve())} if tree else None
    if not gitinfo.is_folder_in(source.repository, treeish, source.cwd, env=env):
        raise RunnerError(
            f"The folder {source.cwd} is not in commit {source.commit[:12]} of {source.name}; give --cwd "
            "with a folder of the commit (relative to the repository's root)."
        )
    script = gitinfo.script_in(source.repository, treeish, source.cwd, source.command, env=env)
    if script is None:
        raise _missing_script(spec, source, here)
    if spec.access_level != "test":
        gitinfo.require_on_default_branch(source.repository, source.commit, spec.access_level)
    if not source.fetched:
        _clone(source, dest)
    _check_out(dest, source.commit, tree if tree is not None and tree.diff_sha256 else None)
    dirty = tree is not None and tree.diff_sha256 is not None
    checkout = Checkout(
        root=dest,
        repository=source.name,
        commit=source.commit,
        branch=source.branch,
        script=script,
        cwd=source.cwd,
        dirty=dirty,
        diff_sha256=tree.diff_sha256 if tree is not None else None,
        changed=tree.changed[:LISTED_FILES] if tree is not None else (),
    )
    return checkout, replace(spec, command=source.command)
