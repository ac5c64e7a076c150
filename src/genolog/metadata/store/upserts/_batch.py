"""The state of one set-based upsert: the request's items flattened into nodes, one list per entity kind.

A request is a list of trees (participant → samples → sequencing groups → assays, plus nested samples and
non-sequencing assays). ``flatten`` turns each tree into ``Node`` objects so that every entity kind can be
resolved and written with a few statements for the whole chunk, level by level, parents first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, NoReturn, TypeVar

import sqlalchemy as sa

from genolog.metadata.context import Tx
from genolog.metadata.db import allocate_ids
from genolog.metadata.errors import BadRequest, MetadataError
from genolog.metadata.models import AssayUpsert, ParticipantUpsert, SampleUpsert, SequencingGroupUpsert
from genolog.metadata.store import enums, external_ids

KINDS = ("participant", "sample", "sequencing_group", "assay")
OUTCOMES = ("created", "updated", "unchanged")

# Ids per IN (...) list: far below PostgreSQL's 65,535 and SQLite's 32,766 bound parameters per statement.
IN_CHUNK = 5_000

T = TypeVar("T")


def chunked(values: Iterable[T], size: int = IN_CHUNK) -> Iterator[list[T]]:
    """Lists of ``size`` values; the generator keeps no reference to the list it gave, so the caller's
    ``del`` frees it (``upsert_items`` then collects a nearly empty young generation, rather than
    scanning a chunk's thousands of objects still alive)."""
    iterator = iter(values)
    while True:
        given = [list(islice(iterator, size))]
        if not given[0]:
            return
        yield given.pop()


@dataclass(eq=False, slots=True)
class Node:
    """One entity of the request: what was asked for, which row it matched and what became of it."""

    kind: str
    item: Any  # ParticipantUpsert | SampleUpsert | SequencingGroupUpsert | AssayUpsert
    record: int  # 1-based number of the top-level item it came from, for messages
    parent: Node | None = None  # participant of a top-level sample, parent sample of a nested one
    sample: Node | None = None  # the sample of a sequencing group or assay
    # a participant's samples; a sample's sequencing groups, non-sequencing assays and nested samples;
    # a sequencing group's assays
    children: list[Node] = field(default_factory=list)
    eids: dict[str, str | None] = field(default_factory=dict)
    id: int | None = None
    old: dict[str, Any] | None = None  # the matched row, None for a new entity
    old_eids: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)  # the row as it will be written
    outcome: str = ""  # created | updated | unchanged

    @property
    def primary(self) -> str | None:
        return self.eids.get(external_ids.PRIMARY) or self.old_eids.get(external_ids.PRIMARY)


