"""Running the FastQE example for the demo (through `genolog analysis-runner`), and reading results back."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from genolog.client import query as _query

DATASET = "sandbox"
ACCESS_LEVEL = "test"
OUTPUT_DIR = "fastqe"


def query(text: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    return _query(text, variables)


def run_fastqe_analysis(script: Path, *, sgids: list[str], force: bool, env: Mapping[str, str]) -> int:
    """``genolog analysis-runner --dataset sandbox --access-level test -o fastqe ... python3 <script>``
    on `sgids`, from the script's git workspace (the runner checks access, records the run with its
    commit, writes the config and runs the script as the driver); returns its exit code."""
    arguments = ["--sgids", *sgids] + (["--force"] if force else [])
    command = [
        sys.executable, "-m", "genolog.cli", "analysis-runner",
        "--dataset", DATASET, "--access-level", ACCESS_LEVEL, "-o", OUTPUT_DIR,
        "--description", "genolog demo: FastQE on the sandbox sequencing groups",
        "python3", script.name, *arguments,
    ]  # fmt: skip
    # `python3` in the driver is this interpreter (its environment has genolog)
    path = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.call(command, cwd=script.parent, env={**env, "PATH": path})


__all__ = ["query", "run_fastqe_analysis"]
