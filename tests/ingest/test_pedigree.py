"""`genolog ingest pedigree` against a real server."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from genolog.cli import app
from tests.metadata.support import Api

runner = CliRunner()

TRIO = "Family ID,Individual ID,Paternal ID,Maternal ID,Sex,Affected\nF1,dad,0,0,1,1\nF1,mum,0,0,2,1\nF1,kid,dad,mum,1,2\n"


def test_a_pedigree_is_imported_and_summarised(tmp_path: Path, live_api: Api) -> None:
    ped = tmp_path / "trio.csv"
    ped.write_text(TRIO)
    refused = runner.invoke(app, ["ingest", "pedigree", "proj", str(ped)])
    assert refused.exit_code == 1
    assert refused.stderr.startswith(
        f"error: {ped}: the server refused the pedigree (HTTP 400): Participants not found"
    )
    assert "create_missing_participants" in refused.stderr

    ok = runner.invoke(app, ["ingest", "pedigree", "proj", str(ped), "--create-missing-participants"])
    assert ok.exit_code == 0, ok.output
    assert (
        ok.stdout.strip()
        == f"{ped}: 3 pedigree rows imported into proj; 1 families and 3 participants created"
    )
    again = runner.invoke(app, ["ingest", "pedigree", "proj", str(ped), "--json"])
    assert again.exit_code == 0, again.output
    assert (
        again.stdout.replace(" ", "").replace("\n", "")
        == '{"success":true,"families_created":0,"participants_created":0,"rows":3}'
    )
    rows = {r["individual_id"]: r for r in live_api.ok("GET", "/family/proj/pedigree")}
    assert (rows["kid"]["paternal_id"], rows["kid"]["affected"]) == ("dad", 2)


def test_bad_pedigrees_and_unreadable_files_are_messages(tmp_path: Path, live_api: Api) -> None:
    ped = tmp_path / "bad.ped"
    ped.write_text("F1\tkid\tghost\t0\t1\t2\n")
    bad = runner.invoke(app, ["ingest", "pedigree", "proj", str(ped), "--create-missing-participants"])
    assert bad.exit_code == 1
    assert (
        "the father 'ghost' of 'kid' is not in the pedigree" in bad.stderr and "Traceback" not in bad.output
    )
    missing = runner.invoke(app, ["ingest", "pedigree", "proj", str(tmp_path / "nope.ped")])
    assert missing.exit_code == 1 and "nope.ped: cannot read the pedigree file" in missing.stderr
    other = runner.invoke(app, ["ingest", "pedigree", "no-such-project", str(ped)])
    assert other.exit_code == 1 and "(HTTP 404): Project 'no-such-project' not found" in other.stderr