class Batch:
    """One request's upsert: the transaction, its project, counts, and checks shared by the levels."""

    def __init__(
        self, tx: Tx, project_id: int, *, label: str, create_only: bool = False, keep_changes: bool = False
    ) -> None:
        self.tx = tx
        self.conn = tx.conn
        self.project_id = project_id
        self.label = label
        self.create_only = create_only
        self.keep_changes = keep_changes
        self.counts: dict[str, dict[str, int]] = {k: dict.fromkeys(OUTCOMES, 0) for k in KINDS}
        self.counts["sequencing_group"]["archived"] = 0
        self.changes: list[dict[str, Any]] = []
        # external id -> record that named it, per kind: the same entity may appear once per request
        self.seen: dict[str, dict[str, int]] = {k: {} for k in KINDS}
        self._enums: dict[str, set[str]] | None = None  # every vocabulary, read at the first use of one
        self._ids: dict[sa.Table, list[int]] = {}  # per table, ids drawn ahead and not yet used

    def reserve_ids(self, counts: dict[sa.Table, int]) -> None:
        """Draw ids for rows still to be written, several tables in one round trip (PostgreSQL).

        Drawn when a level is written, they waited for the COPYs still queued before it (queued_writes);
        drawn ahead, the levels of a chunk are written without waiting. SQLite's ids come from max(id) of
        what is written, so there they are drawn when written (its queued writes end in far less time
        than the Python between them)."""
        if self.conn.dialect.name != "postgresql":
            return
        wanted = {table: n - len(self._ids.get(table, ())) for table, n in counts.items()}
        wanted = {table: n for table, n in wanted.items() if n > 0}
        if wanted:
            for table, ids in allocate_ids(self.conn, wanted).items():
                self._ids.setdefault(table, []).extend(ids)

    def new_ids(self, table: sa.Table, count: int) -> list[int]:
        """``count`` new ids for ``table``: reserved ones first, the rest drawn now."""
        reserved = self._ids.get(table, [])
        taken, self._ids[table] = reserved[:count], reserved[count:]
        if len(taken) < count:
            taken += allocate_ids(self.conn, {table: count - len(taken)})[table]
        return taken

    def fail(self, node: Node, message: str, error: type[MetadataError] = BadRequest) -> NoReturn:
        raise error(f"{self.label} {node.record}: {message}")

    def enum(self, node: Node, kind: str, value: str) -> str:
        """``value`` if it is a known value of the vocabulary ``kind``; else a 400 listing the known ones.

        Every vocabulary is read at the first use of one (in a sample upsert, before anything is
        written): read one at a time, the first use of each in a level waited for the writes the levels
        before it had queued (``queued_writes``), where the level would otherwise work while they are
        sent."""
        if self._enums is None:
            self._enums = enums.by_kind(self.conn)
        known = self._enums.get(kind, set())
        if value not in known:
            allowed = ", ".join(sorted(known))
            self.fail(node, f"Unknown {enums.LABELS[kind]} {value!r}; known values: {allowed}")
        return value

    def record_outcome(self, node: Node, outcome: str, shown: Callable[[int], str | int]) -> None:
        """Count the node's outcome; ``shown`` formats its id, only when changes are kept."""
        node.outcome = outcome
        self.counts[node.kind][outcome] += 1
        if outcome != "unchanged" and self.keep_changes:
            self.changes.append(
                {
                    "entity": node.kind,
                    "id": shown(node.id or 0),
                    "external_id": node.primary,
                    "operation": "create" if outcome == "created" else "update",
                    self.label: node.record,
                }
            )

    def sample_projects(self, sample_ids: Sequence[int]) -> dict[int, int]:
        from genolog.metadata.store import samples

        result: dict[int, int] = {}
        for part in chunked(dict.fromkeys(sample_ids)):
            result.update(samples.projects_of(self.tx, part))
        return result


@dataclass
class Levels:
    """The nodes of a chunk by kind; samples by nesting depth, so parents are written before children."""

    participants: list[Node] = field(default_factory=list)
    samples: list[list[Node]] = field(default_factory=list)
    sequencing_groups: list[Node] = field(default_factory=list)
    assays: list[Node] = field(default_factory=list)
    roots: list[Node] = field(default_factory=list)  # the top-level node of each item, in order

    def release(self) -> None:
        """Break the nodes' parent/child cycles, so reference counting frees them (see ``upsert_items``)."""
        for nodes in (self.participants, *self.samples, self.sequencing_groups, self.assays):
            for node in nodes:
                node.parent = node.sample = None
                node.children = []


def flatten(items: Sequence[ParticipantUpsert | SampleUpsert], first_record: int, label: str) -> Levels:
    levels = Levels()
    for offset, item in enumerate(items):
        record = first_record + offset
        try:
            if isinstance(item, ParticipantUpsert):
                node = Node("participant", item, record, eids=_eids("participant", item))
                levels.participants.append(node)
                node.children = [_add_sample(levels, s, record, node, 0) for s in item.samples or []]
            else:
                node = _add_sample(levels, item, record, None, 0)
        except BadRequest as error:
            raise BadRequest(f"{label} {record}: {error}") from None
        levels.roots.append(node)
    return levels


def _eids(kind: str, item: Any) -> dict[str, str | None]:
    return external_ids.normalise(kind, item.external_ids)


def _add_sample(levels: Levels, item: SampleUpsert, record: int, parent: Node | None, depth: int) -> Node:
    node = Node("sample", item, record, parent=parent, eids=_eids("sample", item))
    while len(levels.samples) <= depth:
        levels.samples.append([])
    levels.samples[depth].append(node)
    for sg in item.sequencing_groups or []:
        sg_node = _add(levels.sequencing_groups, "sequencing_group", sg, record, node)
        sg_node.children = [_add(levels.assays, "assay", a, record, node) for a in sg.assays or []]
        node.children.append(sg_node)
    node.children += [_add(levels.assays, "assay", a, record, node) for a in item.non_sequencing_assays or []]
    node.children += [_add_sample(levels, n, record, node, depth + 1) for n in item.nested_samples or []]
    return node


def _add(
    into: list[Node], kind: str, item: SequencingGroupUpsert | AssayUpsert, record: int, sample: Node
) -> Node:
    node = Node(kind, item, record, sample=sample, eids=_eids(kind, item))
    into.append(node)
    return node
