from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from genolog import config


@pytest.fixture(autouse=True)
def clean_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No config paths from the outside world; local default storage under tmp_path."""
    for var in config.CONFIG_PATH_ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GENOLOG_DATA_DIR", str(tmp_path / "data"))
    config._reset_for_tests()
    yield
    config._reset_for_tests()


@pytest.fixture
def toml_file(tmp_path: Path) -> Callable[[str, str], str]:
    """Write a TOML file under tmp_path and return its path."""

    def write(name: str, text: str) -> str:
        path = tmp_path / name
        path.write_text(text)
        return str(path)

    return write
