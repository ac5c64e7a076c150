"""Local web storage served by the metadata server: readers only, nothing outside the folder."""

from __future__ import annotations

import http.client
import os
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from genolog import config
from genolog.metadata.db import Database
from genolog.metadata.service import Service
from genolog.metadata.settings import ServerSettings
from genolog.paths import local_storage_config, local_web_folder, web_url
from tests.metadata.live import live_server
from tests.metadata.support import Api, assert_rejected


@pytest.fixture
def web(tmp_path: Path, sqlite_template: Path) -> Iterator[tuple[Api, Path]]:
    """A service whose data dir holds `proj`'s web folders, `proj` readable by `reader` only."""
    import shutil

    db_path = tmp_path / "web.sqlite"
    shutil.copy(sqlite_template, db_path)
    data = tmp_path / "served"
    svc = Service.create(
        ServerSettings(db=f"sqlite:///{db_path}", data_dir=data), Database(f"sqlite:///{db_path}")
    )
    api = Api(svc)
    api.project("proj", members={"reader": ["reader"]})
    api.project("other")
    folder = local_web_folder(data, "proj-test")
    (folder / "run1").mkdir(parents=True)
    (folder / "run1" / "CPG1.html").write_text("<html><body>🎉 report</body></html>")
    (folder / "run1" / "stats.json").write_text('{"a": 1}')
    (folder / "run1" / "data.bin").write_bytes(b"\0\1")
    (folder / "index.html").write_text("<html>index</html>")
    (tmp_path / "secret.txt").write_text("TOP-SECRET-CONTENT")
    (folder.parent / "other-test-web").mkdir()
    (folder.parent / "other-test-web" / "x.html").write_text("OTHER-PROJECT-CONTENT")
    yield api, folder
    svc.db.dispose()


def test_readers_get_files_with_content_types(web: tuple[Api, Path]) -> None:
    api, _ = web
    r = api.call("GET", "/web/proj-test/run1/CPG1.html", user="reader", base="")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert "🎉 report" in r.text
    r = api.call("GET", "/web/proj-test/run1/stats.json", user="reader", base="")
    assert r.headers["content-type"] == "application/json; charset=utf-8" and r.json() == {"a": 1}
    r = api.call("GET", "/web/proj-test/run1/data.bin", user="reader", base="")
    assert r.headers["content-type"] == "application/octet-stream" and r.content == b"\0\1"
    assert api.call("GET", "/web/proj-test/", user="reader", base="").text == "<html>index</html>"
    head = api.call("HEAD", "/web/proj-test/run1/CPG1.html", user="reader", base="")
    assert head.status_code == 200 and head.content == b""


def test_missing_files_and_folders_are_404(web: tuple[Api, Path]) -> None:
    api, _ = web
    for path in ("/web/proj-test/run1/nope.html", "/web/proj-test/run1/", "/web/proj-test/run1"):
        assert_rejected(api.call("GET", path, user="reader", base=""), 404, "No file")


def test_only_readers_of_the_project_see_it(web: tuple[Api, Path]) -> None:
    api, _ = web
    assert_rejected(api.call("GET", "/web/proj-test/run1/CPG1.html", user=None, base=""), 401)
    stranger = api.call("GET", "/web/proj-test/run1/CPG1.html", user="stranger", base="")
    assert_rejected(stranger, 404, "Project 'proj-test' not found")
    # a reader of proj is not a reader of other
    assert_rejected(api.call("GET", "/web/other-test/x.html", user="reader", base=""), 404, "not found")
    assert_rejected(api.call("GET", "/web/nope/x.html", user="reader", base=""), 404, "not found")
    assert api.call("GET", "/web/other-test/x.html", user="admin", base="").text == "OTHER-PROJECT-CONTENT"


def test_writing_is_refused(web: tuple[Api, Path]) -> None:
    api, folder = web
    for method in ("PUT", "POST", "DELETE", "PATCH"):
        r = api.call(method, "/web/proj-test/run1/CPG1.html", user="admin", base="", content=b"x")
        assert r.status_code == 405, (method, r.status_code)
    assert "🎉" in (folder / "run1" / "CPG1.html").read_text()


def raw_get(base: str, raw_path: str, token: str) -> tuple[int, bytes]:
    """GET a path exactly as written (no client-side normalisation of `..` or `%2e`)."""
    parts = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port)
    try:
        conn.putrequest("GET", raw_path, skip_accept_encoding=True)
        conn.putheader("Authorization", token)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_paths_cannot_leave_the_folder(web: tuple[Api, Path], tmp_path: Path) -> None:
    api, folder = web
    os.symlink(tmp_path / "secret.txt", folder / "run1" / "link.txt")
    os.symlink(tmp_path, folder / "run1" / "linkdir")
    os.symlink(folder.parent / "other-test-web", folder / "sibling")
    (folder / ".hidden").write_text("hidden")
    (folder / "run1" / "inside.txt").symlink_to(folder / "run1" / "stats.json")
    token = api.user("admin", "admin")["Authorization"]
    attempts = [
        "/web/proj-test/../../secret.txt",
        "/web/proj-test/run1/../../../secret.txt",
        "/web/proj-test/%2e%2e/%2e%2e/secret.txt",
        "/web/proj-test/run1/%2E%2E%2F%2E%2E%2F..%2Fsecret.txt",
        "/web/proj-test/..%2f..%2fsecret.txt",
        "/web/proj-test/%2fetc%2fpasswd",
        "/web/proj-test//etc/passwd",
        "/web/proj-test/run1/link.txt",
        "/web/proj-test/run1/linkdir/secret.txt",
        "/web/proj-test/sibling/x.html",
        "/web/proj-test/.hidden",
        "/web/proj-test/run1/%00",
    ]
    with live_server(api.svc) as base:
        for path in attempts:
            status, body = raw_get(base, path, token)
            assert status in (400, 404), (path, status, body)
            assert b"TOP-SECRET" not in body and b"OTHER-PROJECT" not in body and b"root:" not in body, path
        status, body = raw_get(base, "/web/proj-test/run1/inside.txt", token)
        assert (status, body) == (200, b'{"a": 1}')


def test_web_url_of_the_local_config_is_the_served_route(
    web: tuple[Api, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`web_url` from a local storage config and the folder the server serves agree."""
    api, folder = web
    data = api.svc.settings.data_dir
    storage = local_storage_config(data, ["proj"], access_level="test", server_url="http://testserver")
    assert storage["proj"]["web"] == str(folder)
    assert storage["proj"]["web_url"] == "http://testserver/web/proj-test"
    main = local_storage_config(data, ["proj"], access_level="standard", server_url="http://testserver")
    assert main["proj"]["web_url"] == "http://testserver/web/proj"
    assert main["proj"]["test"]["web_url"] == "http://testserver/web/proj-test"
    assert main["proj"]["web"] == str(local_web_folder(data, "proj"))

    monkeypatch.setenv("GENOLOG_DATA_DIR", str(data))
    monkeypatch.setenv("GENOLOG_URL", "http://testserver")
    config._reset_for_tests()
    monkeypatch.setattr(config, "default_config", lambda: {**_default(), "storage": storage})
    url = web_url("run1/CPG1.html", dataset="proj")
    r = api.client.get(url, headers=api.user("reader"))
    assert r.status_code == 200 and "🎉 report" in r.text


def _default() -> dict[str, object]:
    return {"workflow": {"dataset": "proj", "access_level": "test"}, "hail": {"backend": "local"}}
