"""The sample grid's export as a download: its chunks streamed while the page's read stays open (the grid
itself is ``service.grid``)."""

from __future__ import annotations

from collections.abc import Generator
from contextlib import ExitStack


class Streamed:
    """Chunks read inside a transaction (``held``: the page's read, kept open) for a ``StreamingResponse``:
    the chunks' generator and then the transaction are closed after the last chunk, on an error, or when the
    response drops the iterator unfinished (the client went away), whichever comes first."""

    def __init__(self, chunks: Generator[str, None, None], held: ExitStack) -> None:
        self._chunks = chunks
        self._held: ExitStack | None = held

    def __iter__(self) -> Streamed:
        return self

    def __next__(self) -> str:
        try:
            return next(self._chunks)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            try:
                self._chunks.close()
            finally:
                held.close()

    def __del__(self) -> None:
        self.close()
