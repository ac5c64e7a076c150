"""The path helpers with s3:// storage, over the S3 protocol against moto's server: the endpoint from the
AWS environment or from ``[storage.s3] endpoint_url``, credentials only from the environment."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from genolog.config import ConfigError, set_config_paths
from genolog.paths import output_path, s3_endpoint_url, storage_problem, to_path
from tests.metadata.live import free_port
from tests.storage.moto_s3 import S3Server

Toml = Callable[[str, str], str]


def _dead_endpoint() -> str:
    """A loopback URL where nothing listens (requests to it would fail at once)."""
    return f"http://127.0.0.1:{free_port()}"


def test_output_path_writes_and_reads_s3_storage(s3: S3Server, toml_file: Toml) -> None:
    bucket = s3.new_bucket()
    set_config_paths(
        [
            toml_file(
                "s3.toml",
                f'[workflow]\noutput_prefix = "qc/v1"\n[storage.default]\ndefault = "s3://{bucket}/sandbox-test"\n',
            )
        ]
    )
    out = output_path("reports/summary.txt")
    assert out == f"s3://{bucket}/sandbox-test/qc/v1/reports/summary.txt"
    to_path(out).write_text("3 samples\n")
    stored = s3.client().get_object(Bucket=bucket, Key="sandbox-test/qc/v1/reports/summary.txt")
    assert stored["Body"].read() == b"3 samples\n"
    assert to_path(out).read_text() == "3 samples\n"
    assert [p.name for p in to_path(output_path("reports")).iterdir()] == ["summary.txt"]


def test_the_config_key_names_the_endpoint_and_wins_over_the_environment(
    s3: S3Server, toml_file: Toml, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = s3.new_bucket()
    monkeypatch.setenv("AWS_ENDPOINT_URL", _dead_endpoint())
    set_config_paths([toml_file("minio.toml", f'[storage.s3]\nendpoint_url = "{s3.endpoint_url}"\n')])
    assert s3_endpoint_url() == s3.endpoint_url
    to_path(f"s3://{bucket}/a.txt").write_text("on-premises")
    assert s3.client().get_object(Bucket=bucket, Key="a.txt")["Body"].read() == b"on-premises"


def test_the_s3_specific_variable_wins_over_the_general_one(
    s3: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = s3.new_bucket()
    monkeypatch.setenv("AWS_ENDPOINT_URL", _dead_endpoint())
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3.endpoint_url)
    assert s3_endpoint_url() == s3.endpoint_url
    to_path(f"s3://{bucket}/b.txt").write_text("b")
    assert to_path(f"s3://{bucket}/b.txt").read_text() == "b"


def test_without_any_endpoint_boto3_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(var, raising=False)
    assert s3_endpoint_url() is None


def test_a_config_file_in_a_bucket_is_read_through_the_environments_endpoint(
    s3: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The config in the bucket names the endpoint too; reading it must not need it (no recursion)."""
    bucket = s3.new_bucket()
    s3.client().put_object(
        Bucket=bucket,
        Key="configs/site.toml",
        Body=(
            f'[storage.s3]\nendpoint_url = "{s3.endpoint_url}"\n[workflow]\noutput_prefix = "run"\n'
            f'[storage.default]\ndefault = "s3://{bucket}/data"\n'
        ).encode(),
    )
    set_config_paths([f"s3://{bucket}/configs/site.toml"])
    to_path(output_path("x.txt")).write_text("x")
    assert s3.client().get_object(Bucket=bucket, Key="data/run/x.txt")["Body"].read() == b"x"


def test_a_config_file_in_a_bucket_with_wrong_credentials_is_a_config_error(
    s3: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = s3.new_bucket()
    s3.client().put_object(Bucket=bucket, Key="site.toml", Body=b"[workflow]\n")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    with pytest.raises(
        ConfigError, match=r"cannot be read: S3 refused the credentials \(SignatureDoesNotMatch"
    ):
        set_config_paths([f"s3://{bucket}/site.toml"])


def test_credentials_come_from_the_environment_and_a_wrong_key_says_what_to_check(
    s3: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = s3.new_bucket()
    to_path(f"s3://{bucket}/ok.txt").write_text("ok")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIANOTAKEY")
    with pytest.raises(Exception) as err:
        to_path(f"s3://{bucket}/ok.txt").read_text()
    problem = storage_problem(err.value)
    assert problem.everywhere
    assert problem.message.startswith("S3 refused the credentials (InvalidAccessKeyId: ")
    assert "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in problem.message
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3.access_key_id)  # the right key again: a client of its own
    assert to_path(f"s3://{bucket}/ok.txt").read_text() == "ok"


def test_an_unreachable_endpoint_says_where_it_is_set(s3: S3Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", _dead_endpoint())
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with pytest.raises(Exception) as err:
        to_path("s3://any-bucket/x.txt").read_text()
    problem = storage_problem(err.value)
    assert problem.everywhere
    assert problem.message.startswith("cannot reach S3 (Could not connect to the endpoint URL")
    assert "[storage.s3] endpoint_url" in problem.message
