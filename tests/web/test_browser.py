"""The web interface in a real browser (Debian's chromium driven by playwright) against a live
`genolog serve` with the demo's data: sign in with a token, open a project, filter, sort and export the
grid, open a sample and follow its analysis' display link, and be refused what one may not read.

Each test saves a screenshot under ``test-artifacts/web/`` (``$GENOLOG_TEST_ARTIFACTS`` to change it).
Every request the pages make must go to the server itself: no CDN.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from tests.web.browser import PROJECT, shot, sign_in

pytestmark = pytest.mark.slow


def test_sign_in_and_open_a_project(page: Any, demo_server: tuple[str, dict[str, str]]) -> None:
    _, tokens = demo_server
    sign_in(page, tokens["demo-tester"])
    assert "Signed in as demo-tester" in page.locator(".who").inner_text()
    card = page.locator(".project-card", has=page.get_by_role("link", name=PROJECT, exact=True))
    text = card.inner_text()
    assert "Samples\n10" in text.replace("\t", "\n") or "Samples 10" in text, text
    assert "10 genome" in text and "completed" in text
    assert page.get_by_role("link", name="GraphiQL").first.get_attribute("href") == "/graphql"
    shot(page, "home")
    card.get_by_role("link", name=PROJECT, exact=True).click()
    page.wait_for_url(f"**/projects/{PROJECT}")
    assert page.locator("#sample-grid tbody tr").count() == 10
    assert "Rows 1–10 of 10" in page.locator("#grid-summary").inner_text()
    shot(page, "project")


def test_filter_sort_and_export_the_grid(page: Any, demo_server: tuple[str, dict[str, str]]) -> None:
    _, tokens = demo_server
    sign_in(page, tokens["demo-tester"])
    page.goto(f"/projects/{PROJECT}")
    page.get_by_label("Filter External id").fill("demo0")
    page.get_by_label("Filter External id").press("Enter")
    page.wait_for_url("**f.external_id=demo0**")
    assert "f.participant" not in page.url  # empty filters stay out of the URL (web.js)
    rows = page.locator("#sample-grid tbody tr")
    assert rows.count() == 9  # DEMO01..DEMO09, not DEMO10
    page.locator('#sample-grid th a[data-sort="external_id"]').click()
    page.wait_for_url("**sort=external_id**")
    page.locator('#sample-grid th a[data-sort="external_id"]').click()  # again: descending
    page.wait_for_url("**desc=1**")
    assert page.locator("#sample-grid th[aria-sort=descending]").count() == 1
    assert rows.nth(0).locator("td").nth(1).inner_text() == "DEMO09-DNA"
    shot(page, "grid-filtered")
    with page.expect_download() as download_info:
        page.locator("#export-csv").click()
    download = download_info.value
    assert download.suggested_filename == f"{PROJECT}-samples.csv"
    exported = list(csv.DictReader(io.StringIO(Path(download.path()).read_text())))
    assert [r["External id"] for r in exported] == [f"DEMO{i:02d}-DNA" for i in range(9, 0, -1)]
    assert all(r["Sequencing groups"] == "1 genome" for r in exported)


def test_open_a_sample_and_its_analysis_display_link(
    page: Any, demo_server: tuple[str, dict[str, str]]
) -> None:
    _, tokens = demo_server
    sign_in(page, tokens["demo-tester"])
    page.goto(f"/projects/{PROJECT}?f.external_id==DEMO01-DNA")
    page.locator("#sample-grid tbody tr").first.get_by_role("link").first.click()
    page.wait_for_url("**/samples/XPG*")
    assert "DEMO01-DNA" in page.locator("h1").inner_text()
    files = page.locator("table.files tbody tr")
    assert files.count() == 2
    assert "DEMO01-DNA_R1.fastq.gz" in files.nth(0).inner_text() and "md5:" in files.nth(0).inner_text()
    assert "kB" in files.nth(0).inner_text()
    assert page.locator("#history tbody tr").count() >= 4  # participant, sample, assay, group created
    shot(page, "sample")
    page.locator("table.analyses a", has_text="open report").first.click()
    page.wait_for_load_state("load")
    assert "/web/sandbox-test/fastqe/CPG" in page.url
    assert page.title() == "FASTQE report"  # served from the web storage to the signed-in browser
    shot(page, "display-link")
    page.go_back()
    page.locator("table.analyses tbody tr").first.locator("td a").first.click()
    page.wait_for_url("**/analyses/*")
    provenance = page.locator("#run").inner_text()
    assert "demo-tester" in provenance and "fastqe_analysis.py" in provenance and "succeeded" in provenance
    shot(page, "analysis")


def test_bad_tokens_and_other_peoples_projects_are_refused(
    page: Any, demo_server: tuple[str, dict[str, str]]
) -> None:
    _, tokens = demo_server
    page.goto("/signin")
    page.get_by_label("API token").fill("not-a-real-token")
    with page.expect_response("**/signin") as answer:
        page.get_by_role("button", name="Sign in").click()
    assert answer.value.status == 401
    assert page.get_by_role("alert").inner_text() == "That API token is unknown or revoked."
    shot(page, "bad-token")
    sign_in(page, tokens["outsider"])
    assert "You have no role on any project" in page.locator("main").inner_text()
    response = page.goto(f"/projects/{PROJECT}")
    assert response is not None and response.status == 404
    assert "not found" in page.get_by_role("alert").inner_text()
    shot(page, "not-a-member")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/signin")
    page.goto("/")
    assert page.url.endswith("/signin?next=%2F")  # signed out: the session is gone
