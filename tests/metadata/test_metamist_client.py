"""The published metamist client, in its local mode, against a live genolog server."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from genolog.metadata.service import Service
from tests.metadata.live import live_server

SCRIPT = Path(__file__).parent / "scripts" / "metamist_client_session.py"


def run_client(python: Path, url: str, *args: str, script: Path = SCRIPT) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("CPG_CONFIG_PATH", "VIRTUAL_ENV")}
    env.update(SM_ENVIRONMENT="local", SM_URL=url)
    result = subprocess.run(
        [str(python), str(script), *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout)


def test_published_client_round_trips_projects_participants_samples_pedigree_and_analyses(
    dev_service: Service, metamist_python: Path
) -> None:
    with live_server(dev_service) as url:
        out = run_client(metamist_python, url, "cohort")

    assert out["my_projects"] == ["cohort", "cohort-test"]
    assert {p["name"] for p in out["all_projects"]} == {"cohort", "cohort-test"}

    participants = out["participants"]
    assert [p["external_ids"] for p in participants] == [{"": "P1"}, {"": "P2"}, {"": "P3"}]
    assert all(isinstance(p["id"], int) for p in participants)
    sample = participants[0]["samples"][0]
    sg = sample["sequencing_groups"][0]
    assert sample["id"].startswith("XPG") and sg["id"].startswith("CPG")
    assert isinstance(sg["assays"][0]["id"], int)

    assert set(out["sample_map"]) == {"S1", "S2", "S3", "S4"}
    assert out["sample_map"]["S1"] == sample["id"]
    assert out["samples"][0]["external_ids"] == {"": "S4", "kccg": "K-4"}

    assert out["pedigree_import"]["rows"] == 3
    trio = {row["individual_id"]: row for row in out["pedigree"]}
    assert trio["P3"]["paternal_id"] == "P1" and trio["P3"]["maternal_id"] == "P2"
    assert trio["P3"]["affected"] == 2 and trio["P2"]["sex"] == 2

    analysis = out["analysis"]
    assert out["update"] is True
    assert analysis["id"] == out["analysis_id"]
    assert analysis["status"] == "completed" and analysis["timestamp_completed"]
    assert analysis["meta"] == {"display_url": "http://x/report.html", "size": 5}
    assert analysis["sequencing_group_ids"] == [sg["id"]]
    assert analysis["output"] == "gs://web/report.html"

    read_back = out["sequencing_group"]
    assert read_back["id"] == sg["id"]
    assert read_back["meta"] == {"batch": 1}
    reads = read_back["assays"][0]["meta"]["reads"]
    assert [r["location"] for r in reads] == ["gs://upload/S1_1.fq.gz", "gs://upload/S1_2.fq.gz"]

    seed = out["graphql_seed"]["project"]["sequencingGroups"]
    assert seed == [{"assays": [{"meta": read_back["assays"][0]["meta"]}], "sample": {"externalId": "S1"}}]
    [analysis_row] = out["graphql_analyses"]["project"]["analyses"]
    assert analysis_row == {
        "active": True,
        "id": out["analysis_id"],
        "output": "gs://web/report.html",
        "type": "web",
        "meta": {"display_url": "http://x/report.html", "size": 5},
    }
