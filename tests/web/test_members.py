"""The members page: member admins add members, change their roles and remove them (one write each, with
an audit entry naming them); everyone else is refused (403 with the reason, or 404 without a role); bad
input is a 400 page that writes nothing."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.metadata.support import Api, dump
from tests.web.support import Site, build_site, post_form, signed_in

PAGE = "/projects/proj/members"


def roster(api: Api) -> dict[str, list[str]]:
    return {m["member"]: m["roles"] for m in api.ok("GET", "/project/proj/members")}


def with_staff(site: Site) -> Site:
    """``keeper`` the only member admin of proj, ``wanda`` a writer, ``pat`` a project admin."""
    members = {
        **roster(site.api),
        "keeper": ["reader", "project_member_admin"],
        "wanda": ["reader", "writer"],
        "pat": ["reader", "project_admin"],
    }
    site.api.ok(
        "PATCH", "/project/proj/members", json=[{"member": m, "roles": r} for m, r in members.items()]
    )
    return site


@pytest.fixture
def staffed(site: Site) -> Site:
    return with_staff(site)


def change(client: TestClient, action: str, member: str, *roles: str) -> httpx.Response:
    return post_form(
        client, PAGE, {"action": action, "member": member, "roles": list(roles)}, follow_redirects=False
    )


def snapshot(api: Api) -> dict[str, list[dict[str, Any]]]:
    with api.svc.db.read() as conn:
        return dump(conn)


def test_a_member_admin_adds_changes_and_removes_members(staffed: Site) -> None:
    api = staffed.api
    keeper = signed_in(api, "keeper")
    page = keeper.get(PAGE)
    assert page.status_code == 200 and "<h1>Members of proj</h1>" in page.text
    row = page.text.split('<th scope="row">keeper</th>', 1)[1].split("</tr>", 1)[0]
    assert re.search(r'value="project_member_admin" checked aria-label="keeper: project_member_admin"', row)
    assert 'value="writer" aria-label="keeper: writer"' in row  # not checked
    assert '<label for="new-member">User name</label>' in page.text

    added = change(keeper, "add", "newbie", "reader")
    assert added.status_code == 303 and added.headers["location"] == PAGE
    shown = keeper.get(PAGE)
    assert '<p class="flash" role="status">Added newbie to proj as reader.</p>' in shown.text
    assert '<th scope="row">newbie</th>' in shown.text
    assert 'class="flash"' not in keeper.get(PAGE).text  # the message shows once
    assert roster(api)["newbie"] == ["reader"]

    assert change(keeper, "save", "newbie", "writer", "reader").status_code == 303
    assert roster(api)["newbie"] == ["reader", "writer"]
    assert "newbie now has the roles reader, writer on proj." in keeper.get(PAGE).text

    assert change(keeper, "remove", "newbie").status_code == 303
    assert "newbie" not in roster(api)
    assert "Removed newbie from proj." in keeper.get(PAGE).text

    # each change is one audit entry by keeper, in the project's history and on the page
    history = api.ok("GET", "/project/proj/history")
    by_keeper = [h for h in history if h["author"] == "keeper"]
    assert len(by_keeper) == 3, history
    assert all(h["meta"]["via"] == "web" and h["meta"]["path"] == PAGE for h in by_keeper)
    changes = keeper.get(PAGE).text.split('id="member-history"', 1)[1]
    cells = re.findall(r"<td>keeper</td><td><ul class=\"changes\">(.*?)</ul>", changes)
    assert cells[:3] == [
        "<li>removed newbie</li>",
        "<li>newbie: reader, writer (was reader)</li>",
        "<li>added newbie (reader)</li>",
    ]


def test_the_project_page_links_member_admins_to_the_members_page(staffed: Site) -> None:
    assert 'href="/projects/proj/members"' in signed_in(staffed.api, "keeper").get("/projects/proj").text
    for user in ("reader", "wanda", "pat"):
        assert 'id="manage-members"' not in signed_in(staffed.api, user).get("/projects/proj").text, user


def test_others_are_refused_with_the_reason(staffed: Site) -> None:
    api = staffed.api
    clients = {user: signed_in(api, user) for user in ("reader", "wanda", "pat", "stranger", "keeper")}
    api.user("site-members-admin", "members-admin")
    boss = signed_in(api, "site-members-admin")
    before = snapshot(api)
    for user in ("reader", "wanda", "pat"):  # a project admin too: the REST API's rule, as in Metamist
        page = clients[user].get(PAGE)
        assert page.status_code == 403 and page.headers["content-type"].startswith("text/html"), user
        assert "Only member admins can manage the members of &#39;proj&#39;." in page.text
        assert f"You ({user}) have the roles" in page.text
        refused = change(clients[user], "add", "intruder", "reader")
        assert refused.status_code == 403 and "Only member admins" in refused.text
        rest = api.call("PATCH", "/project/proj/members", user=user, json=[])
        assert rest.status_code == 403, user
    for path in (PAGE, "/projects/nowhere/members"):
        assert clients["stranger"].get(path).status_code == 404
    assert change(clients["stranger"], "add", "intruder", "reader").status_code == 404
    assert snapshot(api) == before
    # a site members-admin holds no role on proj and still manages it
    assert boss.get(PAGE).status_code == 200
    assert change(boss, "add", "helper", "reader").status_code == 303
    assert roster(api)["helper"] == ["reader"]


BAD = [
    (("add", "", "reader"), "Enter the member&#39;s user name"),
    (("add", "two words", "reader"), "Invalid user name &#39;two words&#39;: no spaces"),
    (("add", "x" * 256, "reader"), "at most 255 characters"),
    (("add", "someone", "superuser"), "Unknown role &#39;superuser&#39;"),
    (("add", "someone"), "Tick at least one role for someone."),
    (("add", "reader", "writer"), "reader is already a member of proj"),
    (("save", "nobody", "reader"), "nobody is not a member of proj."),
    (("remove", "nobody"), "nobody is not a member of proj."),
    (("save", "reader"), "reader would have no role left"),
    (("promote", "reader", "writer"), "Unknown action &#39;promote&#39;"),
    (("remove", "keeper"), "proj would have no member admin left"),
    (("save", "keeper", "reader", "writer"), "proj would have no member admin left"),
]


def test_bad_input_is_a_400_page_that_writes_nothing(staffed: Site) -> None:
    keeper = signed_in(staffed.api, "keeper")
    before = snapshot(staffed.api)
    for (action, member, *roles), message in BAD:
        response = change(keeper, action, member, *roles)
        assert response.status_code == 400, (action, member, response.text[:300])
        assert '<p class="error" role="alert">' in response.text and message in response.text, message
        assert '<table class="members" id="members">' in response.text  # the page again, to correct it
    assert snapshot(staffed.api) == before
    # what was typed into the add form is kept
    again = change(keeper, "add", "someone", "superuser")
    assert 'value="someone"' in again.text


def test_a_second_member_admin_may_hand_over(staffed: Site) -> None:
    keeper = signed_in(staffed.api, "keeper")
    assert change(keeper, "save", "wanda", "reader", "writer", "project_member_admin").status_code == 303
    handed = change(keeper, "save", "keeper", "reader")
    assert handed.status_code == 303 and handed.headers["location"] == "/projects/proj"  # no longer theirs
    assert roster(staffed.api)["keeper"] == ["reader"]
    assert keeper.get(PAGE).status_code == 403
    wanda = signed_in(staffed.api, "wanda")
    assert change(wanda, "remove", "keeper").headers["location"] == PAGE


def test_the_members_page_costs_a_fixed_number_of_statements(api: Api) -> None:
    site = with_staff(build_site(api))
    keeper = signed_in(site.api, "keeper")
    engine = site.api.svc.db.engine

    def statements() -> int:
        seen: list[object] = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        sa.event.listen(engine, "before_cursor_execute", listener)
        try:
            assert keeper.get(PAGE).status_code == 200
        finally:
            sa.event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    few = statements()
    for i in range(15):
        assert change(keeper, "add", f"member{i}", "reader", "writer").status_code == 303
    assert statements() == few


def test_member_admins_at_once_lose_no_change(staffed: Site) -> None:
    """Each POST rewrites the list it read: two at once must not lose one another's member (PostgreSQL)."""
    keeper = signed_in(staffed.api, "keeper")
    boss_name = "site-members-admin"
    staffed.api.user(boss_name, "members-admin")
    boss = signed_in(staffed.api, boss_name)

    def add(client: TestClient, prefix: str) -> list[int]:
        return [change(client, "add", f"{prefix}{i}", "reader").status_code for i in range(6)]

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(add, (keeper, boss), ("k", "b")))
    assert results == [[303] * 6, [303] * 6]
    members = roster(staffed.api)
    assert {f"{p}{i}" for p in "kb" for i in range(6)} <= set(members)
