"""Matching JSON ``meta`` against a filter: ``{key: value}`` is equality; dotted keys reach into objects."""

from __future__ import annotations

from typing import Any

_MISSING = object()


def lookup(meta: Any, dotted_key: str) -> Any:
    value = meta
    for part in dotted_key.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def meta_matches(meta: Any, wanted: dict[str, Any] | None) -> bool:
    if not wanted:
        return True
    for key, expected in wanted.items():
        value = lookup(meta or {}, key)
        if value is _MISSING:
            value = (meta or {}).get(key, _MISSING) if isinstance(meta, dict) else _MISSING
        if value is _MISSING or value != expected:
            return False
    return True
