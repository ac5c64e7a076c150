"""examples/fastqe against a live server: reports and analyses, a failed QC job, re-runs and --force."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from genolog.config import DEFAULT_IMAGES, to_toml
from genolog.demo.workspace import SCRIPT, example_folder
from genolog.metadata.db import Database
from genolog.metadata.service import Service
from genolog.metadata.settings import ServerSettings
from genolog.paths import local_storage_config
from tests.containers.images import BuiltImages
from tests.metadata.live import live_server
from tests.metadata.support import Api, sample_with_group


@dataclass
class Setup:
    api: Api
    url: str
    data: Path
    config: Path
    sgids: dict[str, str]  # sample -> sequencing group
    env: dict[str, str]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(example_folder() / SCRIPT), *args],
            env=self.env,
            cwd=self.data,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def analyses(self) -> list[dict[str, object]]:
        rows: list[dict[str, object]] = self.api.ok(
            "POST", "/analysis/query", json={"projects": ["proj-test"]}
        )
        return sorted(rows, key=lambda r: int(str(r["id"])))


def _fastq(path: Path, quality: str, reads: int = 20) -> str:
    with gzip.open(path, "wt") as f:
        for i in range(reads):
            f.write(f"@r{i}\n{'A' * len(quality)}\n+\n{quality}\n")
    return str(path)


@pytest.fixture
def setup(tmp_path: Path, sqlite_template: Path) -> Iterator[Setup]:
    db = tmp_path / "db.sqlite"
    shutil.copy(sqlite_template, db)
    data = tmp_path / "data"
    data.mkdir()
    svc = Service.create(ServerSettings(db=f"sqlite:///{db}", data_dir=data), Database(f"sqlite:///{db}"))
    api = Api(svc)
    api.project("proj")
    reads = tmp_path / "reads"
    reads.mkdir()
    samples = []
    for name, quality in (("GOOD", "IIIIHHHGGF"), ("FAIR", "99887766")):
        samples.append(
            sample_with_group(
                name, _fastq(reads / f"{name}_R1.fq.gz", quality), _fastq(reads / f"{name}_R2.fq.gz", quality)
            )
        )
    corrupt = reads / "BAD_R1.fq.gz"
    corrupt.write_bytes(gzip.compress(b"this is not a FASTQ file\n"))
    samples.append(sample_with_group("BAD", str(corrupt), _fastq(reads / "BAD_R2.fq.gz", "IIII")))
    created = api.ok("PUT", "/sample/proj-test/upsert-many", json=samples)
    sgids = {s["external_ids"][""]: s["sequencing_groups"][0]["id"] for s in created}
    token = api.user("admin", "admin")["Authorization"].removeprefix("Bearer ")
    with live_server(svc) as url:
        config = tmp_path / "ar.toml"
        config.write_text(
            to_toml(
                {
                    "workflow": {"dataset": "proj", "access_level": "test", "output_prefix": "fastqe"},
                    "storage": local_storage_config(data, ["proj"], "test", server_url=url),
                    "images": dict(DEFAULT_IMAGES),
                    "hail": {"backend": "local"},
                    "metadata": {"url": url},
                }
            )
        )
        env = {**os.environ, "GENOLOG_CONFIG_PATH": str(config), "GENOLOG_URL": url, "GENOLOG_TOKEN": token}
        env.pop("CPG_CONFIG_PATH", None)
        yield Setup(api, url, data, config, sgids, env)
    svc.db.dispose()


def test_reports_failed_qc_reruns_and_force(setup: Setup) -> None:
    good, fair, bad = setup.sgids["GOOD"], setup.sgids["FAIR"], setup.sgids["BAD"]
    web = setup.data / "proj-test-web" / "fastqe"

    first = setup.run()
    assert first.returncode == 1, first.stdout + first.stderr  # the corrupt FASTQ fails its QC job
    assert "registered as `failed` analyses" in first.stderr
    expected = sorted(f"{sg}.{kind}" for sg in (good, fair) for kind in ("html", "json"))
    assert sorted(p.name for p in web.iterdir()) == expected  # each report with its statistics
    analyses = {a["sequencing_group_ids"][0]: a for a in setup.analyses()}  # type: ignore[index]
    assert set(analyses) == {good, fair, bad}
    for sg in (good, fair):
        a = analyses[sg]
        assert (a["type"], a["status"], a["active"]) == ("web", "completed", True)
        assert a["output"] == str(web / f"{sg}.html")
        url = a["meta"]["display_url"]  # type: ignore[index]
        assert url == f"{setup.url}/web/proj-test/fastqe/{sg}.html"
        response = httpx.get(url, headers={"Authorization": f"Bearer {setup.env['GENOLOG_TOKEN']}"})
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
        assert "_R1.fq.gz" in response.text and "<html" in response.text.lower()
    # the QC summary of each report: GOOD's reads are 10 bases, FAIR's 8, both files of each pair
    good_qc, fair_qc = analyses[good]["meta"]["qc"], analyses[fair]["meta"]["qc"]  # type: ignore[index]
    assert {k: len(v) for k, v in good_qc["mean_quality_by_position"].items()} == {"R1": 10, "R2": 10}
    assert {k: len(v) for k, v in fair_qc["mean_quality_by_position"].items()} == {"R1": 8, "R2": 8}
    assert good_qc["mean_quality_by_position"]["R1"] == [
        40.0,
        40.0,
        40.0,
        40.0,
        39.0,
        39.0,
        39.0,
        38.0,
        38.0,
        37.0,
    ]
    assert (good_qc["version"], good_qc["reads"], good_qc["bin"]) == (1, 40, 1)
    assert good_qc["mean_quality"] == 39.0 and fair_qc["mean_quality"] == 22.5
    assert fair_qc["mean_quality_last_third"] == 21.3 and fair_qc["dip"] == 0.0
    assert "qc" not in analyses[bad]["meta"]  # type: ignore[operator]
    failed = analyses[bad]
    assert failed["status"] == "failed" and failed["output"] is None
    assert "wrote no report" in failed["meta"]["error"]  # type: ignore[index]

    # again: the reported groups are skipped, the failed one is tried again (and fails again)
    second = setup.run()
    assert "2 already reported (skipped)" in second.stdout, second.stdout
    after = setup.analyses()
    assert len(after) == 4
    assert [a["status"] for a in after if a["active"]] == ["completed", "completed", "failed"]

    # a report without its analysis is only registered; --force re-runs all and replaces the old ones
    setup.api.ok("PATCH", f"/analysis/{analyses[good]['id']}/", json={"active": False})
    third = setup.run("--sgids", good, fair)
    assert third.returncode == 0 and "1 already reported (skipped), 1 to register, 0 to run" in third.stdout
    forced = setup.run("--sgids", good, "--force")
    assert forced.returncode == 0 and "0 already reported (skipped), 0 to register, 1 to run" in forced.stdout
    active = [a for a in setup.analyses() if a["active"]]
    by_sg = {a["sequencing_group_ids"][0]: a for a in active}  # type: ignore[index]
    assert len(active) == 3 and by_sg[good]["status"] == "completed" and by_sg[bad]["status"] == "failed"
    assert by_sg[good]["id"] == max(int(str(a["id"])) for a in setup.analyses())


def _report(path: Path) -> str:
    """A report, with the run's own scratch folder (where the job read its inputs) taken out."""
    return re.sub(r"/[^\s<>\"]*/batch/[0-9a-f]+/inputs/[0-9a-z]+/", "SCRATCH/", path.read_text())


