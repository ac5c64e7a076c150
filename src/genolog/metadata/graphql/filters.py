"""GraphQL filter inputs (``eq, in_, nin, gt, gte, lt, lte, contains, icontains, startswith, isnull``).

The resolvers pass them to the service layer's reads as they are, which turn them into SQL
(``service.reads.filters``, with what meta filters mean).
"""

from __future__ import annotations

import datetime
import enum
from typing import Generic, TypeVar

import strawberry

T = TypeVar("T")


@strawberry.input(description="Filter for GraphQL queries")
class GraphQLFilter(Generic[T]):
    eq: T | None = None
    in_: list[T] | None = strawberry.field(default=None, name="in_")
    nin: list[T] | None = None
    gt: T | None = None
    gte: T | None = None
    lt: T | None = None
    lte: T | None = None
    contains: T | None = None
    icontains: T | None = None
    startswith: T | None = None
    isnull: bool | None = None


@strawberry.enum(name="AnalysisStatus")
class GraphQLAnalysisStatus(enum.Enum):
    QUEUED = "queued"
    IN_PROGRESS = "in-progress"
    FAILED = "failed"
    COMPLETED = "completed"
    UNKNOWN = "unknown"


# The specialisations used in the schema (strawberry names them StrGraphQLFilter, IntGraphQLFilter, ...).
StrGraphQLFilter = GraphQLFilter[str]
IntGraphQLFilter = GraphQLFilter[int]
BoolGraphQLFilter = GraphQLFilter[bool]
DateGraphQLFilter = GraphQLFilter[datetime.date]
DatetimeGraphQLFilter = GraphQLFilter[datetime.datetime]
AnalysisStatusGraphQLFilter = GraphQLFilter[GraphQLAnalysisStatus]
