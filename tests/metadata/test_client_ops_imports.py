"""The published metamist client's sheet imports: family templates and seqr's individual metadata."""

from __future__ import annotations

import csv
import io

from tests.metadata.client_calls import (
    Served,
    model,
    op,
    refused,
    upload,
)

PEDIGREE = "FAM1\tP1\t0\t0\t1\t2\n"


def seed(served: Served) -> None:
    """proj: P1 (in FAM1, as the pedigree put it) and P2, in no family."""
    api = served.api
    api.project("proj", {"owner": ["reader", "writer"], "reader": ["reader"]})
    api.project("other", {"outsider": ["reader", "writer"]})
    api.ok("PUT", "/participant/proj/upsert-many", json=[{"external_ids": {"": "P2"}}])
    api.ok(
        "POST",
        "/family/proj/pedigree",
        params={"create_missing_participants": True},
        files={"file": ("p.ped", PEDIGREE)},
    )


def families(served: Served) -> dict[str, dict[str, object]]:
    return {f["external_ids"][""]: f for f in served.api.ok("GET", "/family/proj/")}


def test_family_templates(served: Served) -> None:
    seed(served)
    template = (
        "Family ID\tDisplay Name\tDescription\tCoded Phenotype\tMeta\n"
        '#a comment\nFAM1\t\tfirst family\tHP:1\t{"k": 1}\n\tFAM2\tsecond\t\t\n'
    )
    update = 'family id,description,meta\nFAM1,renamed,"{""k2"": 2}"\n'
    imports = "FamilyApi", "import_families"
    answers = served.calls(
        op("owner", *imports, project="proj", file=upload("families.tsv", template)),
        op("owner", *imports, project="proj", file=upload("update.txt", update)),
        op(
            "owner",
            "SeqrApi",
            "import_families",
            project="proj",
            file=upload("h.csv", "Family ID,Description\n"),
        ),
        op("owner", *imports, project="proj", file=upload("e.csv", ""), has_header=False),
        op(
            "owner",
            *imports,
            project="proj",
            file=upload("none.tsv", "FAM3\tThird\tdesc3\n"),
            has_header=False,
        ),
    )
    created, updated, header_only, empty, headerless = answers
    assert created["result"] == {"success": True}
    assert updated["result"] == {"success": True}
    assert header_only["result"] == {
        "success": True,
        "warnings": ["Submitted file contained a header with no data"],
    }
    assert empty["result"] == {"success": True, "warnings": ["Submitted file was empty"]}
    assert headerless["result"] == {"success": True}
    found = families(served)
    # FAM1 (from the pedigree) updated twice: the second file has no coded phenotype column, so it stays
    assert {k: found["FAM1"][k] for k in ("description", "coded_phenotype", "meta")} == {
        "description": "renamed",
        "coded_phenotype": "HP:1",
        "meta": {"k": 1, "k2": 2},
    }
    assert found["FAM2"]["description"] == "second" and found["FAM2"]["meta"] == {}
    assert found["FAM3"]["description"] == "desc3"  # the columns in the template's order

    before = served.rows()
    bad_meta = "Family ID\tMeta\nFAM4\t{}\nFAM5\t[1]\n"
    refusals = served.calls(
        op("owner", *imports, project="proj", file=upload("m.tsv", bad_meta)),
        op("owner", *imports, project="proj", file=upload("n.tsv", "Description\tMeta\nx\t{}\n")),
        op("owner", *imports, project="proj", file=upload("one.tsv", "Family ID\nFAM6\n")),
        op("owner", *imports, project="proj", file=upload("e.csv", "")),
        op("reader", *imports, project="proj", file=upload("f.tsv", template)),
        op("outsider", *imports, project="proj", file=upload("f.tsv", template)),
        op("outsider", *imports, project="proj", file=upload("e.csv", ""), has_header=False),
    )
    bad, no_id, one_column, no_header, reader, *outsider = refusals
    refused(bad, 400, "Row 2", "JSON object")
    refused(no_id, 400, "Family ID")
    refused(one_column, 400, "one column")
    refused(no_header, 400, "header")
    refused(reader, 403)
    for answer in outsider:
        refused(answer, 404, "'proj' not found")
    assert served.rows() == before  # FAM4 of the first refused file was not kept


