from __future__ import annotations

import pytest

from genolog.ingest.reads import fastq_group_key, kind_of, pair_fastqs


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("a.fastq.gz", "fastq"),
        ("a.FQ.GZ", "fastq"),
        ("a.fq", "fastq"),
        ("a.fastq.ora", "fastq_ora"),
        ("a.fq.ora", "fastq_ora"),
        ("a.bam", "bam"),
        ("a.cram", "cram"),
        ("a.g.vcf.gz", "gvcf"),
        ("a.vcf.gz", None),
        ("a.txt", None),
    ],
)
def test_file_kinds_come_from_the_extension(name: str, kind: str | None) -> None:
    assert kind_of(name) == kind


@pytest.mark.parametrize(
    ("r1", "r2"),
    [
        ("X_L001_R1.fastq.gz", "X_L001_R2.fastq.gz"),
        ("S_L001_R1_001.fastq.gz", "S_L001_R2_001.fastq.gz"),
        ("F_1.fq.gz", "F_2.fq.gz"),
        ("G-R1.fq.ora", "G-R2.fq.ora"),
    ],
)
def test_reference_examples_pair(r1: str, r2: str) -> None:
    assert fastq_group_key(r1) == fastq_group_key(r2) is not None
    result = pair_fastqs([r2, r1], str, str)
    assert result.pairs == [(r1, r2)] and not result.bad_groups and not result.unnamed


def test_lanes_and_chunks_pair_separately_sorted_by_first_name_across_folders() -> None:
    names = {
        "b/S_L002_R2_001.fq.gz": "S_L002_R2_001.fq.gz",
        "a/S_L002_R1_001.fq.gz": "S_L002_R1_001.fq.gz",
        "a/S_L001_R2_002.fq.gz": "S_L001_R2_002.fq.gz",
        "a/S_L001_R1_002.fq.gz": "S_L001_R1_002.fq.gz",
        "c/S_L001_R2_001.fq.gz": "S_L001_R2_001.fq.gz",
        "c/S_L001_R1_001.fq.gz": "S_L001_R1_001.fq.gz",
    }
    result = pair_fastqs(list(names), names.__getitem__, str)
    assert result.pairs == [
        ("c/S_L001_R1_001.fq.gz", "c/S_L001_R2_001.fq.gz"),
        ("a/S_L001_R1_002.fq.gz", "a/S_L001_R2_002.fq.gz"),
        ("a/S_L002_R1_001.fq.gz", "b/S_L002_R2_001.fq.gz"),
    ]


def test_single_end_triples_and_unreadable_names_are_reported() -> None:
    result = pair_fastqs(["A_R1.fq", "B_1.fq", "B_2.fq", "B-2.fq", "C.fastq.gz"], str, str)
    assert result.pairs == []
    assert result.bad_groups == [["A_R1.fq"], ["B-2.fq", "B_1.fq", "B_2.fq"]]
    assert result.unnamed == ["C.fastq.gz"]
