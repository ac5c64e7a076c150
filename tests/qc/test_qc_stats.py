"""The vectorised statistics against a naive per-base reference, block boundaries, and bad input."""

from __future__ import annotations

import bz2
import gzip
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from genolog.qc._bgzf import write_bgzf
from genolog.qc._parser import compute_stats
from genolog.qc._reader import InputError, iter_blocks, open_source
from genolog.qc.report import analyse
from genolog.qc.stats import FileStats, FormatError
from tests.qc.qc_helpers import fastq_text, naive_stats, random_records


def _blocks(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)] or [b""]


def _per_position(st: FileStats) -> dict[str, list[int]]:
    return {
        "count": st.coverage.tolist(),
        "sum": [int(x) for x in st.qual_sum],
        "min": st.phred_min.tolist(),
        "max": st.phred_max.tolist(),
        "mean": st.mean_rounded.tolist(),
    }


def test_worked_example_from_the_reference() -> None:
    st = compute_stats("r.fq", [b"@a\nACGTA\n+\nIII5#\n@b\nACGT\n+\nII5#\n"])
    assert st.mean_rounded.tolist() == [40, 40, 30, 11, 2]
    assert st.phred_max.tolist() == [40, 40, 40, 20, 2]
    assert st.phred_min.tolist() == [40, 40, 20, 2, 2]
    assert (st.num_seqs, st.num_bases, st.min_len, st.max_len, st.mean_len) == (2, 9, 4, 5, 4)


def test_mean_rounds_half_to_even_like_numpy() -> None:
    # position 1: (36 + 37) / 2 = 36.5 -> 36; position 2: (37 + 38) / 2 = 37.5 -> 38
    st = compute_stats("x", [fastq_text([("a", "AA", "EF"), ("b", "AA", "FG")]).encode()])
    assert st.mean_rounded.tolist() == [36, 38]


@pytest.mark.parametrize("block_size", [7, 64, 1000, 1 << 20])
@pytest.mark.parametrize(
    ("lengths", "n"),
    [((150, 150), 400), ((30, 300), 400), ((1, 5000), 60), ((0, 3), 50)],
    ids=["fixed", "variable", "long-tail", "tiny-and-empty"],
)
def test_matches_naive_reference_across_block_boundaries(
    lengths: tuple[int, int], n: int, block_size: int
) -> None:
    records = random_records(seed=lengths[1] + n, n=n, lengths=lengths, qual_range=(0, 45))
    st = compute_stats("x", _blocks(fastq_text(records).encode(), block_size))
    assert _per_position(st) == naive_stats(records)
    assert st.num_seqs == n
    assert st.num_bases == sum(len(s) for _, s, _ in records)


def test_q0_minimum_is_kept_fastqe_bug_1_fixed() -> None:
    # fastqe overwrites a Q0 minimum with the next read's value and reports Q20 here
    st = compute_stats("x", [fastq_text([("a", "ACGT", "!III"), ("b", "ACGT", "5III")]).encode()])
    assert st.phred_min.tolist() == [0, 40, 40, 40]


def test_trailing_q0_positions_are_reported_fastqe_bug_2_fixed() -> None:
    # fastqe crashes ("operands could not be broadcast") when trailing positions average Q0
    st = compute_stats("x", [fastq_text([("a", "ACGTAC", "IIII!!"), ("b", "ACGTACGT", "IIII!!!!")]).encode()])
    assert st.mean_rounded.tolist() == [40, 40, 40, 40, 0, 0, 0, 0]
    assert st.coverage.tolist() == [2, 2, 2, 2, 2, 2, 1, 1]


def test_minlen_filters_quality_statistics_too_fastqe_bug_4_fixed() -> None:
    records = [("long", "ACGTAC", "IIIIII"), ("short", "ACG", "###")]
    st = compute_stats("x", [fastq_text(records).encode()], minlen=4)
    assert st.mean_rounded.tolist() == [40] * 6
    assert (st.num_seqs, st.num_skipped_short, st.min_len) == (1, 1, 6)


