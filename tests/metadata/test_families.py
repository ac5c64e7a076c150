import pytest

from genolog.metadata.errors import BadRequest
from genolog.metadata.pedigree import check_and_order, parse
from tests.metadata.support import Api

TRIO_CSV = "Family ID,Individual ID,Father,Mother,Gender,Affection Status,Notes\nF1,kid,dad,mum,male,affected,proband\nF1,dad,0,0,m,no,\nF1,mum,,,female,unknown,\n"


def test_parse_accepts_header_aliases_and_value_words() -> None:
    rows = {r.individual: r for r in parse(TRIO_CSV)}
    kid = rows["kid"]
    assert (kid.family, kid.paternal, kid.maternal, kid.sex, kid.affected, kid.notes) == (
        "F1",
        "dad",
        "mum",
        1,
        2,
        "proband",
    )
    assert rows["mum"].paternal is None and rows["mum"].sex == 2 and rows["mum"].affected == 0
    assert rows["dad"].affected == 1


def test_parse_headerless_ped_uses_ped_column_order() -> None:
    [row] = parse("F1 P1 0 0 2 -9\n")
    assert (row.family, row.individual, row.sex, row.affected) == ("F1", "P1", 2, -9)


def test_order_puts_parents_first() -> None:
    ordered = [r.individual for r in check_and_order(parse(TRIO_CSV))]
    assert ordered.index("dad") < ordered.index("kid") and ordered.index("mum") < ordered.index("kid")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("F1\ta\tb\t0\t1\t1\nF1\tb\ta\t0\t1\t1\n", "circular dependency: a -> b -> a"),
        ("F1\ta\tghost\t0\t1\t1\n", "father 'ghost' of 'a' is not in the pedigree"),
        ("F1\ta\t0\t0\tx\t1\n", "unknown sex 'x'"),
        ("F1\ta\t0\t0\t1\tmaybe\n", "unknown affected status 'maybe'"),
        ("F1\tmum\t0\t0\t1\t1\nF1\tkid\t0\tmum\t1\t1\n", "mother 'mum' is not recorded as female"),
        ("F1\tp\t0\t0\t1\t1\nF2\tk\tp\t0\t1\t1\n", "is in another family"),
        ("F1\ta\t0\t0\t1\t1\nF1\ta\t0\t0\t1\t1\n", "appears more than once"),
        ("  \n", "empty"),
    ],
)
def test_bad_pedigrees_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        check_and_order(parse(text))


def test_import_creates_families_and_participants_and_exports_ped(api: Api) -> None:
    api.project()
    refused = api.call("POST", "/family/proj/pedigree", files={"file": ("trio.csv", TRIO_CSV)})
    assert refused.status_code == 400 and "create_missing_participants" in refused.json()["description"]
    result = api.ok(
        "POST",
        "/family/proj/pedigree",
        params={"create_missing_participants": True},
        files={"file": ("trio.csv", TRIO_CSV)},
    )
    assert result == {"success": True, "families_created": 1, "participants_created": 3, "rows": 3}
    # importing again changes nothing and creates nothing
    again = api.ok(
        "POST",
        "/family/proj/pedigree",
        params={"create_missing_participants": True},
        files={"file": ("trio.csv", TRIO_CSV)},
    )
    assert again == {"success": True, "families_created": 0, "participants_created": 0, "rows": 3}

    rows = {r["individual_id"]: r for r in api.ok("GET", "/family/proj/pedigree")}
    assert rows["kid"] == {
        "family_id": "F1",
        "individual_id": "kid",
        "paternal_id": "dad",
        "maternal_id": "mum",
        "sex": 1,
        "affected": 2,
        "notes": "proband",
    }
    tsv = api.call("GET", "/family/proj/pedigree", params={"export_type": "tsv"})
    lines = tsv.text.split("\r\n")  # Metamist's header and six columns (notes are in the JSON only)
    assert lines[0] == "#Family ID\tIndividual ID\tPaternal ID\tMaternal ID\tSex\tAffected"
    assert "F1\tkid\tdad\tmum\t1\t2" in lines and lines[-1] == ""
    ped = api.call("GET", "/family/proj/pedigree", params={"export_type": "ped"}).text.splitlines()
    assert sorted(ped) == ["F1\tdad\t0\t0\t1\t1", "F1\tkid\tdad\tmum\t1\t2", "F1\tmum\t0\t0\t2\t0"]
    families = api.ok("GET", "/family/proj/")
    assert [f["external_ids"] for f in families] == [{"": "F1"}]
    internal = api.ok("GET", "/family/proj/pedigree", params={"replace_with_participant_external_ids": False})
    assert all(isinstance(r["individual_id"], int) for r in internal)


def test_families_can_be_filtered_by_participant_and_updated(api: Api) -> None:
    api.project()
    api.ok(
        "POST",
        "/family/proj/pedigree",
        params={"create_missing_participants": True},
        files={"file": ("f.ped", "F1 a 0 0 1 1\nF2 b 0 0 2 2\n")},
    )
    ids = api.ok("POST", "/participant/proj/id-map/external", json=["a", "b"])
    [f2] = api.ok("GET", "/family/proj/", params={"participant_ids": [ids["b"]]})
    assert f2["external_ids"] == {"": "F2"}
    api.ok(
        "POST",
        "/family/",
        json={"id": f2["id"], "coded_phenotype": "HP:0001", "meta": {"k": 1}, "external_ids": {"lab": "L2"}},
    )
    [updated] = api.ok("GET", "/family/proj/", params={"participant_ids": [ids["b"]]})
    assert updated["coded_phenotype"] == "HP:0001" and updated["meta"] == {"k": 1}
    assert updated["external_ids"] == {"": "F2", "lab": "L2"}
