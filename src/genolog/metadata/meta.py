"""JSON Merge Patch (RFC 7396), the rule for every ``meta`` update."""

from __future__ import annotations

from typing import Any


def merge_patch(target: Any, patch: Any) -> Any:
    """Return ``target`` patched by ``patch``: objects merge recursively, ``null`` deletes, all else replaces."""
    if not isinstance(patch, dict):
        return patch
    if not target and None not in patch.values() and dict not in map(type, patch.values()):
        # the common case in a bulk ingest, a new entity's flat meta: nothing to delete or merge
        return dict(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            result[key] = merge_patch(result.get(key), value)
        else:  # what merge_patch(anything, value) returns, without the call
            result[key] = value
    return result
