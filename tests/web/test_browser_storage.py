"""A report in web storage that attacks whoever opens it (issue 19, item 3), in headless Chromium.

Anyone who can write a project's web folder (an analysis job at test access) can put HTML there. The
report below fetches the members page, reads its CSRF token and posts a new member admin: run in the
app's origin (the control, through the page's own JavaScript) it succeeds; served from the web storage,
sandboxed into an origin of its own, its script runs but every request to the app fails.
"""

from __future__ import annotations

from typing import Any

import pytest

from genolog.metadata.service import Service
from genolog.metadata.store import projects
from genolog.paths import local_web_folder
from tests.metadata.live import live_server
from tests.metadata.support import Api
from tests.web.browser import sign_in

pytestmark = pytest.mark.slow

ATTACK = """async (member) => {
  try {
    const page = await fetch("/projects/proj/members", {credentials: "include"});
    const token = (await page.text()).match(/name="csrf_token" value="([0-9a-f]{64})"/)[1];
    const form = new URLSearchParams({csrf_token: token, action: "add", member, roles: "project_member_admin"});
    const posted = await fetch("/projects/proj/members", {method: "POST", body: form, credentials: "include"});
    return "posted " + posted.status;
  } catch (error) {
    return "failed: " + error;
  }
}"""

REPORT = f"""<!DOCTYPE html>
<html><head><title>QC report</title></head>
<body><h1>QC report</h1><p id="out">running</p><a id="next" href="other.html">next report</a>
<script>
({ATTACK})("mallory").then(outcome => {{
  document.getElementById("out").textContent = outcome;
  document.title = "done";
}});
</script></body></html>
"""


def members(svc: Service) -> dict[str, list[str]]:
    with svc.db.read() as conn:
        row = projects.get_by_name(conn, "proj")
        assert row is not None
        return {name: list(roles) for name, roles in projects.members(conn, [row["id"]])[row["id"]].items()}


def test_a_web_storage_report_cannot_act_as_the_signed_in_admin(browser: Any, svc: Service) -> None:
    api = Api(svc)
    api.project("proj")
    token = api.user("admin", "admin")["Authorization"].removeprefix("Bearer ")
    folder = local_web_folder(svc.settings.data_dir, "proj-test")
    folder.mkdir(parents=True)
    (folder / "report.html").write_text(REPORT)
    (folder / "other.html").write_text("<html><head><title>Other report</title></head></html>")
    with live_server(svc) as url:
        context = browser.new_context(base_url=url)
        try:
            page = context.new_page()
            sign_in(page, token)

            response = page.goto("/web/proj-test/report.html")
            assert response is not None and response.status == 200
            assert response.header_value("content-security-policy").startswith("sandbox ")
            page.wait_for_function("document.title === 'done'", timeout=15_000)  # the report's script ran
            assert page.locator("#out").inner_text().startswith("failed: TypeError"), page.content()
            assert "mallory" not in members(svc)
            with page.expect_navigation() as followed:  # a link to another report still opens, signed in
                page.locator("#next").click()
            assert followed.value.status == 200 and page.title() == "Other report"

            # the control: the same script in the app's own origin does add a member admin
            page.goto("/projects/proj")
            assert page.evaluate(ATTACK, "mallory-control") == "posted 200"
            assert members(svc)["mallory-control"] == ["project_member_admin"]
            assert "mallory" not in members(svc)
        finally:
            context.close()
