"""The search box: internal ids, external ids (every organisation) and read file names, across the projects
the caller may read; one hit jumps to its page, several are listed by kind, none says so."""

from __future__ import annotations

import re

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.metadata.support import Api, sample_with_group, sequencing_assay
from tests.metadata.test_graphql import gql
from tests.metadata.test_graphql_cohorts import CREATE
from tests.web.support import Site, browser, build_site, signed_in

NO_MATCH = "No id, external id or read file matches"


def jumps(client: TestClient, q: str) -> str:
    """Where searching ``q`` redirects to (it must redirect)."""
    response = client.get("/search", params={"q": q}, follow_redirects=False)
    assert response.status_code == 303, (q, response.status_code, response.text[:500])
    location: str = response.headers["location"]
    return location


def listed(client: TestClient, q: str) -> str:
    """The results page of ``q`` (it must not redirect)."""
    response = client.get("/search", params={"q": q}, follow_redirects=False)
    assert response.status_code == 200, (q, response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def hit_links(html: str) -> list[str]:
    main = html.split('<main id="main">', 1)[1]
    return re.findall(r'<td><a href="(/projects/[^"]+/[a-z-]+/[^"]+)">', main)


def test_one_exact_match_jumps_to_its_page(site: Site) -> None:
    reader = signed_in(site.api, "reader")
    s1, s2, _ = site.samples
    sample = f"/projects/proj/samples/{s2}"
    assert jumps(reader, s2) == sample
    assert jumps(reader, s2.lower()) == sample  # ids in any case
    assert jumps(reader, f"  {s2} ") == sample
    assert jumps(reader, "S2") == sample  # external id
    assert jumps(reader, "S2_1.fq.gz") == sample  # a read file's basename ...
    assert jumps(reader, "gs://b/S2_2.fq.gz") == sample  # ... or its full location
    assert jumps(reader, site.groups[0]) == f"/projects/proj/sequencing-groups/{site.groups[0]}"
    assert jumps(reader, "P3") == "/projects/proj/participants/3"
    # the redirect lands on a page that exists
    page = reader.get("/search", params={"q": "S2_1.fq.gz"})
    assert page.status_code == 200 and page.url.path == sample and "S2" in page.text
    assert reader.get("/search", params={"q": s1}).url.path == f"/projects/proj/samples/{s1}"
    group = reader.get("/search", params={"q": site.groups[0]})
    assert group.status_code == 200 and group.url.path == f"/projects/proj/sequencing-groups/{site.groups[0]}"


def test_numbers_match_participants_families_and_analyses(site: Site) -> None:
    api = site.api
    trio = "FAM1\tDAD\t0\t0\t1\t1\nFAM1\tMUM\t0\t0\t2\t1\nFAM1\tKID\tDAD\tMUM\t1\t2\n"
    api.ok(
        "POST",
        "/family/proj/pedigree",
        params={"create_missing_participants": True},
        files={"file": ("trio.ped", trio)},
    )
    reader = signed_in(api, "reader")
    family = jumps(reader, "FAM1")
    assert re.fullmatch(r"/projects/proj/families/\d+", family)
    family_id = family.rsplit("/", 1)[1]
    assert reader.get(family).status_code == 200 and "FAM1" in reader.get(family).text
    # the number is participant 1, analysis 1 and family 1 here: all three are listed, with links
    assert site.analysis == 1 and family_id == "1"
    page = listed(reader, "1")
    assert "3 matches for <q>1</q>" in page
    assert hit_links(page) == [
        "/projects/proj/participants/1",
        "/projects/proj/families/1",
        "/projects/proj/analyses/1",
    ]
    for heading in ("Participants", "Families", "Analyses"):
        assert f">{heading} <span" in page
    assert "participant id" in page and "web completed" in page  # how it matched; the analysis' type
    assert jumps(reader, "5") == "/projects/proj/participants/5"  # DAD, MUM, KID are 4, 5, 6


def test_cohorts_are_found_by_id(site: Site) -> None:
    spec = {"name": "all of proj", "description": "everything"}
    body = gql(site.api, CREATE, {"project": "proj", "spec": spec, "criteria": {"projects": ["proj"]}})
    cohort = body["data"]["cohort"]["createCohortFromCriteria"]["createdCohort"]["id"]
    page = listed(signed_in(site.api, "reader"), cohort)  # no page of its own: listed, with its project
    assert f"<td>{cohort}</td>" in page and "all of proj" in page and "cohort id" in page
    assert "1 match for" in page
    assert listed(signed_in(site.api, "stranger"), cohort).count(NO_MATCH) == 1


def test_external_ids_of_every_organisation_and_several_projects(site: Site) -> None:
    api = site.api
    api.ok(
        "PUT",
        "/participant/proj/upsert-many",
        json=[{"id": 2, "external_ids": {"": "P2", "kccg": "K-0002"}}],
    )
    twin = api.ok("PUT", "/sample/proj-test/upsert-many", json=[sample_with_group("S1")])[0]["id"]
    reader = signed_in(api, "reader")
    assert jumps(reader, "K-0002") == "/projects/proj/participants/2"
    page = listed(reader, "S1")  # the same external id in two readable projects
    assert hit_links(page) == [
        f"/projects/proj/samples/{site.samples[0]}",
        f"/projects/proj-test/samples/{twin}",
    ]
    assert '<a href="/projects/proj-test">proj-test</a>' in page and ">Samples <span" in page


def test_nothing_found_says_so_and_lists_near_external_ids(api: Api) -> None:
    site = build_site(api, n=3)
    api.ok("PUT", "/sample/proj/upsert-many", json=[sample_with_group("AS1"), sample_with_group("XS1-b")])
    reader = signed_in(api, "reader")
    page = listed(reader, "s1")  # no exact external id "s1": those containing it, starting with it first
    assert NO_MATCH in page and "External ids containing <q>s1</q>" in page
    near = re.findall(r"<td>(\w[\w-]*)</td>", page.split("External ids containing", 1)[1])
    assert near == ["S1", "AS1", "XS1-b"]
    assert hit_links(page)[0] == f"/projects/proj/samples/{site.samples[0]}"
    nothing = listed(reader, "<b>zzz</b>")
    assert NO_MATCH in nothing and "<q>&lt;b&gt;zzz&lt;/b&gt;</q>" in nothing and "<b>zzz" not in nothing
    assert 'value="&lt;b&gt;zzz&lt;/b&gt;"' in nothing  # the box keeps the query
    assert "External ids containing" not in nothing
    # LIKE's wildcards are plain characters
    assert NO_MATCH in listed(reader, "S_") and "External ids containing" not in listed(reader, "S%")


def test_near_matches_are_bounded(api: Api) -> None:
    build_site(api, n=60)
    page = listed(signed_in(api, "reader"), "s")
    assert len(hit_links(page)) == 50 and "The first 50" in page


def test_read_files_of_any_shape(site: Site) -> None:
    """Reads per lane or pair (nested lists), secondary files, locations without a basename, and names
    with characters JSON escapes."""
    lanes = [
        [{"location": "gs://x/lane1/T1_R1.fq.gz", "class": "File"}, {"location": "gs://x/lane1/T1_R2.fq.gz"}],
        [{"location": "gs://x/lane2/T1_R1.fq.gz", "class": "File"}],
    ]
    cram = {
        "location": "gs://x/T2.cram",
        "basename": "T2.cram",
        "secondaryFiles": [{"location": "gs://x/T2.cram.crai", "basename": "T2.cram.crai"}],
    }
    odd = {"location": 'gs://x/we"ird\\näme%_1.fq.gz', "basename": 'we"ird\\näme%_1.fq.gz'}
    body = []
    for external_id, reads in (("T1", lanes), ("T2", [cram]), ("T3", [odd])):
        sample = sample_with_group(external_id)
        sample["sequencing_groups"][0]["assays"] = [sequencing_assay(reads=reads)]
        body.append(sample)
    t1, t2, t3 = (s["id"] for s in site.api.ok("PUT", "/sample/proj/upsert-many", json=body))
    reader = signed_in(site.api, "reader")
    for q, sample in [
        ("T1_R2.fq.gz", t1),
        ("gs://x/lane2/T1_R1.fq.gz", t1),
        ("T2.cram", t2),
        ("T2.cram.crai", t2),
        ('we"ird\\näme%_1.fq.gz', t3),
    ]:
        assert jumps(reader, q) == f"/projects/proj/samples/{sample}", q
    # T1_R1.fq.gz names two files of T1 (lanes 1 and 2): still one sample, so it jumps there
    page = reader.get("/search", params={"q": "T1_R1.fq.gz"})
    assert page.url.path == f"/projects/proj/samples/{t1}"
    for q in ("lane1/T1_R1.fq.gz", "T2.cr", "cram", "we", "%_1.fq.gz", "x"):
        assert NO_MATCH in listed(reader, q), q


def test_bad_ids_and_odd_text_are_no_match(site: Site) -> None:
    reader = signed_in(site.api, "reader")
    s1 = site.samples[0]
    bad_check_digit = s1[:-1] + str((int(s1[-1]) + 1) % 10)
    for q in (
        bad_check_digit,
        "XPG",
        "CPG1",
        "COH12",
        "99999999999999999999",
        "XPG99999999999999999999",
        "0",
        "S1_1.fq",  # part of a file name is not a file name
        "fastq",  # another meta value of the assays, not a read file
        "x" * 5000,
        "ünïcødé.fq.gz",
        '"quoted" \\ back',
    ):
        assert NO_MATCH in listed(reader, q), q
    # a NUL is refused as in every parameter of every page and API (metadata/inputs.py)
    nul = reader.get("/search", params={"q": "a\x00b"})
    assert nul.status_code == 400 and "The parameter &#39;q&#39; contains a NUL character" in nul.text
    empty = listed(reader, "")
    assert "Type an internal id" in empty and NO_MATCH not in empty


def test_only_readable_projects_are_searched(site: Site) -> None:
    api = site.api
    other_sample = api.ok("PUT", "/sample/other/upsert-many", json=[sample_with_group("O2")])[0]
    owner_of_other = "otherowner"
    api.ok("PATCH", "/project/other/members", json=[{"member": owner_of_other, "roles": ["reader"]}])
    o2 = f"/projects/other/samples/{other_sample['id']}"
    assert jumps(signed_in(api, owner_of_other), "O2") == o2  # the project's members find it ...
    reader = signed_in(api, "reader")  # ... others do not, by any route
    queries = [
        other_sample["id"],
        other_sample["sequencing_groups"][0]["id"],
        "O2",
        "O1",
        "O2_1.fq.gz",
        "gs://b/O2_2.fq.gz",
        "o",
    ]
    for q in queries:
        page = listed(reader, q)
        assert NO_MATCH in page and "/projects/other" not in page, q
    stranger = signed_in(api, "stranger")
    for q in [site.samples[0], "S1", "S1_1.fq.gz", "1", "s"]:
        page = listed(stranger, q)
        assert NO_MATCH in page and "/projects/proj" not in page, q
    signed_out = browser(api).get("/search", params={"q": "S1"}, follow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/signin?next=")


def test_the_search_box_is_in_every_signed_in_pages_header(site: Site) -> None:
    reader = signed_in(site.api, "reader")
    for path in ("/", "/projects/proj", f"/projects/proj/samples/{site.samples[0]}", "/search?q=zzz"):
        page = reader.get(path).text
        form = page.split('<form role="search"', 1)[1].split("</form>", 1)[0]
        assert 'action="/search"' in form and 'method="get"' in form
        assert '<label for="site-search">Search</label>' in form and 'id="site-search"' in form
        assert 'name="q"' in form
    assert 'role="search"' not in browser(site.api).get("/signin").text


def test_search_costs_a_fixed_number_of_statements(api: Api) -> None:
    site = build_site(api, n=3)
    reader = signed_in(api, "reader")
    queries = ["S2", "S2_1.fq.gz", site.samples[1], "1", "s", "zzz"]

    def statements() -> list[int]:
        counts = []
        for q in queries:
            seen: list[str] = []

            def count(*args: object, seen: list[str] = seen) -> None:
                seen.append(str(args[2]))

            sa.event.listen(api.svc.db.engine, "before_cursor_execute", count)
            try:
                assert reader.get("/search", params={"q": q}).status_code == 200, q
            finally:
                sa.event.remove(api.svc.db.engine, "before_cursor_execute", count)
            counts.append(len(seen))
        return counts

    few = statements()
    more = [{"external_ids": {"": f"Q{i}"}, "samples": [sample_with_group(f"T{i}")]} for i in range(40)]
    api.ok("PUT", "/participant/proj/upsert-many", json=more)
    assert statements() == few
