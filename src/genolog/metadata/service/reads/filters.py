"""Filters of the batched reads as SQL conditions: ``eq, in_, nin, gt, gte, lt, lte, contains, icontains,
startswith, isnull`` on a column, and JSON meta filters; and the REST API's meta filter (``meta_matches``).

A filter is any object with those operators as attributes (``None`` where unused), as the GraphQL
API's filter inputs are. Meta filters are JSON: ``{key: value}`` is
equality, ``{key: {op: value}}`` applies an operator, and keys may be dotted paths into nested objects.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import sqlalchemy as sa

from genolog.metadata.errors import BadRequest
from genolog.metadata.ids import MAX_ID
from genolog.metadata.inputs import check_list_length, check_text

OPERATORS = ("eq", "in_", "nin", "gt", "gte", "lt", "lte", "contains", "icontains", "startswith", "isnull")
Where = list[sa.ColumnElement[bool]]


class FilterSpec(Protocol):
    """What a filter is to the reads: its operators' values (enum members are compared by value)."""

    @property
    def eq(self) -> Any: ...
    @property
    def in_(self) -> Any: ...


@dataclass
class Filter:
    """A filter made in code rather than sent as a GraphQL input: one value per operator (``Filter.of``)."""

    eq: Any = None
    in_: Any = None
    nin: Any = None
    gt: Any = None
    gte: Any = None
    lt: Any = None
    lte: Any = None
    contains: Any = None
    icontains: Any = None
    startswith: Any = None
    isnull: Any = None

    @classmethod
    def of(cls, op: str, value: Any) -> Filter:
        return cls(**{op: value})


def as_utc(value: Any) -> Any:
    """A datetime filter value in UTC: SQLite keeps the stored UTC wall time without its offset, so an
    aware value must be converted before it is compared."""
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return value.astimezone(datetime.UTC)
    return value


def conditions(
    column: sa.ColumnElement[Any], spec: FilterSpec | None, convert: Callable[[Any], Any] = lambda v: v
) -> Where:
    """SQL conditions for one filter input; ``convert`` maps filter values to column values (e.g. parse ids)."""
    if spec is None:
        return []
    result: list[sa.ColumnElement[bool]] = []
    for op in OPERATORS:
        value = getattr(spec, op, None)
        if value is None:
            continue
        result.append(_condition(column, op, value, convert))
    return result


def _value(value: Any) -> Any:
    return value.value if hasattr(value, "value") and not isinstance(value, str | int | float) else value


def _checked(value: Any) -> Any:
    """A filter value either database can bind: text without NUL or lone surrogates, integers in 64 bits."""
    if isinstance(value, str):
        return check_text(value, "A filter value")
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value <= MAX_ID:
        raise BadRequest(
            f"A filter value is out of range: integers lie between -2**63 and 2**63-1 (got {value})"
        )
    return value


def _condition(
    column: sa.ColumnElement[Any], op: str, value: Any, convert: Callable[[Any], Any]
) -> sa.ColumnElement[bool]:
    if op == "isnull":
        return column.is_(None) if value else column.is_not(None)
    if op in ("in_", "nin"):
        check_list_length(value, f"values in the filter's {op}")
        values = [convert(_checked(_value(v))) for v in value]
        if not values:
            return sa.false() if op == "in_" else sa.true()
        return column.in_(values) if op == "in_" else column.not_in(values)
    if op in ("contains", "icontains", "startswith"):
        text = check_text(str(_value(value)), "A filter value")
        if op == "contains":
            return column.contains(text, autoescape=True)
        if op == "icontains":
            return sa.func.lower(column).contains(text.lower(), autoescape=True)
        return column.startswith(text, autoescape=True)
    converted = convert(_checked(_value(value)))
    comparisons: dict[str, Callable[[], sa.ColumnElement[bool]]] = {
        "eq": lambda: column == converted,
        "gt": lambda: column > converted,
        "gte": lambda: column >= converted,
        "lt": lambda: column < converted,
        "lte": lambda: column <= converted,
    }
    return comparisons[op]()


