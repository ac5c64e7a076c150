"""Fixtures for the read-QC tests: seeded FASTQ generation, a naive reference, and the published fastqe."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.published import published_venv
from tests.qc.qc_helpers import Record, fastq_text


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
    """The published fastqe==version in its own venv (0.3.1 reads its version through pkg_resources,
    which setuptools 81 removed)."""
    extra = ["setuptools<81"] if version.startswith("0.3") else []
    return published_venv(f"fastqe-{version}", f"fastqe=={version}", *extra) / "bin" / "fastqe"


@pytest.fixture(scope="session")
def fastqe_052() -> Path:
    return _build_fastqe("0.5.2")


@pytest.fixture(scope="session")
def fastqe_031() -> Path:
    return _build_fastqe("0.3.1")
