"""The sequencing-group page, the families list, the family page and its pedigree chart (SVG)."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from genolog.web import families
from genolog.web.pedigree_svg import AFFECTED_FILL, OPEN_FILL, SIZE, Person, layout, pedigree_svg
from tests.metadata.support import Api, sample_with_group
from tests.web.support import Site, build_site, signed_in
from tests.web.test_entity_pages import section

SVG = "{http://www.w3.org/2000/svg}"
TRIO = "F1\tP1\tP2\tP3\t2\t2\nF1\tP2\t0\t0\t1\t1\nF1\tP3\t0\t0\t2\t1\n"
# three generations: grandparents G1 x G2; their son S1 married to W1 (a founder married in), daughter D1;
# grandchildren K1 (affected) and K2 (unknown sex, unknown affection); M1 a mother alone with her child C1
THREE_GENERATIONS = """\
F2 G1 0 0 1 1
F2 G2 0 0 2 1
F2 S1 G1 G2 1 1
F2 D1 G1 G2 2 1
F2 W1 0 0 2 1
F2 K1 S1 W1 1 2
F2 K2 S1 W1 0 0
F2 M1 0 0 2 1
F2 C1 0 M1 2 2
"""


def import_pedigree(api: Api, text: str, project: str = "proj") -> None:
    api.ok(
        "POST",
        f"/family/{project}/pedigree",
        params={"create_missing_participants": True},
        files={"file": ("family.ped", text)},
    )


def family_id(api: Api, name: str, project: str = "proj") -> int:
    [found] = [f for f in api.ok("GET", f"/family/{project}/") if f["external_ids"][""] == name]
    return int(found["id"])


def svg_of(html: str) -> ET.Element:
    """The family page's inline chart, parsed as XML (so it must be well formed)."""
    match = re.search(r"<svg .*?</svg>", html, re.S)
    assert match, "the page has no SVG"
    return ET.fromstring(match.group(0))


def people(svg: ET.Element) -> dict[str, ET.Element]:
    """Label -> the person's link (a shape, its ``?`` if any and its label)."""
    found = {}
    for link in svg.iter(f"{SVG}a"):
        label = link.find(f"{SVG}text[@class='label']")
        assert label is not None and label.text
        found[label.text] = link
    return found


def shape(link: ET.Element) -> ET.Element:
    [found] = [e for e in link if e.tag in (f"{SVG}rect", f"{SVG}circle", f"{SVG}polygon")]
    return found


def centre(link: ET.Element) -> tuple[float, float]:
    s = shape(link)
    if s.tag == f"{SVG}rect":
        return float(s.get("x", 0)) + SIZE / 2, float(s.get("y", 0)) + SIZE / 2
    if s.tag == f"{SVG}circle":
        return float(s.get("cx", 0)), float(s.get("cy", 0))
    xs = [float(p.split(",")[0]) for p in s.get("points", "").split()]
    ys = [float(p.split(",")[1]) for p in s.get("points", "").split()]
    return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2


def lines(svg: ET.Element, kind: str) -> list[tuple[float, float, float, float]]:
    return [
        (float(e.get("x1", 0)), float(e.get("y1", 0)), float(e.get("x2", 0)), float(e.get("y2", 0)))
        for e in svg.iter(f"{SVG}line")
        if e.get("class") == kind
    ]


