"""Problems found in a manifest, each naming its file, line and column."""

from __future__ import annotations

from dataclasses import dataclass, field

RowKey = tuple[str, int]  # (manifest as given on the command line, 1-based line)


@dataclass(frozen=True)
class Issue:
    source: str
    line: int
    column: str | None
    message: str
    #: every row the problem involves (an unpaired FASTQ group may span rows); defaults to ``line``'s row
    rows: tuple[RowKey, ...] = field(default=())
    #: the whole manifest is unusable (not found, bad header): not a row that --skip-bad-rows can drop
    whole_file: bool = False

    @property
    def row_keys(self) -> tuple[RowKey, ...]:
        return self.rows or ((self.source, self.line),)

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return (
            f"{where}: column '{self.column}': {self.message}" if self.column else f"{where}: {self.message}"
        )


def where(source: str, line: int, here: str) -> str:
    """``line 7`` within the same manifest, ``other.tsv:7`` across manifests."""
    return f"line {line}" if source == here else f"{source}:{line}"
