"""The search box and the grid's column chooser in a real browser (Debian's chromium driven by playwright)
against the live demo server: find a sample by its external id and by a read file's name, be told when
nothing matches, and hide a column of the grid before exporting it."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from tests.web.browser import PROJECT, shot, sign_in

pytestmark = pytest.mark.slow


def labels(headers: Any) -> list[str]:
    """The grid's column labels, without the sort arrow."""
    return [h.replace("▲", "").replace("▼", "").strip() for h in headers.all_inner_texts()]


def search(page: Any, text: str) -> None:
    box = page.get_by_role("search").get_by_label("Search")
    box.fill(text)
    box.press("Enter")


def test_search_by_external_id_file_name_and_nothing(
    page: Any, demo_server: tuple[str, dict[str, str]]
) -> None:
    _, tokens = demo_server
    sign_in(page, tokens["demo-tester"])
    search(page, "DEMO03-DNA")
    page.wait_for_url(f"**/projects/{PROJECT}/samples/XPG*")
    assert "DEMO03-DNA" in page.locator("h1").inner_text()
    shot(page, "search-external-id")

    search(page, "DEMO01-DNA_R1.fastq.gz")
    page.wait_for_url(f"**/projects/{PROJECT}/samples/XPG*")
    assert "DEMO01-DNA" in page.locator("h1").inner_text()
    assert page.locator("table.files").get_by_text("DEMO01-DNA_R1.fastq.gz").count() >= 1

    search(page, "DEMO1")  # no exact match: the external ids containing it
    page.wait_for_url("**/search?q=DEMO1")
    assert "No id, external id or read file matches" in page.locator("#search-summary").inner_text()
    near = page.locator("table.search-hits tbody tr")
    assert near.count() >= 1 and "DEMO10" in near.first.inner_text()
    assert page.get_by_role("search").get_by_label("Search").input_value() == "DEMO1"
    shot(page, "search-near")

    search(page, "1")  # participant 1 and analysis 1: listed by kind, each linking to its page
    page.wait_for_url("**/search?q=1")
    assert page.get_by_role("heading", name="Participants").count() == 1
    assert page.get_by_role("heading", name="Analyses").count() == 1
    shot(page, "search-several")
    page.get_by_role("region", name="Analyses").get_by_role("link", name="1", exact=True).click()
    page.wait_for_url(f"**/projects/{PROJECT}/analyses/1")
    shot(page, "search-then-analysis")

    search(page, "<nothing-like-this>")
    page.wait_for_url("**/search?q=*")
    summary = page.locator("#search-summary").inner_text()
    assert "No id, external id or read file matches" in summary and "<nothing-like-this>" in summary
    assert page.locator("table.search-hits").count() == 0
    shot(page, "search-nothing")


def test_an_outsider_finds_nothing(page: Any, demo_server: tuple[str, dict[str, str]]) -> None:
    _, tokens = demo_server
    sign_in(page, tokens["outsider"])
    search(page, "DEMO03-DNA")
    page.wait_for_url("**/search?q=DEMO03-DNA")
    assert "No id, external id or read file matches" in page.locator("#search-summary").inner_text()
    assert page.locator("table.search-hits").count() == 0
    shot(page, "search-outsider")


def test_hide_a_column_and_export(page: Any, demo_server: tuple[str, dict[str, str]]) -> None:
    _, tokens = demo_server
    sign_in(page, tokens["demo-tester"])
    page.goto(f"/projects/{PROJECT}")
    headers = page.locator("#sample-grid thead tr").first.locator("th")
    before = labels(headers)
    assert "Type" in before and "Created" in before
    page.locator("#column-chooser summary").click()
    chooser = page.get_by_role("group", name="Columns to show")
    chooser.get_by_label("Type", exact=True).uncheck()
    chooser.get_by_label("Created", exact=True).uncheck()
    shot(page, "column-chooser")
    chooser.get_by_role("button", name="Show these columns").click()
    page.wait_for_url("**cols=**")
    after = labels(headers)
    assert after == [h for h in before if h not in ("Type", "Created")]
    assert "cols=type" not in page.url and "cols=external_id" in page.url
    shot(page, "grid-columns-chosen")
    with page.expect_download() as download_info:
        page.locator("#export-csv").click()
    exported = list(csv.reader(io.StringIO(Path(download_info.value.path()).read_text())))
    assert exported[0] == after and len(exported) == 11  # the header and the project's ten samples
    # the chooser's choice survives filtering (the same GET form), and the reset link restores every column
    page.get_by_label("Filter External id").fill("DEMO0")
    page.get_by_label("Filter External id").press("Enter")
    page.wait_for_url("**f.external_id=DEMO0**")
    assert labels(headers) == after
    assert page.locator("#column-chooser").get_attribute("open") is not None  # a chosen view shows its choice
    page.get_by_role("link", name="Reset to the default columns").click()
    page.wait_for_url(lambda url: "cols=" not in url)
    assert labels(headers) == before
    # ticking every column again needs no cols in the URL (web.js)
    page.goto(f"/projects/{PROJECT}?cols=sample")  # a chosen view opens the chooser
    assert labels(headers) == ["Sample"]
    for box in page.get_by_role("group", name="Columns to show").get_by_role("checkbox").all():
        if box.is_enabled():
            box.check()
    page.get_by_role("button", name="Show these columns").click()
    page.wait_for_url(lambda url: "cols=" not in url)
    assert labels(headers) == before
