"""A small TOML writer for configs (the standard library only reads TOML).

Tables become ``[a.b]`` headers, lists inline arrays (of inline tables for lists of tables); ``None`` has
no TOML form and is left out, as a missing key reads the same through `config_retrieve` defaults.
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Mapping
from typing import Any

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON's escapes are TOML basic-string escapes
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, Mapping):
        items = [f"{_key(str(k))} = {_value(v)}" for k, v in value.items() if v is not None]
        return "{ " + ", ".join(items) + " }" if items else "{}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value if v is not None) + "]"
    raise TypeError(f"Cannot write a {type(value).__name__} to TOML")


def dumps(data: Mapping[str, Any]) -> str:
    """``data`` as TOML text that `tomllib.loads` reads back to the same dict (``None`` values dropped)."""
    lines: list[str] = []

    def table(section: Mapping[str, Any], path: list[str]) -> None:
        scalars = [(k, v) for k, v in section.items() if v is not None and not isinstance(v, Mapping)]
        tables = [(k, v) for k, v in section.items() if isinstance(v, Mapping)]
        if path and (scalars or not tables):
            if lines:
                lines.append("")
            lines.append("[" + ".".join(_key(p) for p in path) + "]")
        for k, v in scalars:
            lines.append(f"{_key(str(k))} = {_value(v)}")
        for k, v in tables:
            table(v, [*path, str(k)])

    table(data, [])
    return "\n".join(lines) + "\n"
