"""The family page's pedigree chart and the sequencing-group page in a real browser, on the demo's data
(its trio and three-generation family)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.browser import PROJECT, shot, sign_in

pytestmark = pytest.mark.slow


def test_a_family_and_its_pedigree_chart(page: Any, demo_server: tuple[str, dict[str, str]]) -> None:
    _, tokens = demo_server
    sign_in(page, tokens["demo-tester"])
    page.goto(f"/projects/{PROJECT}")
    page.locator("#families-link").click()
    page.wait_for_url(f"**/projects/{PROJECT}/families")
    assert page.locator("#families tbody tr").count() == 2
    shot(page, "families")
    page.get_by_role("link", name="DEMO-KINDRED", exact=True).click()
    page.wait_for_url(f"**/projects/{PROJECT}/families/*")
    chart = page.locator("svg.pedigree")
    assert chart.is_visible()
    label = chart.get_attribute("aria-label") or ""
    assert "7 people in 3 generation(s), 1 affected" in label, label
    people = chart.locator("g.people a.person")
    assert people.count() == 7
    for i in range(7):
        box = people.nth(i).bounding_box()
        assert box and box["width"] > 20 and box["height"] > 20  # drawn, not collapsed
    affected = chart.locator("g.people .affected")
    assert affected.count() == 1
    colour = affected.evaluate("e => getComputedStyle(e).fill")
    assert colour == "rgb(27, 31, 36)", colour  # filled
    open_fill = chart.locator("g.people .unaffected").first.evaluate("e => getComputedStyle(e).fill")
    assert open_fill == "rgb(255, 255, 255)"
    assert chart.locator("line.mating").count() == 2 and chart.locator("line.child").count() == 4
    assert page.locator("#family-members tbody tr").count() == 7
    shot(page, "family-pedigree")
    # each shape links to its participant
    people.filter(has_text="DEMO08").click()
    page.wait_for_url(f"**/projects/{PROJECT}/participants/*")
    assert page.locator("h1").inner_text().startswith("Participant DEMO08")
    page.get_by_role("link", name="DEMO-KINDRED").click()
    page.wait_for_url(f"**/projects/{PROJECT}/families/*")


def test_a_sequencing_group_page_from_a_sample(page: Any, demo_server: tuple[str, dict[str, str]]) -> None:
    _, tokens = demo_server
    sign_in(page, tokens["demo-tester"])
    page.goto(f"/projects/{PROJECT}")
    page.locator("#sample-grid tbody tr").first.locator("td a").first.click()
    page.wait_for_url(f"**/projects/{PROJECT}/samples/*")
    heading = page.locator("#groups-heading ~ h3 a").first
    sg = heading.inner_text()
    heading.click()
    page.wait_for_url(f"**/projects/{PROJECT}/sequencing-groups/{sg}")
    assert page.locator("h1").inner_text().startswith(f"Sequencing group {sg}")
    assert page.locator("table.files tbody tr").count() == 2  # the read pair
    assert page.locator("#sg-analyses tbody tr").count() >= 1
    assert page.locator("#sg-analyses .display-link").count() >= 1
    assert page.locator("#history tbody tr").count() >= 2
    shot(page, "sequencing-group")