def _host_reports_then_slurm(setup: Setup, shared: Path, slurm_extra: str = "") -> dict[str, str]:
    """Run the example for GOOD and FAIR on the local backend, then switch the config to Slurm (scratch
    in `shared`); returns the local run's reports."""
    web = setup.data / "proj-test-web" / "fastqe"
    local = setup.run("--sgids", setup.sgids["GOOD"], setup.sgids["FAIR"])
    assert local.returncode == 0, local.stdout + local.stderr
    reports = {sg: _report(web / f"{sg}.html") for sg in (setup.sgids["GOOD"], setup.sgids["FAIR"])}
    text = setup.config.read_text().replace('backend = "local"', 'backend = "slurm"')
    setup.config.write_text(text + f'\n[slurm]\nscratch = "{shared}"\npoll_interval = 0.2\n{slurm_extra}')
    return reports


@pytest.mark.slow
def test_the_same_analysis_on_slurm(setup: Setup, slurm: Path, tmp_path: Path) -> None:
    """Only ``[hail] backend`` changes: Slurm runs the QC and registration jobs, with the same reports
    and the same kind of analyses as the local backend."""
    good, fair = setup.sgids["GOOD"], setup.sgids["FAIR"]
    web = setup.data / "proj-test-web" / "fastqe"
    reports = _host_reports_then_slurm(setup, tmp_path / "shared")
    on_slurm = setup.run("--sgids", good, fair, "--force")
    assert on_slurm.returncode == 0, on_slurm.stdout + on_slurm.stderr
    assert "0 already reported (skipped), 0 to register, 2 to run" in on_slurm.stdout
    runs = list((tmp_path / "shared" / "genolog-runs").iterdir())
    assert len(runs) == 1 and len(list((runs[0] / "jobs").glob("*.outcome"))) == 4  # 2 QC + 2 registrations
    assert {sg: _report(web / f"{sg}.html") for sg in (good, fair)} == reports
    active = {a["sequencing_group_ids"][0]: a for a in setup.analyses() if a["active"]}  # type: ignore[index]
    for sg in (good, fair):
        a = active[sg]
        assert (a["type"], a["status"], a["output"]) == ("web", "completed", str(web / f"{sg}.html"))
        assert a["id"] > 2  # a new analysis, replacing the local run's  # type: ignore[operator]


