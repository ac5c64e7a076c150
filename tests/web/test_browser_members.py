"""The members page and a writer's edit form in a real browser against the shared demo server: a reader
is refused the admin page, the demo's owner adds a member, and edits a sample's meta (the form posts with
its CSRF token and the browser's own Origin).

The demo server is shared by every browser test module: the member added here is this module's own
(``browser-admin-guest``), and the meta key it sets (``browser_edit``) it removes again.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.browser import PROJECT, shot, sign_in

pytestmark = pytest.mark.slow

MEMBERS = f"/projects/{PROJECT}/members"
GUEST = "browser-admin-guest"


def test_a_reader_is_refused_the_members_page(page: Any, demo_server: tuple[str, dict[str, str]]) -> None:
    _, tokens = demo_server
    sign_in(page, tokens["reader"])
    response = page.goto(MEMBERS)
    assert response is not None and response.status == 403
    assert page.get_by_role("heading", level=1).inner_text().startswith("Forbidden")
    alert = page.get_by_role("alert").inner_text()
    assert f"Only member admins can manage the members of '{PROJECT}'." in alert
    assert "You (reader) have the roles reader there" in alert
    shot(page, "members-refused")
    page.goto(f"/projects/{PROJECT}")
    assert page.locator("#manage-members").count() == 0  # no link to it either


def test_the_owner_adds_a_member(page: Any, demo_server: tuple[str, dict[str, str]]) -> None:
    _, tokens = demo_server
    sign_in(page, tokens["demo-tester"])
    page.goto(f"/projects/{PROJECT}")
    page.locator("#manage-members").click()
    page.wait_for_url(f"**{MEMBERS}")
    assert (
        page.get_by_role("row", name="demo-tester")
        .get_by_label("demo-tester: project_member_admin")
        .is_checked()
    )
    page.get_by_label("User name").fill(GUEST)
    page.locator('#add-member input[name="roles"][value="reader"]').check()
    page.get_by_role("button", name="Add member").click()
    page.wait_for_load_state("load")
    assert page.url.endswith(MEMBERS)
    assert page.get_by_role("status").inner_text() == f"Added {GUEST} to {PROJECT} as reader."
    row = page.get_by_role("row", name=GUEST)
    assert row.get_by_label(f"{GUEST}: reader").is_checked()
    assert not row.get_by_label(f"{GUEST}: writer").is_checked()
    assert f"added {GUEST} (reader)" in page.locator("#member-history").inner_text()
    shot(page, "members-added")


def test_a_writer_edits_a_sample_meta_key(page: Any, demo_server: tuple[str, dict[str, str]]) -> None:
    _, tokens = demo_server
    sign_in(page, tokens["demo-tester"])
    page.goto(f"/projects/{PROJECT}?f.external_id==DEMO02-DNA")
    page.locator("#sample-grid tbody tr").first.get_by_role("link").first.click()
    page.wait_for_url("**/samples/XPG*")
    page.get_by_label("Key").fill("browser_edit")
    page.get_by_label("Value").fill('{"checked": true}')
    page.get_by_role("button", name="Set").click()
    page.wait_for_load_state("load")
    assert page.get_by_role("status").inner_text() == 'Set meta.browser_edit to {"checked":true}.'
    assert '{"checked":true}' in page.locator(".facts").first.inner_text()
    newest = page.locator("#history tbody tr").first.inner_text()
    assert "demo-tester" in newest and "browser_edit" in newest
    shot(page, "sample-meta-edited")
    # and away again, so the other modules' grid sees no new meta column
    page.get_by_label("Key").fill("browser_edit")
    page.get_by_role("button", name="Remove key").click()
    page.wait_for_load_state("load")
    assert page.get_by_role("status").inner_text() == "Removed meta.browser_edit."
    assert "meta.browser_edit" not in page.locator(".facts").first.inner_text()
