"""genolog.existence_checks (cpg_utils.existence_checks' API) on local folders, gs:// (cloudpathlib's local
stand-in buckets) and s3:// (moto's S3 server): files, folders, Hail outputs by their _SUCCESS files, and
what is kept for the process."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from genolog.existence_checks import check_exists_path, exists, exists_not_cached, get_contents_of_path
from genolog.paths import to_path
from tests.storage.moto_s3 import S3Server


@pytest.fixture(autouse=True)
def forget_checks() -> Iterator[None]:
    """The answers and listings are kept for the process: each test starts and ends without any."""
    exists.cache_clear()
    get_contents_of_path.cache_clear()
    yield
    exists.cache_clear()
    get_contents_of_path.cache_clear()


def _write(root: str, relative: str, text: str = "x") -> None:
    path = to_path(f"{root}/{relative}")
    if not str(path).startswith(("gs://", "s3://")):
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture(params=["local", "gs", "s3"])
def root(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A folder with nothing in it yet: local, in a stand-in gs:// bucket, or in a moto s3:// bucket."""
    if request.param == "local":
        return str(tmp_path / "store")
    if request.param == "gs":
        request.getfixturevalue("fake_buckets")
        return f"gs://bucket-{uuid.uuid4().hex[:8]}/store"
    s3: S3Server = request.getfixturevalue("s3")
    return f"s3://{s3.new_bucket()}/store"


def test_files_and_folders(root: str) -> None:
    _write(root, "reads/a.fastq", "@r1\n")
    _write(root, "reads/nested/b.txt")
    assert exists_not_cached(f"{root}/reads/a.fastq")
    assert exists_not_cached(f"{root}/reads/nested")  # a folder (a prefix, in a bucket)
    assert exists_not_cached(f"{root}/reads/nested/")
    assert exists_not_cached(to_path(f"{root}/reads/a.fastq"))  # a path object as well as a string
    assert not exists_not_cached(f"{root}/reads/c.fastq")
    assert not exists_not_cached(f"{root}/reads/a.fast")  # a name, not a prefix of one
    assert exists(f"{root}/reads/a.fastq") and not exists(f"{root}/reads/c.fastq")
    assert check_exists_path(f"{root}/reads/a.fastq") and not check_exists_path(f"{root}/reads/c.fastq")
    assert get_contents_of_path(f"{root}/reads/") == {"a.fastq", "nested"}
    assert get_contents_of_path(f"{root}/reads") == {"a.fastq", "nested"}


def test_hail_outputs_exist_once_their_success_file_does(root: str) -> None:
    for name in ("cohort.mt", "sites.ht", "cohort.vds"):
        _write(root, f"{name}/metadata.json.gz")  # what a failed write leaves behind
    _write(root, "cohort.vds/variant_data/metadata.json.gz")
    _write(root, "cohort.vds/reference_data/_SUCCESS")
    assert not any(exists_not_cached(f"{root}/{name}") for name in ("cohort.mt", "sites.ht", "cohort.vds"))
    _write(root, "cohort.mt/_SUCCESS", "")
    _write(root, "sites.ht/_SUCCESS", "")
    _write(root, "cohort.vds/_SUCCESS", "")  # not where a VDS is marked
    assert exists_not_cached(f"{root}/cohort.mt") and exists_not_cached(f"{root}/sites.ht/")
    assert not exists_not_cached(f"{root}/cohort.vds")
    _write(root, "cohort.vds/variant_data/_SUCCESS", "")
    assert exists_not_cached(f"{root}/cohort.vds")
    # check_exists_path looks for the folder itself, as in cpg_utils
    assert check_exists_path(f"{root}/sites.ht")
    assert not exists_not_cached(f"{root}/missing.mt")


