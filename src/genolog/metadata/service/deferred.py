"""An input made only once the caller's rights are checked.

GraphQL validates some of its inputs with the service's pydantic models, after the resolver has started.
A service function checks the caller's rights first and validates after, so that a caller without rights
gets the 404 or 403 of the project whatever it sent (the answer tells it nothing about its input), so
GraphQL hands it a function that makes the input; REST, which FastAPI validated already, the input itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias, TypeVar

T = TypeVar("T")

#: the input, or a function that checks and makes it (pydantic models and dicts are not callable)
Deferred: TypeAlias = T | Callable[[], T]


def made(value: Deferred[T]) -> T:
    """The input: ``value``, or what it makes."""
    return value() if callable(value) else value
