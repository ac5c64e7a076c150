"""`genolog ingest manifest` with read files in s3:// buckets: the real CLI against a live genolog server,
and moto's S3 server (endpoint and credentials in the usual AWS environment, set by the ``s3`` fixture)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from genolog.cli import app
from tests.ingest.support import write_manifest
from tests.metadata.support import Api
from tests.storage.moto_s3 import S3Server

runner = CliRunner()

R1 = b"@r1\nACGT\n+\nIIII\n" * 3
R2 = b"@r2\nTTGA\n+\nIIII\n" * 4
BAM = bytes(range(256)) * 40


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


@pytest.fixture
def buckets(s3: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """Reads in two buckets: a FASTQ pair (R2 with a sibling .md5) under run1/, and a BAM elsewhere."""
    monkeypatch.chdir(tmp_path)
    reads, other = s3.new_bucket(), s3.new_bucket()
    client = s3.client()
    client.put_object(Bucket=reads, Key="run1/C_R1.fastq.gz", Body=R1)
    client.put_object(Bucket=reads, Key="run1/C_R2.fastq.gz", Body=R2)
    client.put_object(
        Bucket=reads, Key="run1/C_R2.fastq.gz.md5", Body=f"{_md5(R2)}  C_R2.fastq.gz\n".encode()
    )
    client.put_object(Bucket=other, Key="D.bam", Body=BAM)
    return reads, other


def _ingest(*args: str) -> Any:
    return runner.invoke(app, ["ingest", "manifest", "proj", *args])


def _reads_by_sample(api: Api) -> dict[str, Any]:
    samples = {
        s["id"]: s["external_ids"][""] for s in api.ok("POST", "/sample/", json={"project_ids": ["proj"]})
    }
    assays = api.ok("POST", "/assay/criteria", json={"projects": ["proj"]})
    return {samples[a["sample_id"]]: a["meta"]["reads"] for a in assays}


def test_files_in_s3_are_found_sized_and_hashed_through_the_cli(
    buckets: tuple[str, str], live_api: Api, tmp_path: Path
) -> None:
    reads, other = buckets
    write_manifest(
        tmp_path / "m.tsv",
        [
            ["participant", "sample", "files"],
            ["P1", "C", "C_R1.fastq.gz,C_R2.fastq.gz"],
            ["P2", "D", f"s3://{other}/D.bam"],
        ],
    )
    # the first search path holds none of the files: the second one does
    result = _ingest("m.tsv", "--search-path", f"s3://{reads}/run0", "--search-path", f"s3://{reads}/run1/")
    assert result.exit_code == 0, result.output
    assert "2 rows: 2 participants, 2 samples, 2 sequencing groups, 2 assays, 3 files" in result.stdout

    recorded = _reads_by_sample(live_api)
    assert recorded["C"] == [
        [
            {
                "location": f"s3://{reads}/run1/C_R1.fastq.gz",
                "basename": "C_R1.fastq.gz",
                "class": "File",
                "checksum": f"md5:{_md5(R1)}",  # computed from the data read from the bucket
                "size": len(R1),
            },
            {
                "location": f"s3://{reads}/run1/C_R2.fastq.gz",
                "basename": "C_R2.fastq.gz",
                "class": "File",
                "checksum": f"md5:{_md5(R2)}",  # from the sibling C_R2.fastq.gz.md5
                "size": len(R2),
            },
        ]
    ]
    assert recorded["D"] == {
        "location": f"s3://{other}/D.bam",
        "basename": "D.bam",
        "class": "File",
        "checksum": f"md5:{_md5(BAM)}",
        "size": len(BAM),
    }


def test_the_sibling_md5_is_what_is_recorded(
    s3: S3Server, buckets: tuple[str, str], live_api: Api, tmp_path: Path
) -> None:
    """The sibling's digest (here a bare one) is taken as given, as for local files: the data is not read."""
    reads, _ = buckets
    given = "0123456789abcdef" * 2
    s3.client().put_object(Bucket=reads, Key="run1/C_R1.fastq.gz.md5", Body=given.encode())
    write_manifest(tmp_path / "m.tsv", [["sample", "files"], ["C", "C_R1.fastq.gz,C_R2.fastq.gz"]])
    result = _ingest("m.tsv", "--search-path", f"s3://{reads}/run1")
    assert result.exit_code == 0, result.output
    [[r1, r2]] = _reads_by_sample(live_api)["C"]
    assert (r1["checksum"], r1["size"]) == (f"md5:{given}", len(R1))
    assert (r2["checksum"], r2["size"]) == (f"md5:{_md5(R2)}", len(R2))


def test_missing_s3_objects_are_reported_like_missing_files(
    buckets: tuple[str, str], live_api: Api, tmp_path: Path
) -> None:
    reads, other = buckets
    write_manifest(
        tmp_path / "m.tsv",
        [
            ["sample", "files"],
            ["C", "C_R1.fastq.gz,C_R2.fastq.gz"],
            ["E", "E.bam"],
            ["F", f"s3://{other}/F.cram"],
        ],
    )
    result = _ingest("m.tsv", "--search-path", f"s3://{reads}/run1")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"m.tsv:3: column 'files': file E.bam not found under --search-path s3://{reads}/run1",
        f"m.tsv:4: column 'files': file s3://{other}/F.cram not found",
        "2 problems: nothing was sent (--skip-bad-rows ingests the rest)",
    ]
    assert live_api.ok("POST", "/sample/", json={"project_ids": ["proj"]}) == []


@pytest.mark.parametrize(
    ("variable", "value", "code"),
    [
        ("AWS_SECRET_ACCESS_KEY", "not-the-secret", "SignatureDoesNotMatch"),
        ("AWS_ACCESS_KEY_ID", "AKIANOTAKEY", "InvalidAccessKeyId"),
    ],
)
def test_wrong_credentials_are_one_clear_error_and_nothing_is_sent(
    buckets: tuple[str, str],
    live_api: Api,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    code: str,
) -> None:
    reads, other = buckets
    write_manifest(
        tmp_path / "m.tsv",
        [["sample", "files"], ["C", "C_R1.fastq.gz,C_R2.fastq.gz"], ["D", f"s3://{other}/D.bam"]],
    )
    monkeypatch.setenv(variable, value)
    result = _ingest("m.tsv", "--search-path", f"s3://{reads}/run1", "--skip-bad-rows")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    [problem, summary] = result.stderr.splitlines()
    assert problem.startswith(
        f"m.tsv:2: column 'files': cannot look for file C_R1.fastq.gz: S3 refused the credentials ({code}: "
    )
    assert problem.endswith(
        "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE and ~/.aws/credentials) "
        "(no other file was looked for)"
    )
    assert summary == "1 problem: nothing was sent"  # dropping rows would not help: no hint
    assert live_api.ok("POST", "/sample/", json={"project_ids": ["proj"]}) == []
