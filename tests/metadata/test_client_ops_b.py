"""The published metamist client's cohort, project-insights and web operations against a live genolog
server (tests/metadata/scripts/metamist_client_ops_b.py), with a fake seqr server recording what the seqr
sync sends it; and, as a caller holding a role on one project only, nothing of another project."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from genolog.metadata.db import Database
from genolog.metadata.service import Service
from genolog.metadata.settings import SeqrSettings, ServerSettings, SettingsError, load_settings
from genolog.metadata.store import identity
from tests.metadata.live import live_server
from tests.metadata.support import restore

SCRIPT = Path(__file__).parent / "scripts" / "metamist_client_ops_b.py"
SEQR_TOKEN = "seqr-secret-token"


@dataclass
class FakeSeqr:
    """seqr's API as the sync calls it: every request recorded; the project ``R0002_fail`` refuses
    saved-variant updates."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)

    def answer(self, method: str, path: str) -> tuple[int, Any]:
        if path.endswith("/families/mapping"):
            return 200, {"familyGuidById": {"F1": "F000001_f1"}}
        if "R0002_fail" in path and path.endswith("/saved_variant/update"):
            return 500, {"error": "seqr broke"}
        if path.endswith("/igv/diff"):
            return 200, {
                "updates": [{"individualGuid": "I000003_p3", "sampleId": "x", "filePath": "gs://x.cram"}]
            }
        return 200, {}

    def paths(self, method: str = "POST", contains: str = "") -> list[str]:
        return [r["path"] for r in self.requests if r["method"] == method and contains in r["path"]]

    def body(self, path_end: str, guid: str = "R0001_ops") -> Any:
        [found] = [r["body"] for r in self.requests if r["path"].endswith(path_end) and guid in r["path"]]
        return found


