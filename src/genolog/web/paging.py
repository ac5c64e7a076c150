"""What every server-paged list (the sample grid, analyses, runs) shows about its pages."""

from __future__ import annotations

import math
from typing import Protocol


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