def test_crlf_and_missing_final_newline() -> None:
    text = fastq_text([("a", "ACG", "I5#"), ("b", "ACG", "I5#")], newline="\r\n").rstrip("\r\n")
    st = compute_stats("x", _blocks(text.encode(), 5))
    assert st.mean_rounded.tolist() == [40, 20, 2]
    assert st.num_seqs == 2


def test_trailing_blank_lines_are_ignored() -> None:
    st = compute_stats("x", [b"@a\nAC\n+\nII\n\n\n"])
    assert st.num_seqs == 1


def test_empty_input() -> None:
    st = compute_stats("x", [])
    assert st.num_seqs == 0
    assert st.mean_rounded.tolist() == []


@pytest.mark.parametrize("block_size", [3, 1 << 20])
def test_fasta_gives_length_statistics_only(block_size: int) -> None:
    text = b">one\nACGT\nAC\n>two\n\n>three desc\r\nACGTACGTAC\n"
    st = compute_stats("x.fa", _blocks(text, block_size))
    assert st.format == "fasta"
    assert st.length_counts.nonzero()[0].tolist() == [0, 6, 10]
    assert (st.num_seqs, st.num_bases, st.min_len, st.max_len, st.mean_len) == (3, 16, 0, 10, 5)
    assert st.to_dict()["has_qualities"] is False


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            b"@a\nAC\n+\nII\nb\nAC\n+\nII\n",
            "line 5: expected a FASTQ record header starting with '@', found 'b'",
        ),
        (b"@a\nAC\n-\nII\n", "line 3: expected the '+' separator"),
        (b"@a\nACG\n+\nII\n", "line 4: the quality string has 2 characters but the sequence has 3"),
        (b"@a\nAC\n+\nII\n@b\nAC\n+\nI \n", "line 8: quality character byte 0x20 is outside Phred+33"),
        (b"@a\nAC\n+\nI\xc3\n", "line 4: quality character byte 0xc3 is outside Phred+33"),
        (b"@a\nACGTACGT\n+\nIIIIIIII\n@b\nACGTA\n+\nII\x00II\n", "line 8: quality character byte 0x00"),
        (b"@a\nACGTACGT\n+\nIIIIIIII\n@b\nACGTA\n+\nII\x7fII\n", "line 8: quality character byte 0x7f"),
        (b"@a\nAC\n+\nII\n@b\nAC\n", "line 5: the file ends inside a record (only 2 of its 4 lines)"),
        (b"ACGT\n>x\nAC\n", "line 1: expected a FASTQ record header"),
        (b">x\nAC\n", None),
        (b"AC\n>x\n", "line 1: expected a FASTQ record header"),
    ],
)
def test_malformed_input_names_the_line(text: bytes, message: str | None) -> None:
    for size in (4, 1 << 20):
        if message is None:
            compute_stats("x", _blocks(text, size))
            continue
        with pytest.raises(FormatError) as err:
            compute_stats("x", _blocks(text, size))
        assert str(err.value).startswith(message)


def test_bad_character_reported_in_a_later_block_keeps_file_line_numbers() -> None:
    records = random_records(seed=3, n=300, lengths=(50, 90))
    name, seq, qual = records[250]
    records[250] = (name, seq, qual[:-1] + "\x7f")
    with pytest.raises(FormatError, match=r"^line 1004: quality character byte 0x7f"):
        compute_stats("x", _blocks(fastq_text(records).encode(), 997))


def test_gzip_is_detected_by_content_not_name(write_fastq: Callable[..., Path]) -> None:
    records = random_records(seed=5, n=50)
    gz_without_suffix = write_fastq("reads.fastq", records, gz=True)
    plain_named_gz = write_fastq("plain.fastq.gz", records)
    a, b = analyse(str(gz_without_suffix)), analyse(str(plain_named_gz))
    assert a.compression == "gzip" and b.compression == "none"
    assert _per_position(a) == _per_position(b) == naive_stats(records)


