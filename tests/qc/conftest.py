"""Fixtures for the read-QC tests: seeded FASTQ generation, a naive reference, and the published fastqe."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from qc_helpers import Record, fastq_text

ROOT = Path(__file__).resolve().parents[2]
FASTQE_CACHE = Path(os.environ.get("GENOLOG_FASTQE_CACHE", ROOT / ".cache"))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture
def write_fastq(tmp_path: Path) -> Callable[..., Path]:
    """write_fastq(name, records | text, gz=False) -> path"""

    def write(name: str, content: list[Record] | str | bytes, gz: bool = False) -> Path:
        data = content if isinstance(content, (str, bytes)) else fastq_text(content)
        raw = data.encode() if isinstance(data, str) else data
        path = tmp_path / name
        path.write_bytes(gzip.compress(raw, mtime=0) if gz else raw)
        return path

    return write


def _build_fastqe(version: str) -> Path:
    """A venv with the published fastqe==version under .cache/, built once and reused."""
    venv = FASTQE_CACHE / f"fastqe-{version}"
    exe = venv / "bin" / "fastqe"
    done = venv / ".complete"
    if done.exists() and exe.exists():
        return exe
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, capture_output=True)
    # fastqe 0.3.1 reads its version through pkg_resources, which setuptools 81 removed
    extra = ["setuptools<81"] if version.startswith("0.3") else []
    result = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            f"fastqe=={version}",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        message = f"cannot pip-install fastqe=={version} (is PyPI reachable?): {result.stderr.strip()[-800:]}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    done.touch()
    return exe


@pytest.fixture(scope="session")
def fastqe_052() -> Path:
    return _build_fastqe("0.5.2")


@pytest.fixture(scope="session")
def fastqe_031() -> Path:
    return _build_fastqe("0.3.1")
