"""A download streamed from a read transaction that stays open while it streams: REST's file exports
(``api.downloads``, ``api.web``) and the pages' sample grid export (``web.pages``). Here, below the front
ends, so that they share it without importing each other."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from contextlib import AbstractContextManager, ExitStack
from typing import Any, Generic, TypeVar

import anyio
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

ChunkT = TypeVar("ChunkT", str, bytes)
SessionT = TypeVar("SessionT")
OpenedT = TypeVar("OpenedT")


def hold_open(
    reading: AbstractContextManager[SessionT], start: Callable[[SessionT], OpenedT]
) -> tuple[OpenedT, ExitStack]:
    """What ``start`` answers in the session ``reading`` opens, and the read itself, still open (a
    ``Streamed`` closes it): ``start``'s checks, and their errors, come before a response starts; if it
    raises, the read closes at once."""
    with ExitStack() as stack:
        opened = start(stack.enter_context(reading))
        return opened, stack.pop_all()


class Streamed(Generic[ChunkT]):
    """Chunks read inside a transaction (``held``: the request's read, kept open) for a
    ``StreamingResponse``: the chunks' generator and then the transaction are closed after the last chunk,
    on an error, or when the response drops the iterator unfinished (the client went away), whichever comes
    first."""

    def __init__(self, chunks: Generator[ChunkT, None, None], held: ExitStack) -> None:
        self._chunks: Generator[ChunkT, None, None] = chunks
        self._held: ExitStack | None = held

    def __iter__(self) -> Iterator[ChunkT]:
        return self

    def __next__(self) -> ChunkT:
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


class StreamedResponse(StreamingResponse):
    """The response of a ``Streamed`` download: its chunks and then its transaction are closed when the
    response ends, however it ends. When the client goes away, Starlette cancels the response and drops
    the iterator unclosed, which would leave the cursor and the transaction to the garbage collector (and
    a pooled connection held until it runs)."""

    def __init__(self, content: Streamed[Any], **kwargs: Any) -> None:
        super().__init__(content, **kwargs)
        self._streamed = content

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # a thread's next chunk is finished by now (anyio lets a thread run to its end); closing talks
            # to the database, so it runs in a thread too, shielded from the cancellation that got here
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(self._streamed.close)
