"""The published tools genolog stays compatible with, each in its own venv under .cache/, built once.

They live apart from genolog's own environment, as they would on a user's machine (the metamist client
pins an older graphql-core than genolog's server uses, for one). Without PyPI the tests that need them
skip with the reason; in CI they fail instead.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

import pytest

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("GENOLOG_TOOL_CACHE", ROOT / ".cache"))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(message: str) -> NoReturn:
    """Something a test needs is not on this machine: skip with ``message``, but fail in CI, which
    installs everything the tests need (.ci/run)."""
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def published_venv(name: str, *requirements: str) -> Path:
    """A venv at .cache/<name> with ``requirements`` pip-installed; returns the venv folder."""
    venv = CACHE / name
    done = venv / ".complete"
    if done.exists() and (venv / "bin" / "python").exists():
        return venv
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, capture_output=True)
    result = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            *requirements,
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if result.returncode != 0:
        unavailable(
            f"cannot pip-install {' '.join(requirements)} (is PyPI reachable?): {result.stderr.strip()[-800:]}"
        )
    done.touch()
    return venv


@pytest.fixture(scope="session")
def metamist_python() -> Path:
    """Python of a separate venv with the published metamist client (7.14), as a user would have it."""
    return published_venv("metamist-7.14", "metamist>=7.14,<7.15") / "bin" / "python"


@pytest.fixture(scope="session")
def hail_venv() -> Path:
    """A venv with ``genolog[hail]`` (hail pins rich<13, which genolog's dev tools outgrew), built once."""
    # keyed on pyproject.toml, so a change to genolog's dependencies or the extra rebuilds it
    key = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:10]
    return published_venv(f"hail-{key}", "-e", f"{ROOT}[hail]")


def hail_env(*prefixes: str) -> dict[str, str]:
    """This process's environment for a script in `hail_venv`: without config paths, Hail's settings or
    variables starting with ``prefixes`` (the scripts set their own)."""
    dropped = ("HAIL_", *prefixes)
    return {
        k: v for k, v in os.environ.items() if not k.endswith("_CONFIG_PATH") and not k.startswith(dropped)
    }
