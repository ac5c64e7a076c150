"""The HTML report in a real browser: Debian's chromium, driven by playwright, with the network watched.

CI installs chromium and chromium-driver (.ci/run); elsewhere the test skips when they are missing.
Playwright never downloads a browser here: the session's `browser` (tests/web/browser.py) is
/usr/bin/chromium.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from genolog.qc.emoji import default_table
from genolog.qc.html import render_report
from genolog.qc.report import analyse
from tests.qc.qc_helpers import random_records

ROOT = Path(__file__).resolve().parents[2]


def test_report_renders_offline_with_tooltips(browser: Any, tmp_path: Path) -> None:
    r1 = tmp_path / "sample_R1.fastq"
    r2 = tmp_path / "sample_R2.fastq"
    for path, seed in ((r1, 21), (r2, 22)):
        path.write_text(
            "".join(f"@{n}\n{s}\n+\n{q}\n" for n, s, q in random_records(seed=seed, n=200, lengths=(60, 80)))
        )
    stats = [analyse(str(r1)), analyse(str(r2))]
    report = tmp_path / "report.html"
    report.write_text(render_report(stats, default_table()), encoding="utf-8")
    positions = len(stats[0].coverage)

    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    requests: list[str] = []
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    try:
        page.on("request", lambda req: requests.append(req.url))
        page.goto(report.as_uri(), wait_until="load")

        rows = page.locator(".emoji-row")
        assert rows.count() == 2
        first_row = rows.nth(0).locator(".pos")
        assert first_row.count() == positions
        assert first_row.nth(0).is_visible()
        box = first_row.nth(0).bounding_box()
        assert box is not None and box["width"] > 5 and box["height"] > 5  # the emoji has a glyph box

        tooltip = page.locator("#tooltip")
        assert not tooltip.is_visible()
        first_row.nth(2).hover()
        tooltip.wait_for(state="visible", timeout=5000)
        text = tooltip.inner_text()
        assert "Pos: 3" in text and "Max:" in text and "Mean:" in text and "Min:" in text
        expected_mean = default_table().symbol(int(stats[0].mean_rounded[2]))
        assert f"Mean: {expected_mean}" in text
        page.screenshot(path=str(artifacts / "qc-report.png"), full_page=True)

        page.mouse.move(0, 0)
        tooltip.wait_for(state="hidden", timeout=5000)
        page.locator(".label").first.focus()  # the file tag tooltip, by keyboard
        tooltip.wait_for(state="visible", timeout=5000)
        assert "Sequences: 200" in tooltip.inner_text()
        assert page.locator("#summary tbody tr").count() == 2
        assert page.locator("svg.plot polyline.mean").count() == 2
    finally:
        page.close()

    assert requests == [report.as_uri()], f"the report made network requests: {requests}"
    assert (artifacts / "qc-report.png").stat().st_size > 10_000
