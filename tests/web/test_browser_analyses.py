"""The analyses list and the analysis-runner runs in a real browser against the demo's server: filter the
demo project's analyses by status, open one, then open the runs page and the demo's run with its log.

Each test saves a screenshot under ``test-artifacts/web/``."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.browser import PROJECT, shot, sign_in

pytestmark = pytest.mark.slow


def test_filter_the_analyses_and_open_one(page: Any, demo_server: tuple[str, dict[str, str]]) -> None:
    _, tokens = demo_server
    sign_in(page, tokens["demo-tester"])
    page.goto(f"/projects/{PROJECT}")
    page.locator(".project-links").get_by_role("link", name="Analyses").click()
    page.wait_for_url(f"**/projects/{PROJECT}/analyses")
    rows = page.locator("#analyses tbody tr")
    assert rows.count() >= 10  # a FastQE report per sequencing group
    page.get_by_label("Status").select_option("completed")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**status=completed**")
    assert "sg=" not in page.url and "from=" not in page.url  # empty filters stay out (web.js)
    assert rows.count() >= 1
    statuses = page.locator("#analyses tbody tr td:nth-child(3)").all_inner_texts()
    assert statuses and all(s == "completed" for s in statuses), statuses
    summary = page.locator("#analyses-summary").inner_text()
    assert summary.startswith(f"Rows 1–{rows.count()} of {rows.count()}"), summary
    assert page.locator("#analyses a.display-link").count() == rows.count()
    shot(page, "analyses-completed")
    first = rows.first.locator("td a").first
    analysis_id = first.inner_text()
    first.click()
    page.wait_for_url(f"**/analyses/{analysis_id}")
    assert f"Analysis {analysis_id}" in page.locator("h1").inner_text()
    assert "fastqe_analysis.py" in page.locator("#run").inner_text()
    shot(page, "analysis-from-list")


def test_the_runs_and_the_demo_run_with_its_log(page: Any, demo_server: tuple[str, dict[str, str]]) -> None:
    _, tokens = demo_server
    sign_in(page, tokens["demo-tester"])
    page.goto(f"/projects/{PROJECT}/runs")
    runs = page.locator("#runs tbody tr")
    assert runs.count() >= 1
    demo_run = runs.filter(has_text="fastqe_analysis.py").first
    text = demo_run.inner_text()
    assert "demo-tester" in text and "succeeded" in text and "test" in text
    analyses = demo_run.locator("td").nth(9).inner_text()
    assert int(analyses) >= 10
    shot(page, "runs")
    demo_run.locator("td a").first.click()
    page.wait_for_url(f"**/projects/{PROJECT}/runs/*")
    facts = page.locator("#run").inner_text()
    assert "demo-tester" in facts and "fastqe_analysis.py" in facts and ".toml" in facts
    assert page.locator("#run-analyses tbody tr").count() == int(analyses)
    log = page.locator("#run-log")
    assert log.count() == 1 and log.inner_text().strip(), "the driver's log is shown"
    assert page.locator("#log-missing").count() == 0
    shot(page, "run")
    # from the run's analyses back to the list, filtered by the run
    page.goto(page.url.replace("/runs/", "/analyses?active=all&ar_guid="))
    assert page.locator("#analyses tbody tr").count() == int(analyses)
