"""`read_input` and `write_output` with s3:// on the local backend, over the S3 protocol against moto's
server (the endpoint and credentials in the usual AWS environment, set by the ``s3`` fixture)."""

from __future__ import annotations

import random

import pytest

from genolog.batch import Batch, JobFailedError, LocalBackend
from tests.storage.moto_s3 import S3Server


def _object(s3: S3Server, bucket: str, key: str) -> bytes:
    body: bytes = s3.client().get_object(Bucket=bucket, Key=key)["Body"].read()
    return body


def _keys(s3: S3Server, bucket: str, prefix: str = "") -> list[str]:
    listing = s3.client().list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for o in listing.get("Contents", []))


def test_inputs_are_read_from_s3_and_outputs_written_there(s3: S3Server, backend: LocalBackend) -> None:
    bucket = s3.new_bucket()
    reads = random.Random(7).randbytes(300_000)  # several network reads, binary-safe
    s3.client().put_object(Bucket=bucket, Key="in/sample 1.fq", Body=b"ACGTTGCA\n")
    s3.client().put_object(Bucket=bucket, Key="in/reads.bin", Body=reads)

    b = Batch(backend=backend)
    inp = b.read_input(f"s3://{bucket}/in/sample 1.fq")
    raw = b.read_input(f"s3://{bucket}/in/reads.bin")
    j = b.new_job("complement")
    j.declare_resource_group(stats={"txt": "{root}.txt", "json": "{root}.json"})
    j.command(f"tr ACGT TGCA < {inp} > {j.ofile}")
    j.command(f"wc -c < {raw} > {j.stats.txt}; echo '{{\"lines\": 1}}' > {j.stats.json}")
    j.command(f"mkdir -p {j.folder}/sub && cp {inp} {j.folder}/a.fq && cat {raw} > {j.folder}/sub/b.bin")
    b.write_output(j.ofile, f"s3://{bucket}/out/complement.fq")
    b.write_output(j.stats, f"s3://{bucket}/out/stats")
    b.write_output(j.folder, f"s3://{bucket}/out/folder")
    b.write_output(raw, f"s3://{bucket}/copy/reads.bin")  # an input straight to an output
    result = b.run()

    assert result is not None and result.succeeded
    assert _object(s3, bucket, "out/complement.fq") == b"TGCAACGT\n"
    assert _object(s3, bucket, "out/stats.txt").strip() == b"300000"
    assert _object(s3, bucket, "out/stats.json") == b'{"lines": 1}\n'
    assert _keys(s3, bucket, "out/folder") == ["out/folder/a.fq", "out/folder/sub/b.bin"]
    assert _object(s3, bucket, "out/folder/sub/b.bin") == reads
    assert _object(s3, bucket, "copy/reads.bin") == reads


def test_a_missing_s3_input_fails_its_job_with_the_url(s3: S3Server, backend: LocalBackend) -> None:
    bucket = s3.new_bucket()
    b = Batch(backend=backend)
    j = b.new_job("reader")
    j.command(f"cat {b.read_input(f's3://{bucket}/nowhere.txt')} > {j.ofile}")
    b.write_output(j.ofile, f"s3://{bucket}/out.txt")
    with pytest.raises(
        JobFailedError, match=f"cannot download input s3://{bucket}/nowhere.txt: no such object"
    ):
        b.run()
    assert _keys(s3, bucket) == []


def test_wrong_credentials_fail_the_upload_with_what_to_check(
    s3: S3Server, backend: LocalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = s3.new_bucket()
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    b = Batch(backend=backend)
    j = b.new_job("writer")
    j.command(f"echo hi > {j.ofile}")
    b.write_output(j.ofile, f"s3://{bucket}/out.txt")
    with pytest.raises(JobFailedError, match="S3 refused the credentials") as err:
        b.run()
    assert "SignatureDoesNotMatch" in str(err.value) and "AWS_SECRET_ACCESS_KEY" in str(err.value)
    assert _keys(s3, bucket) == []
