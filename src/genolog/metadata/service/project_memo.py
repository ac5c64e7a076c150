"""What a page computes over a whole project (its counts, its meta keys), kept in this process while the
project does not change.

A project changes only through requests, and every request that changes something in it adds rows to
``project_activity`` (``context.Tx.finish``), one per kind of entity it changed: the count and the
latest entry of the rows of the kinds a figure depends on, read from their index in one statement, are
the figure's fingerprint. The count is there because requests commit out of
order: a request that began first (a lower entry) and commits after a later one leaves the latest entry
as it was, not the count. A million-sample project's counts and meta keys cost 2-3 s to compute; the
fingerprint well under a millisecond.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from genolog.metadata import tables as t

KEPT = 64  # (project, what) pairs kept per database, the least recently used dropped

T = TypeVar("T")
_kept: weakref.WeakKeyDictionary[Engine, OrderedDict[tuple[int, str], tuple[tuple[Any, ...], Any]]]
_kept = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def fingerprint(conn: Connection, project_id: int, kinds: Sequence[str]) -> tuple[Any, ...]:
    """What changes whenever an entity of ``kinds`` (or the project itself: ``delete_data`` wipes its rows
    under the project's name alone) changes in the project."""
    pa = t.project_activity
    row = conn.execute(
        sa.select(sa.func.count(), sa.func.max(pa.c.audit_log_id)).where(
            pa.c.project_id == project_id, pa.c.entity.in_(["project", *kinds])
        )
    ).one()
    return tuple(row)


def kept(conn: Connection, project_id: int, what: str, kinds: Sequence[str], compute: Callable[[], T]) -> T:
    """``compute()``'s answer for the project, computed again only when an entity of ``kinds`` (those the
    answer depends on) has changed in the project since this process last computed it (``what`` names
    the figure): an analysis written does not recount the samples. The answer is shared: do not change
    it."""
    key = fingerprint(conn, project_id, kinds)
    engine = conn.engine
    with _lock:
        per_engine = _kept.get(engine)
        found = per_engine.get((project_id, what)) if per_engine is not None else None
    if found is not None and found[0] == key:
        value: T = found[1]
        return value
    value = compute()
    with _lock:
        per_engine = _kept.setdefault(engine, OrderedDict())
        per_engine[(project_id, what)] = (key, value)
        per_engine.move_to_end((project_id, what))
        while len(per_engine) > KEPT:
            per_engine.popitem(last=False)
    return value
