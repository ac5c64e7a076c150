"""Metamist's own published parsers (generic metadata and sample file map), unmodified, against a live
genolog server: a seeded 1,000-row sheet lands whole, and a second run changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from genolog.metadata.db import Database
from genolog.metadata.service import Service
from genolog.metadata.settings import ServerSettings
from tests.ingest.sheets import Sheet, write_sheet
from tests.metadata.live import live_server

SCRIPT = Path(__file__).parent / "scripts" / "metamist_parsers.py"
ROWS = 1_000


def run_parser(python: Path, url: str, kind: str, project: str, sheet: Sheet) -> Any:
    env = {k: v for k, v in os.environ.items() if k not in ("CPG_CONFIG_PATH", "VIRTUAL_ENV")}
    env.update(SM_ENVIRONMENT="local", SM_URL=url)
    result = subprocess.run(
        [str(python), str(SCRIPT), kind, project, str(sheet.path), str(sheet.reads), str(sheet.reference)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-6000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def counts(svc: Service, project: str) -> dict[str, int]:
    """Entities of the project as genolog holds them, and the size of the whole change history."""
    queries = {
        "participants": "SELECT count(*) FROM participant p JOIN project j ON j.id = p.project_id WHERE j.name = :p",
        "samples": "SELECT count(*) FROM sample s JOIN project j ON j.id = s.project_id WHERE j.name = :p",
        "sequencing_groups": "SELECT count(*) FROM sequencing_group g JOIN sample s ON s.id = g.sample_id "
        "JOIN project j ON j.id = s.project_id WHERE j.name = :p AND NOT g.archived",
        "assays": "SELECT count(*) FROM assay a JOIN sample s ON s.id = a.sample_id "
        "JOIN project j ON j.id = s.project_id WHERE j.name = :p",
        "changes": "SELECT count(*) FROM change",
        "audit_log": "SELECT count(*) FROM audit_log",
    }
    with svc.db.read() as conn:
        return {
            name: int(conn.execute(sa.text(q), {"p": project}).scalar_one()) for name, q in queries.items()
        }


SPOT_CHECK = """
query ($project: String!) {
  project(name: $project) {
    participants { meta samples { meta assays { meta } } }
  }
}"""


def check_meta(url: str, project: str, sheet: Sheet) -> None:
    """What the generic metadata parser mapped into meta, and the index files and reference it attached,
    read back through genolog's GraphQL."""
    answer = httpx.post(f"{url}/graphql", json={"query": SPOT_CHECK, "variables": {"project": project}})
    participants = answer.json()["data"]["project"]["participants"]
    assert all("ancestry" in p["meta"] for p in participants)  # (Metamist keeps empty cells as "")
    samples = [s for p in participants for s in p["samples"]]
    dated = [s for s in samples if s["meta"]["collection"]["date"].startswith("2024-")]
    assert len(dated) == len(samples) - sheet.padded
    assays = [a["meta"] for s in samples for a in s["assays"]]
    crams = [a for a in assays if a["reads_type"] == "cram"]
    assert crams and all(a["reads"]["secondaryFiles"][0]["basename"].endswith(".crai") for a in crams)
    assert all(a["reference_assembly"]["secondaryFiles"][0]["basename"] == "genome.fa.fai" for a in crams)
    assert all(isinstance(a["depth"], int) for a in assays if "flowcell" in a)


@pytest.mark.parametrize("kind", ["gmp", "sfmp"])
def test_published_parsers_land_a_sheet_and_a_second_run_changes_nothing(
    kind: str, db_url: str, tmp_path: Path, metamist_python: Path
) -> None:
    sheet = write_sheet(tmp_path / kind, ROWS, seed=21, columns=kind)
    assert sheet.rows == ROWS
    svc = Service.create(ServerSettings(db=db_url, dev_user="dev"), Database(db_url))
    with live_server(svc) as url:
        run_parser(metamist_python, url, kind, kind, sheet)
        first = counts(svc, kind)
        assert first["participants"] == len(sheet.participants)
        assert first["samples"] == len(sheet.samples)
        assert first["sequencing_groups"] == sheet.sequencing_groups
        assert first["assays"] == sheet.assays_metamist
        if kind == "gmp":
            check_meta(url, kind, sheet)
        run_parser(metamist_python, url, kind, kind, sheet)
        assert counts(svc, kind) == first
    svc.db.dispose()
