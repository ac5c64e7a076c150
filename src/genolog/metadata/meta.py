"""``meta``: JSON Merge Patch (RFC 7396), the rule for every update, and the bounds on what is stored.

Every write of an entity's meta goes through ``merge_patch``, which checks the result: at most
``meta_max_bytes`` encoded (a 413 naming the limit), nested at most ``MAX_JSON_DEPTH`` levels, and no NUL
or lone surrogate in any key or value (400s). Bounding the stored value, not the patch, means no
sequence of patches can grow it past the limit, so no page or history answer carries more than the
limit per entity shown.
"""

from __future__ import annotations

from typing import Any

import orjson

from genolog.metadata.errors import PayloadTooLarge
from genolog.metadata.inputs import LIMITS, MAX_JSON_DEPTH, check_json


def merge_patch(target: Any, patch: Any) -> Any:
    """Return ``target`` patched by ``patch`` (objects merge recursively, ``null`` deletes, all else
    replaces), refused as ``check_meta`` says when the result is out of bounds."""
    if not patch and isinstance(patch, dict):
        # nothing changes: the stored value stays as it is (checked when it was written)
        return dict(target) if isinstance(target, dict) else {}
    merged = _merged(target, patch)
    if merged == target:  # unchanged (a re-ingest, mostly): nothing new to bound, and cheaper to compare
        return merged
    return check_meta(merged)


def _merged(target: Any, patch: Any) -> Any:
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
            result[key] = _merged(result.get(key), value)
        else:  # what _merged(anything, value) returns, without the call
            result[key] = value
    return result


def check_meta(meta: Any, what: str = "meta") -> Any:
    """``meta`` if it is within bounds (see the module's docstring), else a 413 or a 400 naming the bound."""
    try:
        encoded = orjson.dumps(meta)
    except TypeError:  # a lone surrogate, nesting beyond orjson's 255 levels: check_json names which
        check_json(meta, what)
        return meta  # else an integer beyond 64 bits, which the JSON column's encoder reports (db.py)
    limit = LIMITS.meta_max_bytes
    if len(encoded) > limit:
        raise PayloadTooLarge(
            f"{what} is too large: {len(encoded):,} bytes as JSON, the limit is {limit:,} bytes per entity "
            "(meta_max_bytes)"
        )
    # walk only when the encoding could hold a NUL (orjson escapes it; it refuses surrogates, above) or
    # as many levels as the bound: the ingest bounds every meta it writes, so this stays cheap
    if b"\\u0000" in encoded or encoded.count(b"{") + encoded.count(b"[") > MAX_JSON_DEPTH:
        check_json(meta, what)
    return meta
