"""Pausing Python's cyclic garbage collector while a request builds or walks many objects."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_gc_lock = threading.Lock()
_gc_pauses = 0


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a large answer is built or a bulk upsert runs.

    Building 100,000 nodes triggers many full collections, each scanning every object in the process,
    which made answers twice as slow. The requests break their own cycles (``GraphQLContext.release``,
    ``store.upserts``), so nothing accumulates; with several requests at once the collector resumes
    after the last."""
    global _gc_pauses
    with _gc_lock:
        _gc_pauses += 1
        gc.disable()
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0:
                gc.enable()
