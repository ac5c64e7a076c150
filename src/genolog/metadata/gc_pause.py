"""Pausing Python's cyclic garbage collector while a request builds or walks many objects, which the
collector would otherwise scan again and again; reference counting frees them as before."""

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

    What it guarantees: the collector is off from the first pause's entry until the last pause (of any
    thread) exits, and then on (even if it was off before); pauses nest and overlap across threads,
    counted under a lock.

    When it is safe to use: only around work whose own reference cycles are broken before the pause ends
    (``GraphQLContext.release``, ``store.upserts``' chunks), since no full collection runs meanwhile and
    whatever cycles it leaves wait for the next one. It pauses the collector of the whole process, so
    other requests' cycles wait too: keep it to one request's bounded work, never to something that
    waits on a client or runs without end.
    """
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
