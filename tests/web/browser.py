"""The browser tests' fixtures and helpers: Debian's chromium driven by playwright against one live
`genolog serve` with the demo's data, shared by every ``tests/web/test_browser*.py`` module. The
session's `chromium` and `browser` also serve the QC report's test (registered in tests/conftest.py).

Each test saves a screenshot under ``test-artifacts/web/`` (``$GENOLOG_TEST_ARTIFACTS`` to change it);
every request a page makes must go to the server itself (no CDN).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from genolog.metadata.context import AuditInfo, Tx
from genolog.metadata.service import Service
from genolog.metadata.settings import ServerSettings
from genolog.metadata.store import identity, projects
from tests.demo.support import run_demo_headless, serve
from tests.metadata.live import free_port
from tests.published import unavailable

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("GENOLOG_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = Path(os.environ.get("GENOLOG_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "web"
PROJECT = "sandbox-test"


@pytest.fixture(scope="session")
def chromium() -> str:
    if not (Path(CHROMIUM).exists()):
        unavailable(f"{CHROMIUM} not found: install Debian's chromium and chromium-driver (.ci/run does)")
    return CHROMIUM


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """`genolog demo --no-serve` on a free port, then `genolog serve` (no development mode) on the same
    port, so the analyses' display URLs point at it; tokens for the demo's user (``demo-tester``, the
    projects' owner), for ``reader`` (a reader of the test project) and for an ``outsider``. One server
    for the whole session: every browser test module shares it."""
    data = tmp_path_factory.mktemp("web-demo") / "data"
    port = free_port()
    done = run_demo_headless(data, port)
    assert done.returncode == 0, done.stdout + done.stderr
    svc = Service.create(ServerSettings(data_dir=data))
    with svc.db.write() as conn:
        tokens = {
            user: identity.create_token(conn, user, "browser test")[1]
            for user in ("demo-tester", "outsider", "reader")
        }
        # "reader" may read the demo's test project and do nothing else there
        row = projects.get_by_name(conn, PROJECT)
        assert row is not None
        tx = Tx(conn, svc.codecs, AuditInfo(author="browser-test"))
        members = projects.members(conn, [row["id"]])[row["id"]]
        projects.set_members(tx, row["id"], [*members.items(), ("reader", ["reader"])])
        tx.finish()
    svc.db.dispose()
    with serve(data, port) as url:
        yield url, tokens


@pytest.fixture(scope="session")
def browser(chromium: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium, headless=True, args=LAUNCH_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any, demo_server: tuple[str, dict[str, str]]) -> Iterator[Any]:
    url, _ = demo_server
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, accept_downloads=True, base_url=url
    )
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()
    strays = [r for r in requests if not r.startswith(url)]
    assert not strays, f"the pages asked other servers: {strays}"


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 5_000


def sign_in(page: Any, token: str) -> None:
    page.goto("/")
    assert page.url.endswith("/signin?next=%2F")
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