def test_individual_metadata_manifests(served: Served) -> None:
    seed(served)
    sheet = (
        "Individual ID,Family ID,HPO Terms (present),HPO Term 1,HPO Terms (absent),Age of Onset,Individual Notes\n"
        'P1,FAM1,"HP:0000001, HP:0000002 | label",HP:0000003,HP:0000009,congenital,a note\n'
        "P2,FAM9,,,,,\n"
        "NEW,FAM9,HP:0000004,,,,\n"
    )
    manifest = "ImportApi", "import_individual_metadata_manifest"
    before = served.rows()
    strict, outsider, reader = served.calls(
        op("owner", *manifest, project="proj", file=upload("m.csv", sheet)),
        op("outsider", *manifest, project="proj", file=upload("m.csv", sheet)),
        op("reader", *manifest, project="proj", file=upload("m.csv", sheet)),
    )
    refused(strict, 404, "NEW", "extra_participants_method")
    refused(outsider, 404, "'proj' not found")
    refused(reader, 403)
    assert served.rows() == before

    ignored, read_back = served.calls(
        op(
            "owner",
            "SeqrApi",
            "import_individual_metadata_manifest",
            project="proj",
            file=upload("m.csv", sheet),
            extra_participants_method=model("ExtraParticipantImporterHandler", "ignore"),
        ),
        op("reader", "ParticipantApi", "get_individual_metadata_for_seqr", project="proj"),
    )
    assert ignored["result"] == {"success": True}
    # P2 has no phenotype to show; NEW was skipped
    assert read_back["result"]["rows"] == [
        {
            "individual_id": "P1",
            "family_id": "FAM1",
            "hpo_terms_present": "HP:0000001,HP:0000002,HP:0000003",
            "hpo_terms_absent": "HP:0000009",
            "age_of_onset": "Congenital onset",
            "individual_notes": "a note",
        }
    ]
    pedigree = {r["individual_id"]: r["family_id"] for r in served.api.ok("GET", "/family/proj/pedigree")}
    assert pedigree == {"P1": "FAM1", "P2": "FAM9"}  # P2 put in FAM9, made for it

    added, read_back = served.calls(
        op(
            "owner",
            *manifest,
            project="proj",
            file=upload("m.txt", "".join("\t".join(row) + "\n" for row in csv.reader(io.StringIO(sheet)))),
            delimiter="\\t",
            extra_participants_method=model("ExtraParticipantImporterHandler", "add"),
        ),
        op("reader", "ParticipantApi", "get_individual_metadata_for_seqr", project="proj"),
    )
    assert added["result"] == {"success": True}
    assert {r["individual_id"]: r.get("hpo_terms_present") for r in read_back["result"]["rows"]} == {
        "P1": "HP:0000001,HP:0000002,HP:0000003",
        "NEW": "HP:0000004",
    }
    assert {r["individual_id"]: r["family_id"] for r in read_back["result"]["rows"]}["NEW"] == "FAM9"

    before = served.rows()
    add = model("ExtraParticipantImporterHandler", "add")
    bad_sheets = {
        "differ from the participants' families": "Individual ID,Family ID\nP1,FAM9\n",
        "HP:": "Individual ID,HPO Terms (present)\nP1,Clinical\n",
        "age of onset": "Individual ID,Age of Onset\nP1,sometime\n",
        "Unknown columns": "Individual ID,Favourite colour\nP1,blue\n",
        "more than once": "Individual ID\nP1\nP1\n",
        "Individual ID": "Family ID\nFAM1\n",
    }
    answers = served.calls(
        *(
            op(
                "owner",
                *manifest,
                project="proj",
                file=upload("bad.csv", text),
                extra_participants_method=add,
            )
            for text in bad_sheets.values()
        )
    )
    for fragment, answer in zip(bad_sheets, answers, strict=True):
        refused(answer, 400, fragment)
    assert served.rows() == before
