"""Numbered pages of the web lists (the sample grid, analyses, runs, Cohort QC): reading the page and page size from
the URL, and what a page shows about the pages."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from genolog.metadata.errors import BadRequest

#: the page sizes a list offers (a Jinja global: the pages' size choosers)
PER_PAGE_CHOICES = (25, 50, 100, 200)


def page_and_size(params: Mapping[str, str], default_per_page: int) -> tuple[int, int]:
    """``page`` (1 or more) and ``per`` (one of `PER_PAGE_CHOICES`, else ``default_per_page``) from a
    list's URL query; anything but whole numbers is a 400."""
    try:
        page = max(1, int(params.get("page", "1")))
        per_page = int(params.get("per", str(default_per_page)))
    except ValueError:
        raise BadRequest("'page' and 'per' must be whole numbers") from None
    return page, per_page if per_page in PER_PAGE_CHOICES else default_per_page


class PageQuery(Protocol):
    @property
    def page(self) -> int: ...

    @property
    def per_page(self) -> int: ...


class Paged:
    """For a page dataclass with the total row count and its query's page and page size."""

    total: int
    query: PageQuery

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.query.per_page))

    @property
    def first_row(self) -> int:
        """The number of the page's first row (1-based; 0 for an empty list)."""
        return 0 if not self.total else (self.query.page - 1) * self.query.per_page + 1


@dataclass(frozen=True)
class Slice:
    """How to read the rows ``skip`` to ``skip + limit`` of ``total``: ``limit`` rows after ``offset``, in
    the list's order or, when ``backwards``, in its reverse order (the rows then reversed back)."""

    backwards: bool
    limit: int
    offset: int


def nearer_end(total: int, skip: int, limit: int) -> Slice:
    """A slice in the second half of the list is read from its end, so that the database passes over the
    rows after it rather than those before: the last page of a million rows costs what the first does
    (OFFSET from the start: 3.4 s for a million-sample grid's last page)."""
    after = total - skip - limit  # rows after the slice
    if skip < total and after < skip:
        return Slice(True, min(limit, total - skip), max(0, after))
    return Slice(False, limit, skip)
