"""Every kind of manifest problem, with its exact message; nothing is sent unless --skip-bad-rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from genolog.cli import app
from tests.ingest.support import FakeClient, write_manifest, write_reads
from tests.metadata.support import Api

runner = CliRunner()

HEADER = ["participant_id", "sample_id", "filenames", "sex", "md5", "read_length", "Library"]
ROWS = [
    ["P1", "S1", "S1_R1.fastq.gz,S1_R2.fastq.gz", "m", "", "150", ""],  # 2: good
    ["P2", "S2", "S2_R1.fastq.gz", "", "", "", ""],  # 3: missing file (and so its mate is alone)
    ["P2", "S2", "S2_R2.fastq.gz", "", "", "", ""],  # 4
    ["P3", "S3", "S3_L001_R1.fastq.gz", "", "", "", ""],  # 5: unpaired FASTQ
    ["P9", "S1", "S1.bam", "", "", "", ""],  # 6: S1 is P1's sample
    ["P4", "S4", "S4.bam", "x", "", "", ""],  # 7: bad sex
    ["", "S5", "S5.bam", "f", "", "", ""],  # 8: sex without participant
    ["P6", "S6", "S6.cram", "", "123", "", ""],  # 9: bad checksum
    ["P6", "S6b", "S6b.cram", "", "", "150bp", ""],  # 10: bad read length
    ["P7", "S7", "S7.fastq.gz,notes.txt", "", "", "", ""],  # 11: unpairable FASTQ name, not a read file
    ["P8", "S8", "S8.cram", "", "", "", ""],  # 12: good
    ["P8", "S8", "S8.cram", "", "", "", ""],  # 13: listed twice
    ["P10", "S10", "S10.cram,S10_1.fq.gz,S10_2.fq.gz", "", "", "", ""],  # 14: mixed reads
    ["P11", "S11", "S11a.bam,S11b.bam", "", "", "", ""],  # 15: two BAMs
    ["P12", "", "S12.bam", "", "", "", ""],  # 16: no sample id
    ["P1", "S13", "S13.bam", "2", "", "", ""],  # 17: P1 was male on line 2
    ["P14", "S14", "S14.bam", "", "", "", "pcr-free"],  # 18: good
    ["P14", "S14", "S14.bam.md5.txt", "", "", "", "nextera"],  # 19: library conflict, and not a read file
    ["P15", "S15", "S15.g.vcf.gz", "", "", "", ""],  # 20: a gVCF without reads
    ["P16", "S16", "S16.bam", "", "", "", "", "extra"],  # 21: a cell too many
]
FILES = (
    "S1_R1.fastq.gz",
    "S1_R2.fastq.gz",
    "S2_R2.fastq.gz",
    "S3_L001_R1.fastq.gz",
    "S1.bam",
    "S4.bam",
    "S5.bam",
    "S6.cram",
    "S6b.cram",
    "S7.fastq.gz",
    "notes.txt",
    "S8.cram",
    "S10.cram",
    "S10_1.fq.gz",
    "S10_2.fq.gz",
    "S11a.bam",
    "S11b.bam",
    "S12.bam",
    "S13.bam",
    "S14.bam",
    "S14.bam.md5.txt",
    "S15.g.vcf.gz",
    "S16.bam",
)
EXPECTED = [
    "bad-header.csv:1: columns 'sample' and 'Sample ID' both give the sample id",
    "bad-header.csv:1: unknown column 'colour' (known columns: participant_id, sample_id, filenames, "
    "sample_type, sequencing_type, sequencing_technology, sequencing_platform, facility, library, "
    "read_end_type, read_length, checksum, sex, affected)",
    "bad-header.csv:1: no filenames column (accepted headers: filenames, filename, files, file)",
    "manifest.tsv:3: column 'filenames': file S2_R1.fastq.gz not found under --search-path data/",
    "manifest.tsv:4: column 'filenames': FASTQ S2_R2.fastq.gz has no mate (sample S2 (genome): every FASTQ "
    "needs its R1/R2 partner)",
    "manifest.tsv:5: column 'filenames': FASTQ S3_L001_R1.fastq.gz has no mate (sample S3 (genome): every "
    "FASTQ needs its R1/R2 partner)",
    "manifest.tsv:6: column 'participant_id': sample S1 is under participant P9 here but under P1 on line 2",
    "manifest.tsv:7: column 'sex': unknown sex 'x' (use 0/1/2, m/male, f/female, u/unknown)",
    "manifest.tsv:8: column 'sex': sex given for sample S5 without a participant id",
    "manifest.tsv:9: column 'md5': checksum '123' is not an md5 (32 hex digits, optionally after md5:)",
    "manifest.tsv:10: column 'read_length': read length '150bp' is not a whole number",
    "manifest.tsv:11: column 'filenames': file notes.txt is not a read file (expected .fastq(.gz), "
    ".fq(.gz), .fastq.ora, .fq.ora, .bam, .cram or .g.vcf.gz)",
    "manifest.tsv:11: column 'filenames': cannot tell R1 from R2 in FASTQ name S7.fastq.gz (expected a "
    "name ending _R1/_R2 or _1/_2, optionally then _001, before the extension)",
    "manifest.tsv:13: column 'filenames': file S8.cram is listed twice (also on line 12)",
    "manifest.tsv:14: column 'filenames': sample S10 (genome) mixes cram and fastq reads in one sequencing "
    "group",
    "manifest.tsv:15: column 'filenames': sample S11 (genome) has more than one bam: S11a.bam, S11b.bam",
    "manifest.tsv:16: column 'sample_id': no sample id",
    "manifest.tsv:17: column 'sex': participant P1 is 2 here but 1 on line 2",
    "manifest.tsv:19: column 'filenames': file S14.bam.md5.txt is not a read file (expected .fastq(.gz), "
    ".fq(.gz), .fastq.ora, .fq.ora, .bam, .cram or .g.vcf.gz)",
    "manifest.tsv:19: column 'Library': sequencing group genome/short-read/illumina of sample S14 is "
    "nextera here but pcr-free on line 18",
    "manifest.tsv:20: column 'filenames': sample S15 (genome) has a gVCF but no reads",
    "manifest.tsv:21: 8 cells but the header has 7 columns",
]


@pytest.fixture
def manifests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.chdir(tmp_path)
    write_reads(tmp_path / "data", *FILES)
    (tmp_path / "ref.fa").write_text(">chr1\nACGT\n")
    write_manifest(tmp_path / "manifest.tsv", [HEADER, *ROWS])
    write_manifest(tmp_path / "bad-header.csv", [["sample", "Sample ID", "colour"], ["S1", "S1", "red"]], ",")
    return ["bad-header.csv", "manifest.tsv"]


def test_every_problem_is_reported_and_nothing_is_written(manifests: list[str], live_api: Api) -> None:
    result = runner.invoke(
        app,
        [
            "ingest",
            "manifest",
            "proj",
            *manifests,
            "--search-path",
            "data/",
            "--reference-assembly",
            "ref.fa",
        ],
    )
    assert result.exit_code == 1
    # no --skip-bad-rows hint: the bad header makes a whole manifest unusable, which no row skipping mends
    assert result.stderr.splitlines() == [*EXPECTED, f"{len(EXPECTED)} problems: nothing was sent"]
    assert result.stdout == ""
    assert live_api.ok("POST", "/participant/proj", json={}) == []
    assert live_api.ok("POST", "/sample/", json={"project_ids": ["proj"]}) == []


def test_skip_bad_rows_reports_each_row_and_ingests_the_rest(manifests: list[str], live_api: Api) -> None:
    result = runner.invoke(
        app,
        [
            "ingest",
            "manifest",
            "proj",
            manifests[1],
            "--search-path",
            "data/",
            "--reference-assembly",
            "ref.fa",
            "--skip-bad-rows",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    skipped = [
        line.removeprefix("skipped: ") for line in result.stderr.splitlines() if line.startswith("skipped: ")
    ]
    # the header problems are another manifest's; rows 11 and 19 are dropped for their first problems, so
    # their other ones (found when rows are grouped) are never looked for
    assert skipped == [line for line in EXPECTED[3:] if "S7.fastq.gz" not in line and "nextera" not in line]
    assert "skipped 17 rows with problems" in result.stderr
    participants = live_api.ok("POST", "/participant/proj", json={})
    assert sorted(p["external_ids"][""] for p in participants) == ["P1", "P14", "P8"]
    samples = live_api.ok(
        "POST", "/sample/", json={"project_ids": ["proj"], "participant_ids": [participants[0]["id"]]}
    )
    assert [s["external_ids"][""] for s in samples] == ["S1"]


def test_a_bad_header_stops_even_with_skip_bad_rows(manifests: list[str], fake_client: FakeClient) -> None:
    result = runner.invoke(
        app,
        [
            "ingest",
            "manifest",
            "proj",
            *manifests,
            "--search-path",
            "data/",
            "--reference-assembly",
            "ref.fa",
            "--skip-bad-rows",
        ],
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:3] == EXPECTED[:3]
    assert fake_client.calls == []


def test_more_problems_across_manifests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_client: FakeClient
) -> None:
    monkeypatch.chdir(tmp_path)
    write_reads(tmp_path, "A.bam", "B.bam", "C_1.fq", "C_2.fq")
    (tmp_path / "B.bam.md5").write_text("not a checksum\n")
    write_manifest(
        tmp_path / "one.csv",
        [["participant", "sample", "files"], ["P1", "A", "A.bam"], ["P1", "C", "C_1.fq,C_2.fq"]],
        ",",
    )
    write_manifest(
        tmp_path / "two.tsv",
        [
            ["participant", "sample", "files", "checksum", "sample type"],
            ["P2", "A", "", "", ""],
            ["P3", "B", "B.bam", "", ""],
            ["P4", "D", "C_1.fq", f"{'0' * 32},{'1' * 32}", ""],
        ],
    )
    result = runner.invoke(app, ["ingest", "manifest", "proj", "one.csv", "two.tsv", "gone.tsv"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "one.csv:3: 4 cells but the header has 3 columns (quote cells that hold commas)",
        # (the row's cells were split at the comma, so C_2.fq is not in it)
        "one.csv:3: column 'files': FASTQ C_1.fq has no mate (sample C (genome): every FASTQ needs its R1/R2 "
        "partner)",
        "two.tsv:2: column 'participant': sample A is under participant P2 here but under P1 on one.csv:2",
        "two.tsv:3: column 'files': B.bam.md5 does not hold an md5 checksum",
        "two.tsv:4: column 'checksum': 2 checksums for 1 file",
        "two.tsv:4: column 'files': file C_1.fq is listed twice (also on one.csv:3)",
        "gone.tsv: manifest not found",
        "7 problems: nothing was sent",  # a missing manifest: skipping rows would not help
    ]
    assert fake_client.calls == []