@pytest.fixture(scope="module")
def fake_seqr() -> Iterator[FakeSeqr]:
    fake = FakeSeqr()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            fake.requests.append(
                {
                    "method": self.command,
                    "path": self.path,
                    "authorization": self.headers.get("Authorization"),
                    "body": json.loads(raw) if raw else None,
                }
            )
            status, answer = fake.answer(self.command, self.path)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def run_script(python: Path, url: str, *args: str, local: bool = True) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k not in ("CPG_CONFIG_PATH", "VIRTUAL_ENV")}
    env.update(SM_ENVIRONMENT="local" if local else "genolog-test", SM_URL=url)
    result = subprocess.run(
        [str(python), str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout)


@dataclass
class Run:
    admin: dict[str, Any]
    outsider: dict[str, Any]
    seqr: FakeSeqr
    maps: Path


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def run(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    fake_seqr: FakeSeqr,
    metamist_python: Path,
) -> Run:
    """Both client sessions, once per database: every test below reads what they recorded."""
    fake_seqr.requests.clear()
    tmp_path = tmp_path_factory.mktemp("client-ops-b")
    if request.param == "sqlite":
        shutil.copy(request.getfixturevalue("sqlite_template"), tmp_path / "genolog.sqlite")
        db_url = f"sqlite:///{tmp_path / 'genolog.sqlite'}"
    else:
        db_url, enums = request.getfixturevalue("postgres_template")
        db = Database(db_url)
        restore(db, {"enum_value": enums})  # other modules' tests leave their data behind
        db.dispose()
    maps = tmp_path / "seqr-maps"
    seqr = SeqrSettings(url=fake_seqr.url, token=SEQR_TOKEN, map_location=str(maps))
    with_seqr = Service.create(ServerSettings(db=db_url, dev_user="dev", seqr=seqr), Database(db_url))
    without = Service.create(ServerSettings(db=db_url, dev_user="dev"), Database(db_url))
    with with_seqr.db.write() as conn:
        _, token = identity.create_token(conn, "outsider", "test")
    with live_server(with_seqr) as url, live_server(without) as no_seqr_url:
        admin = run_script(metamist_python, url, "admin", url, no_seqr_url)
        outsider = run_script(
            metamist_python, url, "outsider", url, no_seqr_url, token, json.dumps(admin["ids"]), local=False
        )
    with_seqr.db.dispose()
    without.db.dispose()
    return Run(admin, outsider, fake_seqr, maps)


def refused(answer: Any, status: int, *fragments: str) -> None:
    assert isinstance(answer, dict) and answer.get("status") == status, answer
    for fragment in fragments:
        assert fragment in answer["body"]["description"], answer


def test_every_operation_through_the_published_client(run: Run) -> None:
    out, ids = run.admin, run.admin["ids"]
    groups, samples, people = ids["groups"], ids["samples"], ids["participants"]

    # cohorts: a template, a dry run from it, a cohort from criteria leaving out an ineligible group
    assert out["template"].startswith("CTPL")
    dry = out["cohort_dry_run"]
    assert dry["dry_run"] is True and dry["cohort_id"] == "CREATE NEW"
    assert sorted(dry["sequencing_group_ids"]) == sorted(groups.values())
    cohort = out["cohort"]
    assert cohort["cohort_id"].startswith("COH") and cohort["dry_run"] is False
    assert cohort["sequencing_group_ids"] == [groups["P1"]]
    assert cohort["excluded_ineligible_sg_ids_internal"] == [ids["exome"]]
    refused(out["cohort_duplicate_name"], 409, "picked")

    # project summary
    summary = out["summary"]
    assert summary["project"]["name"] == "ops" and summary["project"]["meta"]["is_seqr"] is True
    assert (summary["total_participants"], summary["total_samples"], summary["total_sequencing_groups"]) == (
        4,
        5,
        5,
    )
    assert summary["total_assays"] == 5
    assert summary["cram_seqr_stats"] == {
        "exome": {"Sequences": "1", "Crams": "1", "Seqr": "0"},
        "genome": {"Sequences": "4", "Crams": "1", "Seqr": "3"},
    }
    assert summary["batch_sequencing_group_stats"] == {
        "1": {"exome": "0", "genome": "2"},
        "<no-batch>": {"exome": "1", "genome": "2"},
    }
    assert summary["seqr_links"] == {
        "genome": f"{run.seqr.url}/project/R0001_ops/project_page",
        "exome": f"{run.seqr.url}/project/R0002_fail/project_page",
    }
    assert summary["seqr_sync_types"] == ["exome", "genome"]

    # the participant grid: every participant with its nested records, pages, filters, columns
    grid = out["grid"]
    assert grid["total_results"] == 4
    assert [p["external_ids"] for p in grid["participants"]] == [
        {"": "P1"},
        {"": "P2"},
        {"": "P3", "kccg": "K3"},
        {"": "P4"},
    ]
    p3 = grid["participants"][2]
    assert p3["id"] == people["P3"] and p3["reported_sex"] == 1 and p3["meta"] == {"cohort": "c1"}
    assert [f["external_ids"] for f in p3["families"]] == [{"": "F1"}]
    assert [s["id"] for s in p3["samples"]] == [samples["S3"], samples["S4"]]
    [sg] = p3["samples"][1]["sequencing_groups"]
    assert sg["id"] == ids["exome"] and sg["type"] == "exome"
    assert sg["assays"][0]["sample_id"] == samples["S4"] and sg["assays"][0]["type"] == "sequencing"
    assert grid["participants"][3]["families"] == []
    fields = {prefix: {f["key"]: f for f in found} for prefix, found in grid["fields"].items()}
    assert set(fields) == {"f", "p", "s", "sg", "a"}
    assert fields["p"]["meta.cohort"]["is_visible"] and fields["p"]["reported_sex"]["is_visible"]
    assert not fields["p"]["karyotype"]["is_visible"]
    assert fields["s"]["meta.tissue"]["is_visible"]
    assert not fields["a"]["meta.reads"]["is_visible"] and fields["a"]["meta.batch"]["is_visible"]
    assert fields["p"]["id"]["filter_types"] == ["eq", "neq", "gt", "gte", "lt", "lte"]

    page = out["grid_page"]
    assert page["total_results"] == 4
    assert [p["id"] for p in page["participants"]] == [people["P2"], people["P3"]]
    filtered = out["grid_filtered"]
    assert filtered["total_results"] == 1
    [only] = filtered["participants"]
    assert only["id"] == people["P3"]
    assert [s["id"] for s in only["samples"]] == [samples["S3"]]  # S4 is exome, and not like "s3"
    refused(out["grid_bad_limit"], 400, "limit")
    refused(out["grid_bad_filter"], 400, "not-an-id")
    assert "ProjectParticipantGridFilter" in out["schema"]["title"]
    assert set(out["schema"]["properties"]) == {
        "family",
        "participant",
        "sample",
        "sequencing_group",
        "assay",
    }

    # exports: CSV and TSV have a row per assay, JSON is the grid's participants
    rows = list(csv.DictReader(io.StringIO(out["export_csv"])))
    assert len(rows) == 5
    by_sample = {r["sample.external_ids"]: r for r in rows}
    assert by_sample["S4"]["participant.external_ids"] == "P3, kccg: K3"
    assert by_sample["S4"]["family.external_ids"] == "F1" and by_sample["S5"]["family.external_ids"] == ""
    assert by_sample["S1"]["assay.meta.batch"] == "1"
    assert by_sample["S3"]["sequencing_group.id"] == groups["P3"]
    assert "assay.meta.reads" not in rows[0]
    tsv = list(csv.DictReader(io.StringIO(out["export_tsv"]), delimiter="\t"))
    assert [{k: r[k] for k in ("sample.id", "participant.id")} for r in tsv] == [
        {k: r[k] for k in ("sample.id", "participant.id")} for r in rows
    ]
    assert [p["id"] for p in out["export_json"]] == [p["id"] for p in grid["participants"]]
    assert out["export_json"][2]["samples"] == p3["samples"]
    chosen = list(csv.reader(io.StringIO(out["export_fields"]), delimiter="\t"))
    assert chosen == [
        ["participant.external_ids", "participant.meta.cohort", "sequencing_group.id"],
        ["P3, kccg: K3", "c1", groups["P3"]],
        ["P3, kccg: K3", "c1", ids["exome"]],
    ]

    # keyword search
    found = out["search_prefix"]["responses"]  # "s": at most 5 of each kind, case ignored
    assert [(r["type"], r["title"]) for r in found if r["type"] != "sample"] == [("participant", "SX-P")]
    found_samples = [r["data"] for r in found if r["type"] == "sample"]
    assert [r["sample_external_ids"] for r in found_samples] == [["S1"], ["S2"], ["S3"], ["S4"], ["S5"]]
    assert [r["id"] for r in found_samples] == [samples[f"S{i}"] for i in range(1, 6)]
    assert found_samples[2]["participant_external_ids"] == ["P3", "K3"]
    assert found_samples[2]["family_external_ids"] == ["F1"]
    assert {r["project"] for r in found_samples} == {"ops"}
    [s3] = out["search_sample"]["responses"]
    assert s3["title"] == samples["S3"] and s3["data"]["participant_external_ids"] == ["P3", "K3"]
    assert s3["data"]["family_external_ids"] == ["F1"]
    [group] = out["search_group"]["responses"]
    assert group["type"] == "sequencing-group" and group["data"]["id"] == groups["P2"]
    assert group["data"]["sample_external_id"] == samples["S2"]
    [family] = out["search_family"]["responses"]
    assert family["type"] == "family" and family["title"] == "F1"
    secret = out["search_secret_prefix"]["responses"]  # the admin reads every project
    assert [(r["type"], r["data"]["project"]) for r in secret] == [
        ("sample", "secret"),
        ("participant", "secret"),
    ]

    # project insights
    summary_rows = {r["sequencing_type"]: r for r in out["insights_summary"]}
    genome = summary_rows["genome"]
    assert (genome["total_families"], genome["total_participants"], genome["total_samples"]) == (1, 4, 4)
    assert (genome["total_sequencing_groups"], genome["total_crams"]) == (4, 1)
    assert genome["latest_snv_es_index"]["name"] == "ops-genome-es-2"
    assert (
        genome["latest_snv_es_index"]["sg_count"] == 3
        and genome["latest_snv_es_index"]["id"] == out["es_index"]
    )
    assert genome["latest_annotate_dataset"]["id"] == out["annotate"]
    assert genome["latest_sv_es_index"] is None
    assert summary_rows["exome"]["total_crams"] == 1 and summary_rows["exome"]["latest_snv_es_index"] is None
    details = {r["sequencing_group_id"]: r for r in out["insights_details"]}
    assert set(details) == {groups["P1"], groups["P2"], groups["P3"], ids["exome"]}  # P4 is in no family
    p1 = details[groups["P1"]]
    assert p1["family_ext_id"] == "F1" and p1["participant_ext_id"] == "P1" and p1["sample_ext_ids"] == ["S1"]
    assert (p1["sequencing_platform"], p1["sequencing_technology"]) == ("illumina", "short-read")
    assert p1["cram"]["output"] == "gs://cpg-ops-main/cram/P1.cram" and p1["cram"]["timestamp_completed"]
    assert p1["in_latest_snv_es_index"] and p1["in_latest_annotate_dataset"]
    assert (
        details[groups["P3"]]["in_latest_snv_es_index"]
        and not details[groups["P3"]]["in_latest_annotate_dataset"]
    )
    stripy = p1["web_reports"]["stripy"]
    assert (
        stripy["url"] == f"https://main-web.populationgenomics.org.au/ops/stripy/{groups['P1']}.stripy.html"
    )
    assert stripy["outliers_detected"] is True and stripy["outlier_loci"] == {"HTT": 40}
    assert details[groups["P2"]]["cram"] == {"id": None, "output": None, "timestamp_completed": None}


def test_seqr_calls_as_metamist_makes_them(run: Run) -> None:
    out, ids, seqr = run.admin, run.admin["ids"], run.seqr
    groups = ids["groups"]
    assert out["guid_map"] == {"F1": "F000001_f1"}
    refused(out["guid_map_no_guid"], 400, "does NOT have an appropriate seqr project", "seqr-project-genome")
    refused(out["guid_map_unconfigured"], 400, "[seqr]", "url")
    refused(out["sync_unconfigured"], 400, "[seqr]", "url")
    assert {r["authorization"] for r in seqr.requests} == {f"Bearer {SEQR_TOKEN}"}

    sync = out["sync"]
    assert sync["success"] is True and "errors" not in sync
    assert sync["messages"][:3] == [
        "Uploaded 3 rows of pedigree data",
        "Synchronised 1 families",
        "Uploaded individual metadata for 1 individuals",
    ]
    assert f"Sequencing groups added to ops-genome-es-2: {groups['P3']}" in sync["messages"]
    assert f"Sequencing groups missing from ops-genome-es-2: {groups['P4']}" in sync["messages"]
    assert "No ES index to synchronise for SV" in sync["messages"]
    assert "Updated saved variants" in sync["messages"] and "1 (/1) CRAMs were updated" in sync["messages"]
    ops = "/api/project/sa/R0001_ops/"
    assert seqr.paths(contains=ops) == [
        f"{ops}individuals/sync",
        f"{ops}families/sync",
        f"{ops}individuals_metadata/sync",
        f"{ops}add_dataset/variants",
        f"{ops}saved_variant/update",
        f"{ops}igv/diff",
    ]
    # each sync's IGV diff answered one update (its individual's GUID in the path)
    assert seqr.paths(contains="/api/individual/sa/") == ["/api/individual/sa/I000003_p3/igv/update"] * 2
    individuals = {r["individualId"]: r for r in seqr.body("individuals/sync")["individuals"]}
    assert individuals["P3"] == {
        "familyId": "F1",
        "individualId": "P3",
        "paternalId": "P1",
        "maternalId": "P2",
        "notes": None,
        "sex": "M",
        "affected": "A",
    }
    assert individuals["P2"]["sex"] == "F" and individuals["P2"]["affected"] == "N"
    assert seqr.body("families/sync") == {
        "families": [{"familyId": "F1", "displayName": "F1", "description": None, "codedPhenotype": None}]
    }
    assert seqr.body("individuals_metadata/sync") == {
        "individuals": [
            {
                "family_id": "F1",
                "individual_id": "P3",
                "features": ["HP:0000001", "HP:0000002"],
                "birth_year": 2001,
                "consanguinity": True,
            }
        ]
    }
    es = seqr.body("add_dataset/variants")
    assert es["elasticsearchIndex"] == "ops-genome-es-2" and es["datasetType"] == "SNV_INDEL"
    assert es["ignoreExtraSamplesInCallset"] is True
    [written] = run.maps.iterdir()
    assert es["mappingFilePath"] == str(written) and written.name.startswith("R0001_ops_pid_sgid_map_")
    lines = written.read_text().splitlines()
    assert f"{groups['P3']}\tP3" in lines and f"{groups['P3']}\tK3" in lines and len(lines) == 5
    assert seqr.body("igv/diff") == {
        "mapping": {"P1": [{"filePath": "gs://cpg-ops-main/cram/P1.cram", "sampleId": groups["P1"]}]}
    }

    # a step seqr refuses is reported, after three tries; the others still run
    failing = out["sync_failing"]
    assert failing["success"] is False
    [error] = failing["errors"]
    assert "500" in error and "saved_variant/update" in error
    assert len(seqr.paths(contains="R0002_fail/saved_variant/update")) == 3
    assert "Synchronised 1 families" in failing["messages"]
    mapping = seqr.body("igv/diff", "R0002_fail")["mapping"]
    assert mapping == {"P3": [{"filePath": "gs://cpg-ops-main/exome/cram/P3.cram", "sampleId": ids["exome"]}]}
    assert not any("add_dataset" in p for p in seqr.paths(contains="R0002_fail"))


def test_a_caller_sees_nothing_of_a_project_it_cannot_read(run: Run) -> None:
    out = run.outsider
    assert out["my_projects"] == ["ops"]
    for name in (
        "summary_secret",
        "schema_secret",
        "grid_secret",
        "export_secret",
        "insights_summary_secret",
        "insights_details_secret",
        "cohort_secret_criteria",
        "template_secret",
        "guid_map_secret",
        "sync_secret",
    ):
        refused(out[name], 404, "secret")
    refused(out["cohort_secret_group"], 400, "not found", run.admin["ids"]["secret_group"])
    assert out["summary_ops"]["project"]["name"] == "ops"
    assert out["grid_ops"]["total_results"] == 4
    assert out["search_secret_prefix"]["responses"] == []
    assert out["search_secret_sample"]["responses"] == []
    assert out["search_secret_group"]["responses"] == []
    assert {r["data"]["project"] for r in out["search_prefix"]["responses"]} == {"ops"}
    assert out["cohort_ops"]["cohort_id"].startswith("COH")  # a contributor may make cohorts
    refused(out["sync_ops"], 403, "writer")  # a sync needs the writer role
    refused(out["guid_map_unconfigured"], 400, "[seqr]")


def test_the_seqr_server_is_the_seqr_table_of_the_config_or_its_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "genolog.toml"
    config.write_text('[server]\nport = 9000\n[seqr]\nurl = "http://seqr.test"\nmap_location = "/maps"\n')
    monkeypatch.setenv("GENOLOG_SEQR__TOKEN", "from-env")
    settings = load_settings(config)
    assert (settings.port, settings.seqr.url, settings.seqr.map_location) == (
        9000,
        "http://seqr.test",
        "/maps",
    )
    assert settings.seqr.token == "from-env"
    config.write_text('[server]\n[seqr]\nurl = "http://seqr.test"\ncolour = 1\n')
    with pytest.raises(SettingsError, match="colour"):
        load_settings(config)
