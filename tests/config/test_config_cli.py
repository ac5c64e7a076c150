from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from typer.testing import CliRunner

from genolog.cli import app


def test_config_command_prints_merged_config_and_its_source(
    toml_file: Callable[[str, str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    a = toml_file("a.toml", "[t]\nx = 1\ny = [1]\n")
    b = toml_file("b.toml", "[t]\ny = [2]\n")
    monkeypatch.setenv("GENOLOG_CONFIG_PATH", f"{a},{b}")
    result = CliRunner().invoke(app, ["config"])
    assert result.exit_code == 0
    first, rest = result.stdout.split("\n", 1)
    assert first == f"// {a}, {b}"
    assert json.loads(rest) == {"t": {"x": 1, "y": [2]}}


def test_config_command_reports_bad_file_without_traceback(
    toml_file: Callable[[str, str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CPG_CONFIG_PATH", toml_file("bad.toml", "x = ["))
    result = CliRunner().invoke(app, ["config"])
    assert result.exit_code == 1
    assert "is not valid TOML" in result.stderr
    assert "Traceback" not in result.output
