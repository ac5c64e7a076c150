"""`genolog ingest manifest` against a stand-in client, gs:// search paths, and the progress bar."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from genolog.cli import app
from genolog.ingest import run
from genolog.ingest.manifest import Defaults
from genolog.paths import to_path
from tests.ingest.support import FakeClient, FakeIngestError, write_manifest, write_reads
from tests.metadata.support import Api

runner = CliRunner()


@pytest.fixture
def manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write_reads(tmp_path / "data", "A_R1.fq.gz", "A_R2.fq.gz", "B.bam")
    return write_manifest(
        tmp_path / "m.tsv",
        [["participant", "sample", "files"], ["P1", "A", "A_R1.fq.gz,A_R2.fq.gz"], ["", "B", "B.bam"]],
    )


def test_dry_run_sends_a_dry_run_and_prints_the_changes(manifest: Path, fake_client: FakeClient) -> None:
    def report(project: str, records: object, *, dry_run: bool = False) -> dict[str, object]:
        fake_client.calls.append((project, list(records), dry_run))  # type: ignore[call-overload]
        return {
            "dry_run": True,
            "counts": {"participant": {"created": 1}, "sample": {"created": 1, "unchanged": 1}},
            "changes": [
                {"entity": "participant", "external_id": "P1", "operation": "create"},
                {"entity": "sequencing_group", "external_id": "[weird]", "operation": "update"},
            ],
        }

    import genolog.client

    genolog.client.ingest = report  # type: ignore[attr-defined]  # fake_client's monkeypatch undoes it
    result = runner.invoke(app, ["ingest", "manifest", "proj", "m.tsv", "--search-path", "data", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert fake_client.calls[0][2] is True
    out = result.stdout
    assert "2 rows: 1 participant, 2 samples, 2 sequencing groups, 2 assays, 3 files" in out
    assert "Ingest (dry run: nothing was written)" in out and "Would change" in out
    assert "sequencing group" in out and "[weird]" in out and "update" in out


def test_json_prints_the_servers_report_only(manifest: Path, fake_client: FakeClient) -> None:
    result = runner.invoke(app, ["ingest", "manifest", "proj", "m.tsv", "--search-path", "data", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["counts"]["sample"]["created"] == 2
    assert "2 rows" in result.stderr


def test_server_errors_point_back_at_the_manifest_row(manifest: Path, fake_client: FakeClient) -> None:
    fake_client.refuse = FakeIngestError("sample type 'blood' is not a known value", 400, 2)
    result = runner.invoke(app, ["ingest", "manifest", "proj", "m.tsv", "--search-path", "data"])
    assert result.exit_code == 1
    assert "error: m.tsv:3 (sample B): sample type 'blood' is not a known value" in result.stderr
    assert "Traceback" not in result.output


def test_no_compute_md5_leaves_checksums_out(manifest: Path, fake_client: FakeClient) -> None:
    result = runner.invoke(
        app, ["ingest", "manifest", "proj", "m.tsv", "--no-compute-md5", "--search-path", "data"]
    )
    assert result.exit_code == 0, result.output
    reads = fake_client.calls[0][1][1]["sample"]["sequencing_groups"][0]["assays"][0]["meta"]["reads"]
    assert "checksum" not in reads and reads["size"] > 0


@pytest.mark.usefixtures("fake_buckets")
def test_files_are_found_sized_and_hashed_in_buckets(tmp_path: Path) -> None:
    to_path("gs://reads/run1/C_R1.fastq.gz").write_bytes(b"r1 reads")
    to_path("gs://reads/run1/C_R2.fastq.gz").write_bytes(b"r2 reads!")
    to_path("gs://reads/run1/C_R2.fastq.gz.md5").write_text(f"{'e' * 32}  C_R2.fastq.gz\n")
    to_path("s3://other/D.bam").write_bytes(b"bam")
    manifest = write_manifest(
        tmp_path / "m.csv",
        [["sample_id", "filenames"], ["C", '"C_R1.fastq.gz, C_R2.fastq.gz"'], ["D", "s3://other/D.bam"]],
        ",",
    )
    prepared = run.check([str(manifest)], ["gs://reads/missing", "gs://reads/run1/"], Defaults())
    assert not prepared.errors, [str(e) for e in prepared.errors]
    assert prepared.plan is not None
    run.hash_missing(prepared.plan, Console(file=io.StringIO()))
    records = run.finish(prepared).records
    [[r1, r2]] = records[0]["sample"]["sequencing_groups"][0]["assays"][0]["meta"]["reads"]
    assert r1 == {
        "location": "gs://reads/run1/C_R1.fastq.gz",
        "basename": "C_R1.fastq.gz",
        "class": "File",
        "checksum": f"md5:{hashlib.md5(b'r1 reads', usedforsecurity=False).hexdigest()}",
        "size": 8,
    }
    assert (r2["checksum"], r2["size"]) == (f"md5:{'e' * 32}", 9)
    assert (
        records[1]["sample"]["sequencing_groups"][0]["assays"][0]["meta"]["reads"]["location"]
        == "s3://other/D.bam"
    )

    missing = run.check([str(manifest)], ["gs://reads/run2"], Defaults())
    assert [str(e).split(": ", 1)[1] for e in missing.errors][:1] == [
        "column 'filenames': file C_R1.fastq.gz not found under --search-path gs://reads/run2"
    ]


def test_big_files_get_a_progress_bar_on_a_terminal(manifest: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run, "PROGRESS_MIN_BYTES", 1)
    prepared = run.check([str(manifest)], ["data"], Defaults())
    assert prepared.plan is not None
    out = io.StringIO()
    run.hash_missing(prepared.plan, Console(file=out, force_terminal=True, width=100))
    assert "md5" in out.getvalue()
    assert all(f.checksum for f in run.records.files_of(prepared.plan))


def test_storage_errors_are_messages_and_stop_the_ingest(
    manifest: Path, fake_client: FakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from genolog.ingest import files

    def broken(path: object, advance: object = None) -> str:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files, "compute_md5", broken)
    result = runner.invoke(app, ["ingest", "manifest", "proj", "m.tsv", "--search-path", "data"])
    assert result.exit_code == 1
    assert (
        "m.tsv:3: column 'files': cannot read file B.bam to compute its md5: PermissionError: [Errno 13] "
        "Permission denied" in result.stderr
    )

    def unreachable(name: str, search_paths: object) -> None:
        raise ConnectionError("no route to storage")

    monkeypatch.setattr(files, "find", unreachable)
    result = runner.invoke(app, ["ingest", "manifest", "proj", "m.tsv", "--search-path", "gs://b"])
    assert result.exit_code == 1
    assert (
        "m.tsv:3: column 'files': cannot look for file B.bam: ConnectionError: no route to storage"
        in result.stderr
    )
    assert fake_client.calls == []


def test_a_manifest_ingests_then_reingests_unchanged_against_a_live_server(
    manifest: Path, live_api: Api, tmp_path: Path
) -> None:
    args = ["ingest", "manifest", "proj", "m.tsv", "--search-path", "data", "--json"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    created = json.loads(first.stdout)["counts"]
    assert {k: v["created"] for k, v in created.items()} == {
        "participant": 1,
        "sample": 2,
        "sequencing_group": 2,
        "assay": 2,
    }
    samples = live_api.ok("POST", "/sample/", json={"project_ids": ["proj"]})
    assert sorted(s["external_ids"][""] for s in samples) == ["A", "B"]
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    counts = json.loads(again.stdout)["counts"]
    assert all(c["created"] == c["updated"] == 0 and c["unchanged"] > 0 for c in counts.values())
    write_reads(tmp_path / "data", "C_1.fq.gz", "C_2.fq.gz")
    with (tmp_path / "m.tsv").open("a") as f:
        f.write("P1\tC\tC_1.fq.gz,C_2.fq.gz\n")
    dry = runner.invoke(app, ["ingest", "manifest", "proj", "m.tsv", "--search-path", "data", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Would change" in dry.stdout and "C" in dry.stdout
    assert (
        len(live_api.ok("POST", "/sample/", json={"project_ids": ["proj"]})) == 2
    )  # a dry run wrote nothing


def test_a_server_refusal_names_the_manifest_row(manifest: Path, live_api: Api) -> None:
    result = runner.invoke(
        app, ["ingest", "manifest", "proj", "m.tsv", "--search-path", "data", "--sequencing-type", "hologram"]
    )
    assert result.exit_code != 0
    assert "m.tsv:2" in result.output and "Unknown sequencing type 'hologram'" in result.output
    assert live_api.ok("POST", "/sample/", json={"project_ids": ["proj"]}) == []
