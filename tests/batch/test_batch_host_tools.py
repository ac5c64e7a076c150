"""Jobs using genolog's FastQE image run `fastqe` on the host (genolog's QC) when there is no container."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

import genolog.batch as hb
from genolog.batch import LocalBackend
from genolog.batch._report import JobFailedError
from genolog.batch._shims import host_tools
from genolog.config import FASTQE_IMAGE


def _fastq(path: Path, quality: str, reads: int = 5) -> str:
    with gzip.open(path, "wt") as f:
        for i in range(reads):
            f.write(f"@r{i}\n{'A' * len(quality)}\n+\n{quality}\n")
    return str(path)


def test_the_fastqe_image_gets_a_host_fastqe(
    tmp_path: Path, backend: LocalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no fastqe, no genolog-fastqe
    r1 = _fastq(tmp_path / "S_R1.fq.gz", "IIII")
    r2 = _fastq(tmp_path / "S_R2.fq.gz", "5555")
    b = hb.Batch(name="qc", backend=backend)
    j = b.new_job("FastQE").image(FASTQE_IMAGE)
    f1, f2 = b.read_input(r1), b.read_input(r2)
    j.command(f"fastqe {f1} {f2} --html > {j.out_fastqe}")
    b.write_output(j.out_fastqe, str(tmp_path / "out" / "S.html"))
    other = b.new_job("other image").image("python:3.12-slim")
    other.command("command -v fastqe && exit 3 || true")
    result = b.run()
    assert [r.status for r in result.jobs] == ["succeeded", "succeeded"]
    html = (tmp_path / "out" / "S.html").read_text()
    assert html.lstrip().lower().startswith("<!doctype html") and "S_R1.fq.gz" in html


def test_only_genolog_fastqe_images_have_host_tools() -> None:
    name = FASTQE_IMAGE.rsplit(":", 1)[0]
    assert host_tools(FASTQE_IMAGE) == host_tools(f"{name}:9.9") == {"fastqe": "genolog.qc.fastqe_cli"}
    assert host_tools(name) != {}
    assert host_tools("fastqe_image:1.0.0") == host_tools(None) == {}
    assert host_tools("registry.example.org/localhost/genolog-fastqe:1") == {}


def test_a_failing_fastqe_fails_the_job(tmp_path: Path, backend: LocalBackend) -> None:
    bad = tmp_path / "bad.fq"
    bad.write_text("not a fastq\n")
    b = hb.Batch(name="qc", backend=backend)
    j = b.new_job("FastQE").image(FASTQE_IMAGE)
    j.command(f"set -o pipefail; fastqe {b.read_input(str(bad))} --html > {j.out_fastqe}")
    with pytest.raises(JobFailedError) as caught:
        b.run()
    assert "bad.fq" in caught.value.log_tail
