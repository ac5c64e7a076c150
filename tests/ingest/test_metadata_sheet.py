"""`genolog ingest metadata`: a metadata sheet's columns mapped into meta and QC analyses, index files and
references attached to reads, the unlisted-files check, and errors that name file, line and column."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from genolog.cli import app
from genolog.ingest.metadata_sheet import typed
from tests.ingest.sheets import write_sheet
from tests.ingest.support import FakeClient, write_manifest, write_reads
from tests.metadata.support import Api

runner = CliRunner()

HEADER = [
    "Individual ID",
    "Sample ID",
    "Reads",
    "Sex",
    "Karyotype",
    "Ancestry",
    "Collection Date",
    "Consent",
    "Depth",
    "Flowcell",
    "QC Freemix",
    "QC Pass",
    "Notes",
]
ROWS = [
    [
        "P1",
        "S1",
        "S1_L1_R1.fq.gz,S1_L1_R2.fq.gz",
        "female",
        "XX",
        "EUR",
        "2024-01-02",
        "true",
        "30",
        "FC1",
        "0.01",
        "TRUE",
        "x",
    ],
    [
        "P1",
        "S1",
        "S1_L2_R1.fq.gz,S1_L2_R2.fq.gz",
        "female",
        "",
        "EUR",
        "2024-01-02",
        "",
        "30",
        "FC2",
        "",
        "",
        "",
    ],
    ["P2", "S2", "S2.cram", "male", "XY", "AFR", "0012", "false", "35.5", "FC1", "0.02", "false", ""],
    ["P2", "S3", "S3.bam", "", "", "", "", "", "", "", "", "", ""],
]
OPTIONS = [
    "--sample-name-column", "Sample ID",
    "--participant-column", "Individual ID",
    "--reads-column", "Reads",
    "--reported-sex-column", "Sex",
    "--karyotype-column", "Karyotype",
    "--participant-meta-field-map", "Ancestry=ancestry",
    "--sample-meta-field-map", "Collection Date=collection.date",
    "--sample-meta-field", "Consent",
    "--assay-meta-field-map", "Depth=depth",
    "--assay-meta-field-map", "Flowcell=run.flowcell",
    "--qc-meta-field-map", "QC Freemix=freemix",
    "--qc-meta-field-map", "QC Pass=pass",
    "--reference-assembly", "ref/genome.fa",
]  # fmt: skip
FILES = ("S1_L1_R1.fq.gz", "S1_L1_R2.fq.gz", "S1_L2_R1.fq.gz", "S1_L2_R2.fq.gz", "S2.cram", "S3.bam")


@pytest.fixture
def sheet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write_reads(tmp_path / "data", *FILES, "S2.cram.crai", "S3.bai", "S3.bam.csi")
    (tmp_path / "ref").mkdir()
    (tmp_path / "ref" / "genome.fa").write_text(">chr1\nACGT\n")
    (tmp_path / "ref" / "genome.fa.fai").write_text("chr1\t4\t6\t4\t5\n")
    return write_manifest(tmp_path / "sheet.tsv", [HEADER, *ROWS])


def ingest(*args: str) -> Any:
    return runner.invoke(app, ["ingest", "metadata", "proj", *args])


def test_extra_columns_land_in_meta_and_qc_analyses_and_a_second_run_changes_nothing(
    sheet: Path, live_api: Api
) -> None:
    result = ingest("sheet.tsv", *OPTIONS, "--search-path", "data", "--json")
    assert result.exit_code == 0, result.output
    assert "columns no option names, left out: Notes" in result.stderr
    assert "4 rows: 2 participants, 3 samples, 3 sequencing groups, 3 assays, 2 QC analyses" in result.stderr
    counts = json.loads(result.stdout)["counts"]
    assert {k: v["created"] for k, v in counts.items()} == {
        "participant": 2,
        "sample": 3,
        "sequencing_group": 3,
        "assay": 3,
        "analysis": 2,
    }

    participants = {p["external_ids"][""]: p for p in live_api.ok("POST", "/participant/proj", json={})}
    assert participants["P1"]["meta"] == {"ancestry": "EUR"}
    assert (participants["P1"]["reported_sex"], participants["P1"]["karyotype"]) == (2, "XX")
    assert (participants["P2"]["reported_sex"], participants["P2"]["karyotype"]) == (1, "XY")
    samples = {
        s["external_ids"][""]: s for s in live_api.ok("POST", "/sample/", json={"project_ids": ["proj"]})
    }
    assert samples["S1"]["meta"] == {"collection": {"date": "2024-01-02"}, "Consent": True}
    # a leading zero stays text; false is a boolean
    assert samples["S2"]["meta"] == {"collection": {"date": "0012"}, "Consent": False}
    assert samples["S3"]["meta"] == {}
    assays = {
        s: live_api.ok("POST", "/assay/criteria", json={"sample_ids": [samples[s]["id"]]})[0]["meta"]
        for s in ("S1", "S2", "S3")
    }
    # the two lanes of one assay disagree on the flowcell: both are kept, as Metamist keeps them
    assert (assays["S1"]["depth"], assays["S1"]["run"]) == (30, {"flowcell": ["FC1", "FC2"]})
    assert (assays["S2"]["depth"], assays["S2"]["run"]) == (35.5, {"flowcell": "FC1"})
    assert "depth" not in assays["S3"] and len(assays["S1"]["reads"]) == 2

    analyses = live_api.ok("POST", "/analysis/query", json={"projects": ["proj"]})
    by_group = {a["sequencing_group_ids"][0]: a for a in analyses}
    groups = live_api.ok("GET", "/sequencing-group/project/proj")
    s1_group = groups[samples["S1"]["id"]]["genome"][0]
    s2_group = groups[samples["S2"]["id"]]["genome"][0]
    assert set(by_group) == {s1_group, s2_group}  # S3 has no QC values, so no analysis
    assert (by_group[s1_group]["type"], by_group[s1_group]["status"]) == ("qc", "completed")
    assert by_group[s1_group]["meta"] == {"freemix": 0.01, "pass": True}
    assert by_group[s2_group]["meta"] == {"freemix": 0.02, "pass": False}

    again = ingest("sheet.tsv", *OPTIONS, "--search-path", "data", "--json")
    assert again.exit_code == 0, again.output
    assert all(c["created"] == c["updated"] == 0 for c in json.loads(again.stdout)["counts"].values())
    assert len(live_api.ok("POST", "/analysis/query", json={"projects": ["proj"]})) == 2


def test_index_files_and_the_reference_are_attached(sheet: Path, fake_client: FakeClient) -> None:
    result = ingest("sheet.tsv", *OPTIONS, "--search-path", "data")
    assert result.exit_code == 0, result.output
    [(_, records, _)] = fake_client.calls
    data, ref = (sheet.parent / "data").resolve(), (sheet.parent / "ref").resolve()
    p2 = records[1]["participant"]
    cram = p2["samples"][0]["sequencing_groups"][0]["assays"][0]["meta"]
    assert cram["reads"]["location"] == f"{data}/S2.cram"
    assert [f["location"] for f in cram["reads"]["secondaryFiles"]] == [f"{data}/S2.cram.crai"]
    assert cram["reads"]["secondaryFiles"][0]["checksum"].startswith("md5:")
    assert cram["reference_assembly"]["location"] == f"{ref}/genome.fa"
    assert [f["basename"] for f in cram["reference_assembly"]["secondaryFiles"]] == ["genome.fa.fai"]
    bam = p2["samples"][1]["sequencing_groups"][0]["assays"][0]["meta"]
    assert [f["basename"] for f in bam["reads"]["secondaryFiles"]] == ["S3.bai", "S3.bam.csi"]
    assert "reference_assembly" not in bam
    fastq = records[0]["participant"]["samples"][0]["sequencing_groups"][0]["assays"][0]["meta"]
    assert all("secondaryFiles" not in f for pair in fastq["reads"] for f in pair)
    # the QC analyses follow the trees
    assert [next(iter(r)) for r in records] == ["participant", "participant", "analysis", "analysis"]


def test_a_manifests_gvcf_gets_its_tbi(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_client: FakeClient
) -> None:
    monkeypatch.chdir(tmp_path)
    write_reads(tmp_path / "data", "A_R1.fq.gz", "A_R2.fq.gz", "A.g.vcf.gz", "A.g.vcf.gz.tbi")
    write_manifest(tmp_path / "m.csv", [["sample", "files"], ["A", "A_R1.fq.gz;A_R2.fq.gz;A.g.vcf.gz"]], ",")
    result = runner.invoke(app, ["ingest", "manifest", "proj", "m.csv", "--search-path", "data"])
    assert result.exit_code == 0, result.output
    meta = fake_client.calls[0][1][0]["sample"]["sequencing_groups"][0]["assays"][0]["meta"]
    assert [f["basename"] for f in meta["gvcf"]["secondaryFiles"]] == ["A.g.vcf.gz.tbi"]


@pytest.mark.parametrize("command", ["metadata", "manifest"])
def test_read_files_no_row_lists_stop_the_ingest_unless_allowed(
    sheet: Path, fake_client: FakeClient, command: str
) -> None:
    write_reads(sheet.parent / "data", "S9_R1.fq.gz", "S9_R2.fq.gz", "S9.g.vcf.gz", "notes.txt")
    if command == "metadata":
        args = ["ingest", "metadata", "proj", "sheet.tsv", *OPTIONS]
    else:
        manifest = [["participant", "sample", "files"], *([r[0], r[1], r[2]] for r in ROWS)]
        write_manifest(sheet.parent / "m.tsv", manifest)
        args = ["ingest", "manifest", "proj", "m.tsv", "--reference-assembly", "ref/genome.fa"]
    result = runner.invoke(app, [*args, "--search-path", "data"])
    assert result.exit_code == 1
    # gVCFs, indexes and other files are not reads: only the FASTQs count
    assert [line for line in result.stderr.splitlines() if not line.startswith("note:")] == [
        "data: 2 read files in the search path that no row lists: S9_R1.fq.gz, S9_R2.fq.gz "
        "(--allow-extra-files-in-search-path ingests anyway)",
        "1 problem: nothing was sent",
    ]
    assert fake_client.calls == []
    allowed = runner.invoke(app, [*args, "--search-path", "data", "--allow-extra-files-in-search-path"])
    assert allowed.exit_code == 0, allowed.output
    assert len(fake_client.calls) == 1


BAD_ROWS = [
    [
        "P1",
        "S1",
        "S1_L1_R1.fq.gz,S1_L1_R2.fq.gz",
        "female",
        "XX",
        "EUR",
        "2024-01-02",
        "",
        "",
        "",
        "0.01",
        "",
        "",
    ],
    [
        "P1",
        "S1",
        "S1_L2_R1.fq.gz,S1_L2_R2.fq.gz",
        "female",
        "XY",
        "AFR",
        "2024-01-03",
        "",
        "",
        "",
        "0.02",
        "",
        "",
    ],
    ["P2", "S2", "S2.cram", "robot", "", "", "", "", "", "", "", "", ""],
    ["", "S3", "S3.bam", "", "", "EAS", "", "", "", "", "", "", ""],
    ["P4", "S4", "", "", "", "", "", "", "40", "", "", "", ""],
]


def test_errors_name_the_file_line_and_column_and_nothing_is_written(sheet: Path, live_api: Api) -> None:
    write_manifest(sheet, [HEADER, *BAD_ROWS])
    no_reference = [o for o in OPTIONS if o not in ("--reference-assembly", "ref/genome.fa")]
    result = ingest("sheet.tsv", *no_reference, "--search-path", "data", "--allow-extra-files-in-search-path")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "note: sheet.tsv: columns no option names, left out: Notes",
        "sheet.tsv:3: column 'Karyotype': participant P1 is XY here but XX on line 2",
        "sheet.tsv:3: column 'Ancestry': participant P1 has ancestry 'AFR' here but 'EUR' on line 2",
        "sheet.tsv:3: column 'Collection Date': sample S1 has collection.date '2024-01-03' here but "
        "'2024-01-02' on line 2",
        "sheet.tsv:3: column 'QC Freemix': the QC of sequencing group genome/short-read/illumina of sample S1 "
        "has freemix 0.02 here but 0.01 on line 2",
        "sheet.tsv:4: column 'Sex': unknown sex 'robot' (use 0/1/2, m/male, f/female, u/unknown)",
        "sheet.tsv:4: column 'Reads': sample S2's reads are CRAM but no reference is given "
        "(--reference-assembly, or a reference column in a metadata sheet)",
        "sheet.tsv:5: column 'Ancestry': participant meta given for sample S3 without a participant id",
        "sheet.tsv:6: column 'Depth': assay meta given but the row lists no reads",
        "8 problems: nothing was sent (--skip-bad-rows ingests the rest)",
    ]
    assert result.stdout == ""
    assert live_api.ok("POST", "/participant/proj", json={}) == []
    assert live_api.ok("POST", "/sample/", json={"project_ids": ["proj"]}) == []


def test_bad_options_and_missing_columns_are_errors(sheet: Path, fake_client: FakeClient) -> None:
    result = ingest(
        "sheet.tsv",
        *OPTIONS,
        "--assay-meta-field-map", "Depth=reads",
        "--sample-meta-field-map", "Consent=collection",
        "--qc-meta-field-map", "no equals sign",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--qc-meta-field-map 'no equals sign': expected COLUMN=KEY" in result.stderr
    result = ingest(
        "sheet.tsv",
        *OPTIONS,
        "--assay-meta-field-map",
        "Depth=reads.x",
        "--sample-meta-field-map",
        "Consent=collection",
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: --sample-meta-field-map: columns 'Collection Date' and 'Consent' both write meta key 'collection'",
        "error: --assay-meta-field-map 'Depth': genolog writes the assay's 'reads' itself",
    ]
    missing = ingest("sheet.tsv", *OPTIONS, "--gvcf-column", "GVCF", "--assay-meta-field", "Lane")
    assert missing.exit_code == 1
    assert "sheet.tsv:1: no column 'GVCF' (--gvcf-column)" in missing.stderr
    assert "sheet.tsv:1: no column 'Lane' (--assay-meta-field-map)" in missing.stderr
    assert fake_client.calls == []


def test_a_dry_run_writes_nothing(sheet: Path, live_api: Api) -> None:
    result = ingest("sheet.tsv", *OPTIONS, "--search-path", "data", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Ingest (dry run: nothing was written)" in result.stdout and "analysis" in result.stdout
    assert live_api.ok("POST", "/analysis/query", json={"projects": ["proj"]}) == []
    assert live_api.ok("POST", "/sample/", json={"project_ids": ["proj"]}) == []


def test_a_generated_1000_row_sheet_lands_and_reingests_unchanged(tmp_path: Path, live_api: Api) -> None:
    generated = write_sheet(tmp_path, 1_000, seed=7)
    args = [
        str(generated.path),
        "--sample-name-column", "Sample ID",
        "--participant-column", "Individual ID",
        "--reads-column", "Filenames",
        "--gvcf-column", "GVCF",
        "--reported-sex-column", "Sex",
        "--karyotype-column", "Karyotype",
        "--sample-type-column", "Sample Type",
        "--sequencing-type-column", "Seq Type",
        "--participant-meta-field-map", "Ancestry=ancestry",
        "--sample-meta-field-map", "Collection Date=collection.date",
        "--assay-meta-field-map", "Depth=depth",
        "--qc-meta-field-map", "QC Freemix=freemix",
        "--reference-assembly", str(generated.reference),
        "--search-path", str(generated.reads),
        "--no-compute-md5",
        "--json",
    ]  # fmt: skip
    first = ingest(*args)
    assert first.exit_code == 0, first.output
    counts = json.loads(first.stdout)["counts"]
    assert {k: v["created"] for k, v in counts.items()} == {
        "participant": len(generated.participants),
        "sample": len(generated.samples),
        "sequencing_group": generated.sequencing_groups,
        "assay": generated.assays_genolog,
        "analysis": generated.sequencing_groups - generated.padded,
    }
    again = ingest(*args)
    assert again.exit_code == 0, again.output
    assert all(c["created"] == c["updated"] == 0 for c in json.loads(again.stdout)["counts"].values())


TYPED = [("TRUE", True), ("false", False), ("30", 30), ("-2", -2), ("35.5", 35.5), ("1e3", 1000.0)]
TEXT = ["0012", "1_000", "nan", "inf", "30x", "."]


@pytest.mark.parametrize(("text", "value"), [*TYPED, *((t, t) for t in TEXT)])
def test_cells_are_typed_as_metamist_types_them(text: str, value: Any) -> None:
    assert typed(text) == value and type(typed(text)) is type(value)
