"""The FastQE example (`examples/fastqe/`) and the small git repository the demo runs it from.

`genolog analysis-runner` records the repository and commit of the script it runs (and refuses a
script outside git), so the demo keeps a workspace under its data dir with the example committed.
"""

from __future__ import annotations

import filecmp
import shutil
import subprocess
from pathlib import Path

import genolog

EXAMPLE = "fastqe"
SCRIPT = "fastqe_analysis.py"
_GIT_IDENTITY = ["-c", "user.name=genolog demo", "-c", "user.email=demo@genolog.invalid"]


class WorkspaceError(Exception):
    pass


def example_folder(name: str = EXAMPLE) -> Path:
    """The example's folder: inside the installed package (the wheel ships it there), else in the
    source checkout (an editable install)."""
    package = Path(genolog.__file__).resolve().parent
    for candidate in (package / "examples" / name, package.parents[1] / "examples" / name):
        if (candidate / SCRIPT).is_file():
            return candidate
    raise WorkspaceError(f"The {name} example is not installed (looked in {package / 'examples'})")


def _git(workspace: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *_GIT_IDENTITY, *args], cwd=workspace, capture_output=True, text=True, check=True
        )
    except FileNotFoundError:
        raise WorkspaceError("git is not installed; the analysis runner needs it") from None
    except subprocess.CalledProcessError as e:
        raise WorkspaceError(f"git {' '.join(args)} failed in {workspace}: {e.stderr.strip()}") from None
    return done.stdout.strip()


def prepare_workspace(workspace: Path, example: Path | None = None) -> tuple[Path, str]:
    """Copy the example into `workspace` (a git repository, created if needed) and commit any change.

    Returns the script's path and the commit it is at."""
    example = example or example_folder()
    workspace.mkdir(parents=True, exist_ok=True)
    if not (workspace / ".git").exists():
        _git(workspace, "init", "-q", "-b", "main")
    changed = False
    for source in sorted(example.iterdir()):
        if source.is_file() and not source.name.startswith("."):
            target = workspace / source.name
            if not target.exists() or not filecmp.cmp(source, target, shallow=False):
                shutil.copy2(source, target)
                changed = True
    if changed or _git(workspace, "status", "--porcelain") != "":
        _git(workspace, "add", "-A")
        if _git(workspace, "status", "--porcelain"):
            _git(
                workspace,
                "commit",
                "-q",
                "-m",
                f"The {example.name} example of genolog {genolog.__version__}",
            )
    return workspace / SCRIPT, _git(workspace, "rev-parse", "HEAD")
