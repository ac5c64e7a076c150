"""Manifest -> ingest records, without a server."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from genolog.ingest import run
from genolog.ingest.manifest import Defaults
from genolog.metadata.models import ParticipantUpsert, SampleUpsert
from tests.ingest.support import write_manifest, write_reads


def records_of(
    manifests: list[Path], search: list[str], defaults: Defaults = Defaults()
) -> list[dict[str, Any]]:
    prepared = run.check([str(m) for m in manifests], search, defaults, allow_extra_files=True)
    assert not prepared.errors, [str(e) for e in prepared.errors]
    assert prepared.plan is not None
    run.hash_missing(prepared.plan, Console(file=io.StringIO()))
    return run.finish(prepared).records


def file_obj(folder: Path, name: str, md5: str) -> dict[str, Any]:
    path = folder / name
    return {
        "location": str(path),
        "basename": path.name,
        "class": "File",
        "checksum": f"md5:{md5}",
        "size": path.stat().st_size,
    }


@pytest.fixture
def data(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    folder = tmp_path / "data"
    md5 = write_reads(
        folder,
        "P1S1_L001_R1.fastq.gz",
        "P1S1_L001_R2.fastq.gz",
        "P1S1_L002_R1.fastq.gz",
        "lane2/P1S1_L002_R2.fastq.gz",
        "P1S1-exome_1.fq.gz",
        "P1S1-exome_2.fq.gz",
        "S9.cram",
        "S9.g.vcf.gz",
    )
    (folder / "S9.cram.md5").write_text(f"{'a' * 32}  S9.cram\n")
    (tmp_path / "genome.fa").write_text(">chr1\nACGT\n")
    (tmp_path / "genome.fa.fai").write_text("chr1\t4\t6\t4\t5\n")
    return folder, md5


def with_reference(tmp_path: Path, **defaults: Any) -> Defaults:
    """Defaults whose CRAM reference is the one ``data`` writes."""
    return Defaults(reference_assembly=str(tmp_path / "genome.fa"), **defaults)


def reference_object(tmp_path: Path) -> dict[str, Any]:
    fai = tmp_path / "genome.fa.fai"
    return {
        "location": str(tmp_path / "genome.fa"),
        "basename": "genome.fa",
        "class": "File",
        "size": 11,
        "secondaryFiles": [
            {"location": str(fai), "basename": "genome.fa.fai", "class": "File", "size": fai.stat().st_size}
        ],
    }


def test_rows_become_participant_and_sample_records(
    tmp_path: Path, data: tuple[Path, dict[str, str]]
) -> None:
    folder, md5 = data
    manifest = write_manifest(
        tmp_path / "m.tsv",
        [
            [
                "Individual ID",
                "Sample ID",
                "Filenames",
                "Type",
                "Sample Type",
                "Facility",
                "Read Length",
                "MD5",
                "Sex",
            ],
            ["P1", "S1", "P1S1_L001_R1.fastq.gz,P1S1_L001_R2.fastq.gz", "", "", "vcgs", "150", "", "F"],
            ["P1", "S1", "P1S1_L002_R1.fastq.gz", "", "", "vcgs", "150", "B" * 32, ""],
            ["P1", "S1", "lane2/P1S1_L002_R2.fastq.gz", "", "", "vcgs", "150", f"md5:{'c' * 32}", ""],
            ["P1", "S1", "P1S1-exome_2.fq.gz,P1S1-exome_1.fq.gz", "exome", "", "", "", "", ""],
            ["# a comment row"],
            ["", "S9", "S9.cram, S9.g.vcf.gz", "", "saliva", "", "", "", ""],
        ],
    )
    records = records_of([manifest], [str(folder)], with_reference(tmp_path))
    f = lambda name, digest=None: file_obj(folder, name, digest or md5[name])  # noqa: E731
    genome = {
        "sequencing_type": "genome",
        "sequencing_technology": "short-read",
        "sequencing_platform": "illumina",
    }
    assert records == [
        {
            "participant": {
                "external_ids": {"": "P1"},
                "reported_sex": 2,
                "samples": [
                    {
                        "external_ids": {"": "S1"},
                        "type": "blood",
                        "sequencing_groups": [
                            {
                                "type": "genome",
                                "technology": "short-read",
                                "platform": "illumina",
                                "assays": [
                                    {
                                        "type": "sequencing",
                                        "meta": {
                                            "reads": [
                                                [f("P1S1_L001_R1.fastq.gz"), f("P1S1_L001_R2.fastq.gz")],
                                                [
                                                    f("P1S1_L002_R1.fastq.gz", "b" * 32),
                                                    f("lane2/P1S1_L002_R2.fastq.gz", "c" * 32),
                                                ],
                                            ],
                                            "reads_type": "fastq",
                                            **genome,
                                            "sequencing_facility": "vcgs",
                                            "read_length": 150,
                                        },
                                    }
                                ],
                            },
                            {
                                "type": "exome",
                                "technology": "short-read",
                                "platform": "illumina",
                                "assays": [
                                    {
                                        "type": "sequencing",
                                        "meta": {
                                            "reads": [[f("P1S1-exome_1.fq.gz"), f("P1S1-exome_2.fq.gz")]],
                                            "reads_type": "fastq",
                                            **genome,
                                            "sequencing_type": "exome",
                                        },
                                    }
                                ],
                            },
                        ],
                    }
                ],
            }
        },
        {
            "sample": {
                "external_ids": {"": "S9"},
                "type": "saliva",
                "sequencing_groups": [
                    {
                        "type": "genome",
                        "technology": "short-read",
                        "platform": "illumina",
                        "assays": [
                            {
                                "type": "sequencing",
                                "meta": {
                                    "reads": f("S9.cram", "a" * 32),
                                    "reads_type": "cram",
                                    **genome,
                                    "gvcf": f("S9.g.vcf.gz"),
                                    "reference_assembly": reference_object(tmp_path),
                                },
                            }
                        ],
                    }
                ],
            }
        },
    ]
    # the server's own request models accept them
    ParticipantUpsert.model_validate(records[0]["participant"])
    SampleUpsert.model_validate(records[1]["sample"])
    # nothing volatile: the same manifest gives the same bytes
    assert json.dumps(records_of([manifest], [str(folder)], with_reference(tmp_path))) == json.dumps(records)


def test_csv_defaults_and_sniffed_delimiters(tmp_path: Path, data: tuple[Path, dict[str, str]]) -> None:
    folder, _ = data
    csv_manifest = write_manifest(
        tmp_path / "a.csv",
        [["sample", "file", "sequencing technology", "platform"], ["S9", "S9.cram", "long-read", ""]],
        ",",
    )
    txt_manifest = write_manifest(
        tmp_path / "b.txt", [["SAMPLE_ID", "files"], ["S10", "P1S1-exome_1.fq.gz,P1S1-exome_2.fq.gz"]], ";"
    )
    records = records_of(
        [csv_manifest, txt_manifest],
        [str(tmp_path / "nowhere"), str(folder)],
        with_reference(tmp_path, sample_type="saliva", sequencing_platform="ont"),
    )
    assert [r["sample"]["type"] for r in records] == ["saliva", "saliva"]
    assert [
        (sg["type"], sg["technology"], sg["platform"])
        for r in records
        for sg in r["sample"]["sequencing_groups"]
    ] == [("genome", "long-read", "ont"), ("genome", "short-read", "ont")]


def test_filenames_default_to_the_manifests_folder_and_absolute_paths_are_kept(
    tmp_path: Path, data: tuple[Path, dict[str, str]]
) -> None:
    folder, _ = data
    manifest = write_manifest(
        folder / "m.tsv",
        [
            ["sample", "filename"],
            ["S9", "S9.cram"],
            ["S10", str(folder / "P1S1-exome_1.fq.gz")],
            ["S10", str(folder / "P1S1-exome_2.fq.gz")],
        ],
    )
    records = records_of([manifest], [], with_reference(tmp_path))
    assert records[0]["sample"]["sequencing_groups"][0]["assays"][0]["meta"]["reads"]["location"] == str(
        folder / "S9.cram"
    )
    assert len(records[1]["sample"]["sequencing_groups"][0]["assays"][0]["meta"]["reads"]) == 1


def test_samples_without_files_have_no_sequencing_groups(tmp_path: Path) -> None:
    manifest = write_manifest(
        tmp_path / "m.tsv", [["participant", "sample", "files", "affected"], ["P1", "S1", "", "yes"]]
    )
    assert records_of([manifest], []) == [
        {
            "participant": {
                "external_ids": {"": "P1"},
                "meta": {"affected": 2},
                "samples": [{"external_ids": {"": "S1"}, "type": "blood"}],
            }
        }
    ]
