"""Cohort QC in a real browser against the demo: the heat map of the demo's ten sequencing groups, its
two poor samples and its mid-read dip flagged, and a row's link to its FastQE report."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.browser import PROJECT, shot, sign_in

pytestmark = pytest.mark.slow


def test_cohort_qc_of_the_demo(page: Any, demo_server: tuple[str, dict[str, str]]) -> None:
    _, tokens = demo_server
    sign_in(page, tokens["demo-tester"])
    page.goto(f"/projects/{PROJECT}")
    page.locator("#cohort-qc-link").click()
    page.wait_for_url(f"**/projects/{PROJECT}/qc")
    assert page.locator("h1").inner_text().startswith("Cohort QC")
    rows = page.locator("#qc-heatmap tbody tr")
    assert rows.count() == 10
    # every row is drawn: 150 positions, 50 columns of 3 per read, R1 and R2
    assert page.locator("#qc-heatmap tbody svg.qc-row").count() == 10
    assert rows.nth(0).locator("rect").count() == 100
    assert page.locator("svg.qc-legend rect").count() == 9
    flagged = page.locator("#qc-flagged li")
    assert flagged.count() == 3
    text = page.locator("#qc-flagged").inner_text()
    for sample in ("DEMO04-DNA", "DEMO09-DNA"):  # the two poor samples
        line = next(flagged.nth(i).inner_text() for i in range(3) if sample in flagged.nth(i).inner_text())
        assert "mean quality" in line and "below the cohort median" in line, line
    assert "DEMO07-DNA" in text and "mid-read dip" in text  # the bubble at positions 61-80
    outliers = page.locator("#qc-heatmap tbody tr.qc-outlier")
    assert outliers.count() == 3 and "⚠ outlier" in outliers.nth(0).inner_text()
    assert "DEMO01-DNA" not in text
    shot(page, "cohort-qc")

    dip_row = page.locator("#qc-heatmap tbody tr", has_text="DEMO07-DNA")
    assert dip_row.locator('rect[stroke="#d00"]').count() == 1
    dip_row.locator("a.qc-report").click()
    page.wait_for_load_state("load")
    assert "/web/sandbox-test/fastqe/CPG" in page.url and page.title() == "FASTQE report"
    shot(page, "cohort-qc-report")
    page.go_back()
    page.locator("#qc-heatmap tbody tr", has_text="DEMO07-DNA").locator("a.qc-analysis").click()
    page.wait_for_url("**/analyses/*")
    meta = page.locator("details pre").first.text_content() or ""
    assert '"mean_quality_by_position"' in meta and '"dip_read": "R1"' in meta
    shot(page, "cohort-qc-analysis")