def meta_conditions(column: sa.ColumnElement[Any], meta: Any) -> Where:
    """SQL conditions for a JSON meta filter."""
    if meta is None:
        return []
    if not isinstance(meta, dict):
        raise BadRequest("A meta filter must be a JSON object of {key: value} or {key: {operator: value}}")
    check_list_length(meta, "keys in a meta filter")
    result = []
    for key, expected in meta.items():
        element = column[_meta_path(key)]
        if isinstance(expected, dict) and expected and set(expected) <= set(OPERATORS):
            for op, value in expected.items():
                result.append(_json_condition(element, op, value))
        else:
            result.append(_json_condition(element, "eq", expected))
    return result


def _meta_path(key: str) -> tuple[str, ...]:
    """A dotted meta filter key as a JSON path. A part may not be empty or hold a quote, a backslash or a
    control character: the databases' JSON path syntax has no escape that both of them read alike."""
    parts = tuple(key.split("."))
    for part in parts:
        if not part or any(c in '"\\' or not c.isprintable() for c in part):
            raise BadRequest(
                f"Invalid meta filter key {key[:100]!r}: each dot-separated part must be non-empty, without "
                "quotes, backslashes or control characters"
            )
    return parts


def _json_condition(element: Any, op: str, value: Any) -> sa.ColumnElement[bool]:
    if op == "isnull":  # as text, a missing key and a JSON null are both SQL NULL, on both databases
        text = element.as_string()
        return text.is_(None) if value else text.is_not(None)
    sample = value[0] if op in ("in_", "nin") and isinstance(value, list) and value else value
    if isinstance(sample, bool):
        typed = element.as_boolean()
    elif isinstance(sample, int):
        # as_integer() casts to a 32-bit INTEGER on PostgreSQL, which a larger value (a file size) overflows
        values = value if isinstance(value, list) else [value]
        in_32_bits = all(-(2**31) <= v < 2**31 for v in values if isinstance(v, int))
        typed = element.as_integer() if in_32_bits else sa.cast(element.as_string(), sa.BigInteger)
    elif isinstance(sample, float):
        typed = element.as_float()
    elif isinstance(sample, str) or sample is None or op in ("contains", "icontains", "startswith"):
        typed = element.as_string()
    else:
        raise BadRequest(f"Meta filters compare strings, numbers and booleans, not {type(sample).__name__}")
    if op in ("in_", "nin") and not isinstance(value, list):
        raise BadRequest(f"The meta filter operator {op} needs a list")
    if value is None:
        return element.as_string().is_(None)
    return _condition(typed, op, value, lambda v: v)


_MISSING = object()


def _lookup(meta: Any, dotted_key: str) -> Any:
    value = meta
    for part in dotted_key.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def meta_narrowing(column: sa.ColumnElement[Any], wanted: dict[str, Any] | None) -> Where:
    """SQL conditions that every row ``meta_matches`` keeps also meets (and some others may): equality for
    the text values under plain keys, so the database leaves out most rows before Python decides. Other
    values and dotted keys are left to ``meta_matches`` alone (its equality has no SQL twin: ``1 == true``)."""
    if not isinstance(wanted, dict):
        return []
    return [
        column[(key,)].as_string() == value
        for key, value in wanted.items()
        if isinstance(value, str)
        and isinstance(key, str)
        and key
        and not any(c in '."\\' or not c.isprintable() for c in key)
        and _bindable(value)
    ]


def _bindable(text: str) -> bool:
    """Text both databases bind as a parameter: no NUL, no lone surrogate."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def meta_matches(meta: Any, wanted: dict[str, Any] | None) -> bool:
    """The REST API's meta filter, applied to fetched rows: ``{key: value}`` is Python equality of any JSON
    value (objects and lists too, ``1 == 1.0 == true``); a dotted key reaches into objects, or failing that
    names a top-level key with dots. It predates ``meta_conditions`` and is kept as it was: the published
    client sends these filters, and an operator-shaped value (``{"eq": 1}``) is a value here, not an
    operator."""
    if not wanted:
        return True
    for key, expected in wanted.items():
        value = _lookup(meta or {}, key)
        if value is _MISSING:
            value = (meta or {}).get(key, _MISSING) if isinstance(meta, dict) else _MISSING
        if value is _MISSING or value != expected:
            return False
    return True
