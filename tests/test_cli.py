import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from genolog import __version__
from genolog.cli import app

runner = CliRunner()


def test_version_prints_package_version() -> None:
    result = runner.invoke(app, ["version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == __version__


def test_tokens_are_created_listed_and_revoked(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path)]
    created = runner.invoke(app, ["token", "create", "--user", "alice", "--label", "laptop", "--json", *data])
    assert created.exit_code == 0, created.output
    token = json.loads(created.stdout)
    assert token["user"] == "alice" and token["token"].startswith("glt_")
    listed = json.loads(runner.invoke(app, ["token", "list", "--json", *data]).stdout)
    assert [(t["id"], t["user"], t["label"], t["revoked_at"]) for t in listed] == [
        (token["id"], "alice", "laptop", "")
    ]
    assert "token" not in listed[0] and "token_hash" not in listed[0]
    assert runner.invoke(app, ["token", "revoke", str(token["id"]), *data]).exit_code == 0
    assert json.loads(runner.invoke(app, ["token", "list", "--json", *data]).stdout)[0]["revoked_at"]
    again = runner.invoke(app, ["token", "revoke", str(token["id"]), *data])
    assert again.exit_code == 1 and "No active token" in again.output


def test_tokens_expire_after_the_lifetime_given_a_year_by_default(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    data = ["--data-dir", str(tmp_path)]

    def create(*expires: str) -> dict[str, str]:
        result = runner.invoke(app, ["token", "create", "--user", "alice", "--json", *expires, *data])
        assert result.exit_code == 0, result.output
        created: dict[str, str] = json.loads(result.stdout)
        return created

    def lifetime(token: dict[str, str]) -> timedelta:
        return datetime.fromisoformat(token["expires_at"]) - datetime.now(UTC)

    assert timedelta(days=89, hours=23) < lifetime(create("--expires", "90d")) <= timedelta(days=90)
    assert timedelta(days=364, hours=23) < lifetime(create()) <= timedelta(days=365)
    assert create("--expires", "never")["expires_at"] == ""
    listed = json.loads(runner.invoke(app, ["token", "list", "--json", *data]).stdout)
    assert [bool(t["expires_at"]) for t in listed] == [True, True, False]
    table = runner.invoke(app, ["token", "list", *data]).stdout
    assert "expires" in table and "never" in table
    bad = runner.invoke(app, ["token", "create", "--user", "alice", "--expires", "5y", *data])
    assert bad.exit_code == 1 and "not '5y'" in bad.output and "Traceback" not in bad.output


def test_site_roles_are_granted_and_unknown_roles_refused(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path)]
    assert runner.invoke(app, ["user", "grant", "alice", "project-creator", *data]).exit_code == 0
    bad = runner.invoke(app, ["user", "grant", "alice", "overlord", *data])
    assert bad.exit_code == 1 and "Unknown site role 'overlord'" in bad.output


def test_bad_config_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[server]\nport = 'high'\n")
    result = runner.invoke(app, ["serve", "--config", str(config)])
    assert result.exit_code == 1
    assert "Invalid server settings" in result.output and "Traceback" not in result.output


def test_the_command_line_does_not_load_the_server_stack_until_a_command_needs_it() -> None:
    """`genolog qc` runs in pipelines thousands of times: it must not pay for FastAPI and SQLAlchemy."""
    import subprocess
    import sys

    probe = "import sys, genolog.cli; print(sorted(m for m in ('fastapi', 'sqlalchemy', 'strawberry', 'uvicorn') if m in sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "[]"


def test_dev_user_is_refused_on_a_network_host_unless_forced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from genolog.metadata import server
    from genolog.metadata.settings import is_loopback

    served: list[str] = []
    monkeypatch.setattr(server.uvicorn, "run", lambda app, host, port, **kw: served.append(host))
    monkeypatch.setattr(server, "tune_interpreter", lambda: None)
    data = ["--data-dir", str(tmp_path)]
    for host in ("0.0.0.0", "::", "192.0.2.7"):
        refused = runner.invoke(app, ["serve", "--dev-user", "dev", "--host", host, *data])
        assert refused.exit_code == 1 and "Traceback" not in refused.output
        assert f"not {host!r}" in refused.output and "--allow-dev-user-on-network" in refused.output
    assert served == [] and not (tmp_path / "genolog.sqlite").exists()  # refused before anything ran
    forced = ["serve", "--dev-user", "dev", "--host", "0.0.0.0", "--allow-dev-user-on-network", *data]
    assert runner.invoke(app, forced).exit_code == 0
    for host in ("127.0.0.1", "localhost"):
        assert runner.invoke(app, ["serve", "--dev-user", "dev", "--host", host, *data]).exit_code == 0
    assert runner.invoke(app, ["serve", "--host", "0.0.0.0", *data]).exit_code == 0  # tokens needed there
    assert served == ["0.0.0.0", "127.0.0.1", "localhost", "0.0.0.0"]
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.8.0.1", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "10.1.2.3", "example.invalid", ""))