@pytest.mark.slow
def test_the_same_analysis_in_containers(setup: Setup, built_images: BuiltImages, tmp_path: Path) -> None:
    """The QC jobs run inside genolog's FastQE image under podman: the same reports as on the host."""
    good, fair = setup.sgids["GOOD"], setup.sgids["FAIR"]
    web = setup.data / "proj-test-web" / "fastqe"
    on_host = setup.run("--sgids", good, fair)
    assert on_host.returncode == 0, on_host.stdout + on_host.stderr
    reports = {sg: _report(web / f"{sg}.html") for sg in (good, fair)}
    setup.env["GENOLOG_CONTAINER_RUNTIME"] = "podman"
    setup.env["CONTAINERS_CONF"] = str(built_images.data_dir / "containers.conf")
    setup.env["TMPDIR"] = str(tmp_path / "tmp")  # where the example's batch keeps its run record
    (tmp_path / "tmp").mkdir()
    boxed = setup.run("--sgids", good, fair, "--force")
    assert boxed.returncode == 0, boxed.stdout + boxed.stderr
    assert "run on the host" not in boxed.stderr  # no fallback: the image was there
    assert {sg: _report(web / f"{sg}.html") for sg in (good, fair)} == reports
    (record_file,) = (tmp_path / "tmp").glob("*batch-tmp/genolog-runs/*/jobs.json")
    record = json.loads(record_file.read_text())
    qc_jobs = [j for j in record["jobs"] if j.get("image")]
    assert len(qc_jobs) == 2 and all(j["ran_in_container"] for j in qc_jobs)
    active = {a["sequencing_group_ids"][0]: a for a in setup.analyses() if a["active"]}  # type: ignore[index]
    assert all(active[sg]["status"] == "completed" for sg in (good, fair))


@pytest.mark.slow
def test_the_same_analysis_on_slurm_in_containers(
    setup: Setup, slurm: Path, built_images: BuiltImages, tmp_path: Path
) -> None:
    """Slurm with podman on its (single) node: the QC jobs run in genolog's FastQE image inside their
    Slurm jobs, with the same reports as on the host."""
    good, fair = setup.sgids["GOOD"], setup.sgids["FAIR"]
    web = setup.data / "proj-test-web" / "fastqe"
    reports = _host_reports_then_slurm(setup, tmp_path / "shared", 'container_runtime = "podman"\n')
    setup.env["CONTAINERS_CONF"] = str(built_images.data_dir / "containers.conf")
    boxed = setup.run("--sgids", good, fair, "--force")
    assert boxed.returncode == 0, boxed.stdout + boxed.stderr
    assert {sg: _report(web / f"{sg}.html") for sg in (good, fair)} == reports
    (record_file,) = (tmp_path / "shared" / "genolog-runs").glob("*/jobs.json")
    qc_jobs = [j for j in json.loads(record_file.read_text())["jobs"] if j.get("image")]
    assert len(qc_jobs) == 2 and all(j["ran_in_container"] and j["status"] == "succeeded" for j in qc_jobs)
    active = {a["sequencing_group_ids"][0]: a for a in setup.analyses() if a["active"]}  # type: ignore[index]
    assert all(active[sg]["status"] == "completed" for sg in (good, fair))
