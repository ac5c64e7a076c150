from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def toml_file(tmp_path: Path) -> Callable[[str, str], str]:
    """Write a TOML file under tmp_path and return its path."""

    def write(name: str, text: str) -> str:
        path = tmp_path / name
        path.write_text(text)
        return str(path)

    return write
