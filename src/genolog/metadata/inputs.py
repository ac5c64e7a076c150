"""Bounds on what a request may send, checked once below the front ends (REST, GraphQL, pages, ingest).

- Text: no NUL character (PostgreSQL cannot store one, so neither database takes it) and no lone UTF-16
  surrogate (``"\\ud800"`` decodes to a str that no database, and no JSON answer, can encode).
- JSON values: nested at most ``MAX_JSON_DEPTH`` levels. Meta is also bounded in size (``meta.py``).
- Lists of ids or filter values: at most ``LIMITS.max_list_items`` items, below the number of bound
  parameters either database takes in one statement.

``LIMITS`` holds the operator's settings (``meta_max_bytes``, ``max_list_items``); ``Service.create`` sets
them from ``ServerSettings``.
"""

from __future__ import annotations

import re
from collections.abc import Sized
from dataclasses import dataclass
from typing import Any

import orjson

from genolog.metadata.errors import BadRequest

# Deep enough for any real meta (reads lists nest 3-4 levels), shallow enough that no recursive walk,
# encoder or SQL JSON function comes near its own limit (orjson 255, Python's ~1,000 frames).
MAX_JSON_DEPTH = 32
MIB = 1 << 20


@dataclass
class InputLimits:
    meta_max_bytes: int = MIB
    max_list_items: int = 10_000


LIMITS = InputLimits()


def configure(meta_max_bytes: int, max_list_items: int) -> None:
    LIMITS.meta_max_bytes = meta_max_bytes
    LIMITS.max_list_items = max_list_items


# A NUL or a surrogate (paired or not) in a JSON text: as an escape (\u0000, \ud800) or, since
# json.loads decodes bytes with 'surrogatepass', as the UTF-8-style bytes of a surrogate. Finding one
# only means the decoded value must be walked: escaped backslashes and proper pairs are not errors.
_SUSPECT_JSON = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])|\xed[\xa0-\xbf]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def text_problem(text: str) -> str | None:
    """Why a string cannot be taken, or None."""
    if "\x00" in text:
        return "contains a NUL character (\\u0000)"
    if _LONE_SURROGATE.search(text):
        return "contains a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff escape)"
    return None


def check_text(text: str, what: str) -> str:
    problem = text_problem(text)
    if problem:
        raise BadRequest(f"{what} {problem}")
    return text


def check_json(value: Any, what: str, max_depth: int | None = MAX_JSON_DEPTH) -> Any:
    """Refuse a decoded JSON value nested deeper than ``max_depth`` (None: any depth) or holding text
    ``check_text`` refuses (in keys or values). Iterative, so depth costs no stack."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                raise BadRequest(f"{what}: a string {problem}")
        elif isinstance(item, dict | list):
            if max_depth is not None and depth >= max_depth:
                raise BadRequest(
                    f"{what} is nested too deeply: at most {max_depth} levels of objects and lists"
                )
            if isinstance(item, dict):
                stack.extend((key, depth) for key in item)
                stack.extend((child, depth + 1) for child in item.values())
            else:
                stack.extend((child, depth + 1) for child in item)
    return value


def json_text_may_be_bad(body: bytes) -> bool:
    """Whether an undecoded JSON text may hold a NUL or a lone surrogate (a fast test, then walk)."""
    return (b"\\u" in body or b"\xed" in body) and _SUSPECT_JSON.search(body) is not None


def check_list_length(values: Sized, what: str) -> None:
    limit = LIMITS.max_list_items
    if len(values) > limit:
        raise BadRequest(
            f"Too many {what}: at most {limit:,} in one request (max_list_items), got {len(values):,}"
        )


def parse_json_object(text: str, what: str) -> dict[str, Any]:
    """A JSON object from a header or a form field, bounded as any request JSON is."""
    try:
        value = orjson.loads(text)  # refuses lone surrogates, and nesting beyond 1,024 levels, itself
    except orjson.JSONDecodeError as error:
        raise BadRequest(f"{what} must be a JSON object ({error.msg})") from None
    if not isinstance(value, dict):
        raise BadRequest(f"{what} must be a JSON object")
    check_json(value, what)
    return value
