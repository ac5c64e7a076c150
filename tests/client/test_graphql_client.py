"""genolog.client against a live server: queries with variables, tokens, errors and retries."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from genolog.client import QueryError, gql, query, query_async, server_settings
from genolog.metadata.db import Database
from genolog.metadata.service import Service
from genolog.metadata.settings import ServerSettings
from genolog.metadata.store import identity
from tests.metadata.live import free_port, live_server

PROJECTS = gql("query ($name: String!) { project(name: $name) { name sequencingGroups { id } } }")


@pytest.fixture
def server(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    """A live server without development mode, and a token of an admin."""
    svc = Service.create(ServerSettings(db=db_url), Database(db_url))
    with svc.db.write() as conn:
        _, token = identity.create_token(conn, "alice")
        identity.grant_site_role(conn, "alice", "admin")
    with live_server(svc) as url:
        monkeypatch.setenv("GENOLOG_URL", url)
        monkeypatch.setenv("GENOLOG_TOKEN", token)
        yield url, token
    svc.db.dispose()


def test_query_with_variables_and_errors(server: tuple[str, str]) -> None:
    assert query("{ viewer { username } }") == {"viewer": {"username": "alice"}}
    with pytest.raises(QueryError, match='Could not find projects with names: "nope"') as caught:
        query(PROJECTS, {"name": "nope"})
    assert caught.value.errors and caught.value.errors[0]["path"] == ["project"]


def test_query_async_gives_the_same_answer(server: tuple[str, str]) -> None:
    assert asyncio.run(query_async("{ myProjects { name } }")) == {"myProjects": []}


def test_a_missing_token_is_refused_with_the_servers_reason(
    server: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GENOLOG_TOKEN")
    with pytest.raises(QueryError, match="HTTP 401: Authentication required"):
        query("{ viewer { username } }")


def test_syntax_errors_surface_in_gql() -> None:
    with pytest.raises(QueryError, match="Invalid GraphQL query"):
        gql("{ project(name: ) }")


def test_an_unreachable_server_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("GENOLOG_URL", url)
    monkeypatch.setattr("genolog.client._http.FIRST_DELAY_S", 0.01)
    with pytest.raises(QueryError, match=f"Cannot reach the metadata server at {url}"):
        query("{ viewer { username } }")


def test_settings_come_from_the_config_when_the_environment_is_silent(
    tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from genolog import config

    path = tmp_path / "c.toml"  # type: ignore[operator]
    path.write_text('[metadata]\nurl = "http://meta.example:9000/"\ntoken = "t0k"\n')
    monkeypatch.delenv("GENOLOG_URL", raising=False)
    monkeypatch.delenv("GENOLOG_TOKEN", raising=False)
    config.set_config_paths([str(path)])
    try:
        settings = server_settings()
    finally:
        config._reset_for_tests()
    assert (settings.url, settings.token) == ("http://meta.example:9000", "t0k")
