"""The sample page (participant, read files, sequencing groups and analyses, history) and the analysis
page (sequencing groups, display link, analysis-runner provenance)."""

from __future__ import annotations

import re

from tests.metadata.support import sample_with_group
from tests.web.support import RUN, Site, signed_in


def section(html: str, heading_id: str) -> str:
    return html.split(f'id="{heading_id}"', 1)[1].split("</section>", 1)[0]


def test_the_sample_page(site: Site) -> None:
    reader = signed_in(site.api, "reader")
    s1, g1 = site.samples[0], site.groups[0]
    site.api.ok("PATCH", f"/sample/{s1}", json={"meta": {"batch": 7}})  # a change for the history
    page = reader.get(f"/projects/proj/samples/{s1}")
    assert page.status_code == 200
    assert f"<h1>Sample {s1} <span" in page.text and "S1" in page.text
    assert "<dt>meta.batch</dt><dd>7</dd>" in page.text
    participant = section(page.text, "participant-heading")
    assert "P1" in participant and "<dd>female</dd>" in participant and "<dd>c1</dd>" in participant
    files = section(page.text, "assays-heading")
    assert files.count("<tr><td>S1_") == 2 and "S1_1.fq.gz" in files
    assert "1.5 MB" in files and f"md5:01{0:030d}" in files and "gs://b/S1_2.fq.gz" in files
    groups = section(page.text, "groups-heading")
    assert f'id="sg-{g1}"' in groups and "genome · short-read · illumina" in groups
    assert f'href="/projects/proj/analyses/{site.analysis}"' in groups
    assert 'class="display-link" href="http://127.0.0.1:8000/web/proj/qc/S1.html"' in groups
    assert "completed" in groups
    history = section(page.text, "history-heading")
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>", history, re.S)
    whats = [what for _, _, what in rows]
    assert whats[0] == f"update sample {s1}"  # newest first
    assert f"create sample {s1}" in whats and f"create sequencing group {g1}" in whats
    assert any(w.startswith("create assay") for w in whats) and "create participant 1" in whats
    assert all(who == "admin" and when.endswith(" UTC") for when, who, _ in rows)
    update = history.split("</thead>", 1)[1].split("</tr>", 1)[0]
    assert "<code>meta</code>: <del>{&#34;batch&#34;:2,&#34;site&#34;:&#34;north&#34;}</del>" in update
    assert "→ <ins>{&#34;batch&#34;:7,&#34;site&#34;:&#34;north&#34;}</ins>" in update


def test_a_sample_of_another_project_or_a_bad_id(site: Site) -> None:
    reader = signed_in(site.api, "reader")
    other = site.api.ok("PUT", "/sample/proj-test/upsert-many", json=[sample_with_group("T1")])[0]["id"]
    assert reader.get(f"/projects/proj-test/samples/{other}").status_code == 200
    missing = reader.get(f"/projects/proj/samples/{other}")
    assert missing.status_code == 404 and "not found in project" in missing.text
    bad = reader.get("/projects/proj/samples/nonsense")
    assert bad.status_code == 400 and "text/html" in bad.headers["content-type"]
    assert reader.get("/projects/proj/analyses/abc").status_code == 404
    assert reader.get("/projects/proj/analyses/999").status_code == 404


def test_the_analysis_page_shows_its_provenance(site: Site) -> None:
    reader = signed_in(site.api, "reader")
    page = reader.get(f"/projects/proj/analyses/{site.analysis}")
    assert page.status_code == 200
    assert f"<h1>Analysis {site.analysis} <span" in page.text and "completed" in page.text
    assert f'href="/projects/proj/sequencing-groups/{site.groups[0]}"' in page.text
    assert f'href="/projects/proj/samples/{site.samples[0]}"' in page.text
    assert 'class="display-link" href="http://127.0.0.1:8000/web/proj/qc/S1.html"' in page.text
    run = section(page.text, "provenance-heading")
    for value in (RUN["ar_guid"], RUN["commit"], RUN["repository"], RUN["script"], RUN["driver_image"]):
        assert value in run, value
    assert RUN["config_path"] in run and "QC of everything" in run
    assert "/api/v1/analysis/proj/" in run  # the audit log's request


def test_an_analysis_without_a_run(site: Site) -> None:
    reader = signed_in(site.api, "reader")
    analysis = site.api.ok(
        "PUT",
        "/analysis/proj/",
        json={"type": "cram", "status": "queued", "sequencing_group_ids": [site.groups[1]]},
    )
    page = reader.get(f"/projects/proj/analyses/{analysis}")
    assert page.status_code == 200 and "Not linked to an analysis-runner run." in page.text
    site.api.ok("PATCH", f"/analysis/{analysis}/", json={"active": False})
    assert "(inactive)" in reader.get(f"/projects/proj/analyses/{analysis}").text


def test_display_links_are_only_web_addresses(site: Site) -> None:
    reader = signed_in(site.api, "reader")
    for url, linked in (
        ("javascript:alert(1)", False),
        (" JavaScript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("//evil.example/x", False),
        ("/web/proj/qc/S2.html", True),
        ("https://reports.example.org/S2.html", True),
    ):
        analysis = site.api.ok(
            "PUT",
            "/analysis/proj/",
            json={
                "type": "web",
                "status": "completed",
                "sequencing_group_ids": [site.groups[1]],
                "meta": {"display_url": url},
            },
        )
        for path in (f"/projects/proj/samples/{site.samples[1]}", f"/projects/proj/analyses/{analysis}"):
            page = reader.get(path).text
            assert ("<script>" not in page) and ("alert(1)</script>" not in page)
            links = re.findall(r'class="display-link" href="([^"]*)"', page)
            assert (url.strip() in links) == linked, (url, path, links)
            assert not any(link.lower().lstrip().startswith(("javascript", "data", "//")) for link in links)
        site.api.ok("PATCH", f"/analysis/{analysis}/", json={"active": False})


def test_the_participant_page(site: Site) -> None:
    reader = signed_in(site.api, "reader")
    grid = reader.get("/projects/proj").text
    link = re.search(r'<a href="(/projects/proj/participants/\d+)">P2</a>', grid)
    assert link, "the grid links each participant"
    page = reader.get(link.group(1))
    assert page.status_code == 200 and "<h1>Participant P2 <span" in page.text
    assert "<dd>male</dd>" in page.text and "<dt>meta.cohort</dt><dd>c2</dd>" in page.text
    samples = section(page.text, "samples-heading")
    assert f'href="/projects/proj/samples/{site.samples[1]}">{site.samples[1]}</a>' in samples
    assert f'href="/projects/proj/sequencing-groups/{site.groups[1]}"' in samples
    assert "create participant" in section(page.text, "history-heading")
    sample_page = reader.get(f"/projects/proj/samples/{site.samples[1]}").text
    assert f'href="{link.group(1)}">P2</a>' in sample_page
    assert signed_in(site.api, "stranger").get(link.group(1)).status_code == 404
    assert reader.get(link.group(1).replace("/proj/", "/proj-test/")).status_code == 404
    assert reader.get("/projects/proj/participants/x").status_code == 404
