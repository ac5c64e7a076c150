"""Running the FastQE example for the demo, and reading results back.

`run_fastqe_analysis` is the one place that knows how the example is launched. Until
`genolog analysis-runner` exists it runs the script directly as the driver, with a config like the
one the runner writes (GENOLOG_CONFIG_PATH); then it becomes the analysis-runner call.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from genolog.client import query as _query
from genolog.config import DEFAULT_IMAGES
from genolog.paths import local_storage_config

DATASET = "sandbox"
ACCESS_LEVEL = "test"
OUTPUT_DIR = "fastqe"


def query(text: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    return _query(text, variables)


def run_fastqe_analysis(
    script: Path,
    *,
    data_dir: Path,
    server_url: str,
    sgids: list[str],
    force: bool,
    env: Mapping[str, str],
) -> int:
    """Run the example at test access on `sgids`; returns the driver's exit code."""
    config = _driver_config(data_dir, server_url)
    arguments = ["--sgids", *sgids] + (["--force"] if force else [])
    driver_env = {**env, "GENOLOG_CONFIG_PATH": str(config), "CPG_CONFIG_PATH": str(config)}
    return subprocess.call([sys.executable, script.name, *arguments], cwd=script.parent, env=driver_env)


def _through_analysis_runner(script: Path, *, sgids: list[str], force: bool, env: Mapping[str, str]) -> int:
    """``genolog analysis-runner --dataset sandbox --access-level test -o fastqe ... python3 <script>``,
    from the script's git workspace (the runner records its commit and writes the config)."""
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


def _driver_config(data_dir: Path, server_url: str) -> Path:
    """The config analysis-runner would write: workflow, storage, images, hail and metadata tables."""
    storage = local_storage_config(data_dir, [DATASET], ACCESS_LEVEL, server_url=server_url)
    document: dict[str, Any] = {
        "workflow": {
            "dataset": DATASET,
            "access_level": ACCESS_LEVEL,
            "output_prefix": OUTPUT_DIR,
            "name": "fastqe",
        },
        "storage": storage,
        "images": dict(DEFAULT_IMAGES),
        "hail": {"backend": "local"},
        "metadata": {"url": server_url},
    }
    path = Path(storage[DATASET]["tmp"]) / "config" / "demo-fastqe.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_toml(document))
    return path


def to_toml(document: Mapping[str, Any], prefix: str = "") -> str:
    """TOML for nested tables of strings, numbers and booleans (all a runner config holds)."""
    lines, tables = [], []
    for key, value in document.items():
        name = key if _bare(key) else json.dumps(key)
        if isinstance(value, Mapping):
            tables.append((f"{prefix}{name}", value))
        else:
            lines.append(f"{name} = {json.dumps(value)}")
    out = "\n".join(lines) + ("\n" if lines else "")
    for table, value in tables:
        out += f"\n[{table}]\n" + to_toml(value, f"{table}.")
    return out


def _bare(key: str) -> bool:
    return bool(key) and all(c.isalnum() or c in "-_" for c in key)


__all__ = ["query", "run_fastqe_analysis", "to_toml"]