def test_exists_keeps_its_answers_and_exists_not_cached_looks_again(root: str) -> None:
    _write(root, "a.txt")
    assert not exists(f"{root}/b.txt")
    assert not check_exists_path(f"{root}/b.txt")
    _write(root, "b.txt")
    assert not exists(f"{root}/b.txt")  # answered before: kept
    assert not check_exists_path(f"{root}/b.txt")  # the folder's listing is kept too
    assert exists_not_cached(f"{root}/b.txt")  # lists the folder anew
    assert not exists(f"{root}/b.txt")  # ... without changing what is kept
    get_contents_of_path.cache_clear()
    assert check_exists_path(f"{root}/b.txt")
    assert not exists(f"{root}/b.txt")
    exists.cache_clear()
    assert exists(f"{root}/b.txt")


def test_adjacent_files_cost_one_listing(root: str) -> None:
    for i in range(4):
        _write(root, f"batch/part-{i}.txt")
    assert [exists(f"{root}/batch/part-{i}.txt") for i in range(5)] == [True] * 4 + [False]
    assert get_contents_of_path.cache_info().misses == 1
    assert [exists(f"{root}/batch/part-{i}.txt") for i in range(5)] == [True] * 4 + [False]
    assert exists.cache_info().hits == 5


def test_a_missing_local_folder(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    missing = tmp_path / "no-such-folder" / "a.txt"
    with caplog.at_level(logging.ERROR, logger="genolog.existence_checks"):
        assert not exists(missing)
    assert f"Failed checking {missing}" in caplog.text
    # not verbose: the error is the caller's, as in cpg_utils
    with pytest.raises(FileNotFoundError):
        exists_not_cached(missing, verbose=False)
    with pytest.raises(FileNotFoundError):
        check_exists_path(missing)


def test_a_file_where_a_folder_should_be_raises_even_when_verbose(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(NotADirectoryError):
        exists_not_cached(tmp_path / "a.txt" / "b.txt")


@pytest.mark.usefixtures("fake_buckets")
def test_a_cloud_prefix_with_nothing_under_it_is_missing_without_error() -> None:
    _write("gs://bucket-empty", "elsewhere/a.txt")
    assert not exists_not_cached("gs://bucket-empty/no-such-folder/a.txt", verbose=False)
    assert not exists_not_cached("gs://bucket-empty/elsewhere/a.txt/b.txt", verbose=False)
    assert get_contents_of_path("gs://bucket-empty/no-such-folder") == frozenset()


def test_roots_and_buckets(s3: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bucket = s3.new_bucket()
    assert exists_not_cached(f"s3://{bucket}") and exists_not_cached(f"s3://{bucket}/")
    assert not exists_not_cached(f"s3://{bucket}-gone")
    assert exists_not_cached("/") and exists_not_cached(".")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "here.txt").write_text("x")
    assert exists_not_cached("here.txt") and not exists_not_cached("there.txt")


def test_debug_log_says_what_was_checked(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "here.mt").mkdir()
    (tmp_path / "here.mt" / "_SUCCESS").touch()
    with caplog.at_level(logging.DEBUG, logger="genolog.existence_checks"):
        assert exists(tmp_path / "here.mt")
        assert not exists(tmp_path / "gone.txt")
    assert f"Checked {tmp_path / 'here.mt' / '_SUCCESS'} [exists]" in caplog.text
    assert f"Checked {tmp_path / 'gone.txt'} [missing]" in caplog.text


def test_answers_are_kept_however_many(tmp_path: Path) -> None:
    """cpg_utils keeps the last 128 answers and listings; these are kept for the process."""
    for i in range(200):
        (tmp_path / f"d{i}").mkdir()
    assert not any(exists(tmp_path / f"d{i}" / "x.txt") for i in range(200))
    assert get_contents_of_path.cache_info().currsize == 200
    assert not any(exists(tmp_path / f"d{i}" / "x.txt") for i in range(200))
    assert exists.cache_info().hits == 200 and get_contents_of_path.cache_info().misses == 200