def statements(client: TestClient, api: Api, path: str) -> int:
    seen: list[str] = []

    def count(*args: object) -> None:
        seen.append(str(args[2]))

    sa.event.listen(api.svc.db.engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200, path
    finally:
        sa.event.remove(api.svc.db.engine, "before_cursor_execute", count)
    return len(seen)


def test_the_sequencing_group_page(site: Site) -> None:
    reader = signed_in(site.api, "reader")
    s1, g1 = site.samples[0], site.groups[0]
    old = site.api.ok(
        "PUT", "/analysis/proj/", json={"type": "cram", "status": "failed", "sequencing_group_ids": [g1]}
    )
    site.api.ok("PATCH", f"/analysis/{old}/", json={"active": False})
    page = reader.get(f"/projects/proj/sequencing-groups/{g1}")
    assert page.status_code == 200
    assert f"<h1>Sequencing group {g1} <span" in page.text
    facts = page.text.split('id="sg-facts"', 1)[1].split("</dl>", 1)[0]
    assert "<dt>Technology</dt><dd>short-read</dd>" in facts and "<dt>Platform</dt><dd>illumina</dd>" in facts
    assert "<dt>Archived</dt><dd>no</dd>" in facts
    assert f'<a href="/projects/proj/samples/{s1}">{s1}</a>' in facts
    assert re.search(r'<a href="/projects/proj/participants/\d+">P1</a>', facts)
    files = section(page.text, "assays-heading")
    assert files.count("<tr><td>S1_") == 2 and "1.5 MB" in files and f"md5:01{0:030d}" in files
    analyses = section(page.text, "analyses-heading")
    assert f'href="/projects/proj/analyses/{site.analysis}"' in analyses
    assert f'href="/projects/proj/analyses/{old}">{old}</a> (inactive)' in analyses
    assert 'class="display-link" href="http://127.0.0.1:8000/web/proj/qc/S1.html"' in analyses
    assert "st-failed" in analyses and "st-completed" in analyses
    history = section(page.text, "history-heading")
    assert f"create sequencing group {g1}" in history and "create assay" in history
    assert f"update analysis {old}" in history and "<code>active</code>" in history
    assert "<td>admin</td>" in history

    # linked from the sample, participant and analysis pages
    target = f'href="/projects/proj/sequencing-groups/{g1}"'
    assert target in reader.get(f"/projects/proj/samples/{s1}").text
    assert target in reader.get(f"/projects/proj/analyses/{site.analysis}").text
    participant = re.search(r'href="(/projects/proj/participants/\d+)"', facts)
    assert participant and target in reader.get(participant.group(1)).text


def test_sequencing_group_page_errors(site: Site) -> None:
    reader = signed_in(site.api, "reader")
    other = site.api.ok("PUT", "/sample/other/upsert-many", json=[sample_with_group("O2")])[0]
    other_group = other["sequencing_groups"][0]["id"]
    missing = reader.get(f"/projects/proj/sequencing-groups/{other_group}")
    assert missing.status_code == 404 and "not found in project" in missing.text
    bad = reader.get("/projects/proj/sequencing-groups/nonsense")
    assert bad.status_code == 400 and "text/html" in bad.headers["content-type"]
    assert (
        signed_in(site.api, "stranger").get(f"/projects/proj/sequencing-groups/{site.groups[0]}").status_code
        == 404
    )


def test_the_family_page_lists_its_members_with_their_roles(site: Site) -> None:
    reader = signed_in(site.api, "reader")
    import_pedigree(site.api, TRIO)
    fid = family_id(site.api, "F1")
    site.api.ok(
        "POST", "/family/", json={"id": fid, "description": "a trio", "coded_phenotype": "HP:0001250"}
    )
    project = reader.get("/projects/proj").text
    assert 'href="/projects/proj/families"' in project
    listing = reader.get("/projects/proj/families")
    assert listing.status_code == 200
    row = listing.text.split(f'href="/projects/proj/families/{fid}">F1</a>', 1)[1].split("</tr>", 1)[0]
    assert "a trio" in row and "HP:0001250" in row and '<td class="num">3</td><td class="num">1</td>' in row

    page = reader.get(f"/projects/proj/families/{fid}")
    assert page.status_code == 200 and "<h1>Family F1 <span" in page.text
    assert "<dt>Description</dt><dd>a trio</dd>" in page.text and "HP:0001250" in page.text
    ids = {
        name: int(i)
        for i, name in re.findall(r'<a href="/projects/proj/participants/(\d+)">(P\d)</a>', page.text)
    }
    members = section(page.text, "members-heading")
    rows = re.findall(r"<tr>(.*?)</tr>", members.split("<tbody>", 1)[1], re.S)
    assert [re.search(r">(P\d)</a>", r).group(1) for r in rows] == ["P2", "P3", "P1"]  # type: ignore[union-attr]
    child = rows[2]
    assert f'<a href="/projects/proj/participants/{ids["P2"]}">P2</a>' in child
    assert f'<a href="/projects/proj/participants/{ids["P3"]}">P3</a>' in child
    assert "<td>female</td>" in child and "<td>affected</td>" in child
    assert "<td>male</td>" in rows[0] and "<td>unaffected</td>" in rows[0]
    history = section(page.text, "history-heading")
    assert f"update family {'F1'}" in history and "create family F1" in history
    assert "a trio" in history

    participant = reader.get(f"/projects/proj/participants/{ids['P1']}").text
    assert f'<a href="/projects/proj/families/{fid}">F1</a>' in participant


def test_the_trio_chart(site: Site) -> None:
    reader = signed_in(site.api, "reader")
    import_pedigree(site.api, TRIO)
    fid = family_id(site.api, "F1")
    svg = svg_of(reader.get(f"/projects/proj/families/{fid}").text)
    assert svg.get("role") == "img" and "3 people in 2 generation(s), 1 affected" in (
        svg.get("aria-label") or ""
    )
    assert svg.findtext(f"{SVG}title") == "Pedigree of family F1"
    chart = svg.find(f"{SVG}g[@class='people']")
    assert chart is not None
    assert len(list(chart.iter(f"{SVG}rect"))) == 1 and len(list(chart.iter(f"{SVG}circle"))) == 2
    who = people(svg)
    assert shape(who["P2"]).tag == f"{SVG}rect" and shape(who["P1"]).tag == f"{SVG}circle"
    assert shape(who["P1"]).get("fill") == AFFECTED_FILL
    assert shape(who["P2"]).get("fill") == shape(who["P3"]).get("fill") == OPEN_FILL
    assert all(
        re.fullmatch(r"/projects/proj/participants/\d+", link.get("href") or "") for link in who.values()
    )
    assert "P1: female, affected" in (who["P1"].findtext(f"{SVG}title") or "")
    (dad_x, dad_y), (mum_x, mum_y), (kid_x, kid_y) = centre(who["P2"]), centre(who["P3"]), centre(who["P1"])
    assert dad_y == mum_y < kid_y and dad_x < mum_x  # one row for the parents, the male on the left
    [(x1, y1, x2, y2)] = lines(svg, "mating")
    assert (y1, y2) == (dad_y, mum_y) and x1 == dad_x + SIZE / 2 and x2 == mum_x - SIZE / 2
    [(dx, dy1, _, dy2)] = lines(svg, "descent")
    assert dx == (dad_x + mum_x) / 2 == kid_x and dy1 == dad_y  # from the mating line's middle
    [(cx, cy1, _, cy2)] = lines(svg, "child")
    assert cx == kid_x and cy2 == kid_y - SIZE / 2 and cy1 == dy2
    legend = svg.find(f"{SVG}g[@class='legend']")
    assert legend is not None and "affected (filled)" in "".join(legend.itertext())
    standalone = reader.get(f"/projects/proj/families/{fid}/pedigree.svg")
    assert standalone.headers["content-type"].startswith("image/svg+xml")
    assert len(people(ET.fromstring(standalone.content))) == 3


def test_three_generations_a_single_parent_and_unknown_sex(site: Site) -> None:
    reader = signed_in(site.api, "reader")
    import_pedigree(site.api, THREE_GENERATIONS)
    page = reader.get(f"/projects/proj/families/{family_id(site.api, 'F2')}")
    svg = svg_of(page.text)
    who = people(svg)
    assert sorted(who) == ["C1", "D1", "G1", "G2", "K1", "K2", "M1", "S1", "W1"]
    rows = {name: centre(link)[1] for name, link in who.items()}
    assert (
        rows["G1"]
        == rows["G2"]
        == rows["M1"]
        < rows["S1"]
        == rows["D1"]
        == rows["W1"]
        == rows["C1"]
        < rows["K1"]
    )
    assert rows["K1"] == rows["K2"]
    assert abs(centre(who["S1"])[0] - centre(who["W1"])[0]) == SIZE + 30  # the married-in wife beside him
    assert shape(who["K2"]).tag == f"{SVG}polygon" and "?" in "".join(who["K2"].itertext())
    assert shape(who["K1"]).get("fill") == AFFECTED_FILL and shape(who["C1"]).get("fill") == AFFECTED_FILL
    assert len(lines(svg, "mating")) == 2  # G1 x G2, S1 x W1; M1 has no partner
    assert len(lines(svg, "descent")) == 3 and len(lines(svg, "child")) == 5
    m1_x, m1_y = centre(who["M1"])
    assert (m1_x, m1_y + SIZE / 2) in [(x1, y1) for x1, y1, _, _ in lines(svg, "descent")]  # from her, alone
    for row in set(rows.values()):  # no two shapes of a row overlap
        xs = sorted(centre(link)[0] for name, link in who.items() if rows[name] == row)
        assert all(b - a >= SIZE for a, b in itertools.pairwise(xs))
    assert "9 people in 3 generation(s), 2 affected" in (svg.get("aria-label") or "")


def test_odd_pedigrees_are_drawn_without_failing() -> None:
    # a man with two partners, a child whose father is not a member, a cycle, names to escape
    two_partners = [
        Person(1, "A", 1, 1),
        Person(2, "B", 2, 1),
        Person(3, "C", 2, 1),
        Person(4, "AB", 1, 2, father=1, mother=2),
        Person(5, "AC", 2, 1, father=1, mother=3),
        Person(6, "<script>&amp;", 0, None, father=99, mother=3),
    ]
    svg = ET.fromstring(pedigree_svg(two_partners, "t <&>", lambda p: f"/p/{p.id}?a=1&b=2"))
    assert len(lines(svg, "mating")) == 2 and svg.findtext(f"{SVG}title") == "t <&>"
    assert "<script>&amp;" in people(svg) and people(svg)["AB"].get("href") == "/p/4?a=1&b=2"
    at = layout(two_partners)
    assert at.x[2] < at.x[1] < at.x[3] or at.x[3] < at.x[1] < at.x[2]  # between his partners
    cycle = [Person(1, "a", 1, 1, father=2), Person(2, "b", 1, 1, father=1)]
    assert len(people(ET.fromstring(pedigree_svg(cycle, "c", lambda p: "/")))) == 2
    assert ET.fromstring(pedigree_svg([], "empty", lambda p: "/")).get("role") == "img"


def test_family_pages_are_only_for_readers_and_cost_fixed_statements(api: Api) -> None:
    site = build_site(api, n=3)
    import_pedigree(api, TRIO)
    fid = family_id(api, "F1")
    stranger = signed_in(api, "stranger")
    for path in (
        "/projects/proj/families",
        f"/projects/proj/families/{fid}",
        f"/projects/proj/families/{fid}/pedigree.svg",
    ):
        assert stranger.get(path).status_code == 404, path
    reader = signed_in(api, "reader")
    assert reader.get(f"/projects/other/families/{fid}").status_code == 404
    assert reader.get("/projects/proj/families/x").status_code == 404
    assert reader.get("/projects/proj/families/99999").status_code == 404
    import_pedigree(api, "O1\tQ1\t0\t0\t1\t1\n", project="other")
    assert reader.get(f"/projects/proj/families/{family_id(api, 'O1', 'other')}").status_code == 404

    paths = [
        "/projects/proj/families",
        f"/projects/proj/families/{fid}",
        f"/projects/proj/families/{fid}/pedigree.svg",
        f"/projects/proj/sequencing-groups/{site.groups[0]}",
    ]
    few = [statements(reader, api, path) for path in paths]
    more = [
        {"external_ids": {"": f"Q{i}"}, "samples": [{"external_ids": {"": f"T{i}"}, "type": "blood"}]}
        for i in range(40)
    ]
    api.ok("PUT", "/participant/proj/upsert-many", json=more)
    import_pedigree(api, "".join(f"F9\tQ{i}\t0\t0\t1\t1\n" for i in range(20)))
    many = [statements(reader, api, path) for path in paths]
    assert few == many, (few, many)


def test_the_families_list_pages(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(families, "FAMILIES_PER_PAGE", 1)
    import_pedigree(site.api, TRIO + "F0\tLONE\t0\t0\t0\t0\n")
    reader = signed_in(site.api, "reader")
    first = reader.get("/projects/proj/families")
    assert "2 families, page 1 of 2" in first.text and first.text.count('href="/projects/proj/families/') == 1
    assert 'rel="next" href="/projects/proj/families?page=2"' in first.text
    second = reader.get("/projects/proj/families?page=2").text
    assert 'rel="prev"' in second and second.count('href="/projects/proj/families/') == 1
    assert "No families on this page" in reader.get("/projects/proj/families?page=9").text
    assert "page 1 of 2" in reader.get("/projects/proj/families?page=x").text