def test_multi_member_gzip_and_bzip2(tmp_path: Path) -> None:
    records = random_records(seed=6, n=120, lengths=(20, 200))
    text = fastq_text(records).encode()
    multi = tmp_path / "multi.fq.gz"
    multi.write_bytes(gzip.compress(text[:5000], mtime=0) + gzip.compress(text[5000:], mtime=0))
    bz = tmp_path / "reads.fq.bz2"
    bz.write_bytes(bz2.compress(text))
    for path in (multi, bz):
        assert _per_position(analyse(str(path))) == naive_stats(records)


def test_small_reader_blocks_give_the_same_answer(write_fastq: Callable[..., Path]) -> None:
    records = random_records(seed=8, n=200, lengths=(10, 400))
    path = write_fastq("r.fq.gz", records, gz=True)
    source = open_source(str(path))
    try:
        st = compute_stats("r", (bytes(b) for b in iter_blocks(source, chunk_size=4096)))
    finally:
        source.close()
    assert _per_position(st) == naive_stats(records)


def test_truncated_gzip_is_an_input_error(tmp_path: Path) -> None:
    data = gzip.compress(fastq_text(random_records(seed=9, n=400)).encode(), mtime=0)
    path = tmp_path / "cut.fq.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated gzip file"):
        analyse(str(path))


@pytest.mark.parametrize(("make", "message"), [("missing", "no such file"), ("dir", "is a directory")])
def test_unreadable_paths(tmp_path: Path, make: str, message: str) -> None:
    path = tmp_path / "x"
    if make == "dir":
        path.mkdir()
    with pytest.raises(InputError, match=message):
        analyse(str(path))


def test_json_summary_has_exact_sums(write_fastq: Callable[..., Path]) -> None:
    records = random_records(seed=10, n=30, lengths=(5, 12))
    d = analyse(str(write_fastq("r.fq", records))).to_dict()
    ref = naive_stats(records)
    per = d["per_position"]
    assert isinstance(per, dict)
    assert per["sum"] == ref["sum"] and per["count"] == ref["count"] and per["mean_rounded"] == ref["mean"]
    assert np.allclose(per["mean"], np.array(ref["sum"]) / np.array(ref["count"]), atol=1e-4)
    assert d["num_seqs"] == 30


def test_bgzf_is_inflated_in_parallel_blocks(tmp_path: Path) -> None:
    records = random_records(seed=12, n=500, lengths=(30, 250))
    text = fastq_text(records).encode()
    path = tmp_path / "reads.fq.bgz"
    with path.open("wb") as f:
        write_bgzf(text, f, block_size=997)  # ~100 blocks, records cut at odd places
    st = analyse(str(path))
    assert st.compression == "bgzf"
    assert _per_position(st) == naive_stats(records)
    # a BGZF file is also valid multi-member gzip: the sequential reader agrees
    assert gzip.decompress(path.read_bytes()) == text


@pytest.mark.parametrize(("cut", "message"), [(-2000, "truncated bgzf file"), (-28, None)])
def test_truncated_bgzf(tmp_path: Path, cut: int, message: str | None) -> None:
    records = random_records(seed=13, n=200)
    path = tmp_path / "reads.fq.bgz"
    with path.open("wb") as f:
        write_bgzf(fastq_text(records).encode(), f, block_size=4000)
    path.write_bytes(path.read_bytes()[:cut])
    if message is None:  # only the empty end-of-file marker block is missing: the content is complete
        assert analyse(str(path)).num_seqs == 200
        return
    with pytest.raises(InputError, match=message):
        analyse(str(path))


def test_corrupt_bgzf_block_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "reads.fq.bgz"
    with path.open("wb") as f:
        write_bgzf(fastq_text(random_records(seed=14, n=100)).encode(), f, block_size=3000)
    data = bytearray(path.read_bytes())
    data[5000:5010] = b"\x00" * 10
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match="bgzf"):
        analyse(str(path))
