"""Matching nodes to existing entities by external id, and writing external ids, for a whole level at once.

Matching rule: a node without an internal id matches the entity whose *primary* external id it names. Any
other external id it names must be free or already that entity's; naming another entity's id is a 409, as
is naming the same external id twice in one request.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from genolog.metadata.db import insert_many
from genolog.metadata.errors import Conflict
from genolog.metadata.store import external_ids
from genolog.metadata.store.external_ids import LABELS, PRIMARY, TABLES
from genolog.metadata.store.upserts._batch import Batch, Node, chunked


def lookup(batch: Batch, kind: str, values: Sequence[str]) -> dict[str, int]:
    """external id (any organisation) -> entity id, within the batch's project."""
    result: dict[str, int] = {}
    for part in chunked(dict.fromkeys(values)):
        result.update(external_ids.lookup(batch.conn, kind, batch.project_id, part))
    return result


def check_unique_in_request(batch: Batch, nodes: Sequence[Node]) -> None:
    for node in nodes:
        seen = batch.seen[node.kind]
        for value in node.eids.values():
            if value is None:
                continue
            first = seen.setdefault(value, node.record)
            if first != node.record:
                batch.fail(
                    node,
                    f"the {LABELS[node.kind]} external id {value!r} is also in {batch.label} {first} of this "
                    "request; name each entity once",
                    Conflict,
                )


def match_primary(batch: Batch, nodes: Sequence[Node]) -> dict[str, int]:
    """Set ``id`` of the nodes (without one) whose primary external id exists; returns the lookup made."""
    if not nodes:
        return {}
    kind = nodes[0].kind
    found = lookup(batch, kind, [v for n in nodes for v in n.eids.values() if v is not None])
    for node in nodes:
        if node.id is None:
            primary = node.eids.get(PRIMARY)
            if primary is not None and primary in found:
                node.id = found[primary]
                if batch.create_only:
                    batch.fail(
                        node,
                        f"The {LABELS[kind]} external id {primary!r} is already used in this project",
                        Conflict,
                    )
    return found


def check_clashes(batch: Batch, nodes: Sequence[Node], found: dict[str, int]) -> None:
    """No node may name an external id that belongs to another entity."""
    for node in nodes:
        for org, value in node.eids.items():
            if value is not None and value in found and found[value] != node.id:
                batch.fail(
                    node,
                    f"The {LABELS[node.kind]} external id {value!r} is already used in this project "
                    f"by another {LABELS[node.kind]}"
                    + ("" if org == PRIMARY else f" (given for organisation {org!r})"),
                    Conflict,
                )


def load_current(batch: Batch, nodes: Sequence[Node]) -> None:
    """Fill ``old_eids`` of the matched nodes."""
    matched = [n for n in nodes if n.id is not None]
    if not matched:
        return
    kind = matched[0].kind
    current: dict[int, dict[str, str]] = {}
    for part in chunked([n.id for n in matched if n.id is not None]):
        current.update(external_ids.get_many(batch.conn, kind, part))
    for node in matched:
        node.old_eids = current.get(node.id, {}) if node.id is not None else {}


def changes(node: Node) -> tuple[dict[str, str], list[str]]:
    """(organisation -> value to set, organisations to delete) against the node's current ids."""
    current = node.old_eids
    if not current:  # a new entity, or one without external ids: set all that are given
        return {o: v for o, v in node.eids.items() if v is not None}, []
    to_set = {o: v for o, v in node.eids.items() if v is not None and current.get(o) != v}
    to_delete = [o for o, v in node.eids.items() if v is None and o in current]
    return to_set, to_delete


def check_required(batch: Batch, node: Node) -> None:
    label = LABELS[node.kind]
    if PRIMARY in node.eids and node.eids[PRIMARY] is None:
        batch.fail(node, f"The primary external id of a {label} cannot be removed")
    if node.old is None and node.kind in ("participant", "sample") and not node.eids.get(PRIMARY):
        batch.fail(node, f"A {label} needs a primary external id (organisation '')")


def write(batch: Batch, nodes: Sequence[Node], extra: dict[int, dict[str, str]] | None = None) -> None:
    """Apply the external-id changes of these (written) nodes; ``extra`` adds ids to set per entity id."""
    if not nodes:
        return
    kind = nodes[0].kind
    table = TABLES[kind]
    id_col = table.c[f"{kind}_id"]
    deletes: list[dict[str, object]] = []
    inserts: list[dict[str, object]] = []
    for node in nodes:
        assert node.id is not None
        to_set, to_delete = changes(node)
        if extra and node.id in extra:
            to_set = {**{o: v for o, v in extra[node.id].items() if o not in node.eids}, **to_set}
        current = node.old_eids
        for org in [*to_delete, *to_set] if current else ():
            if org in current:
                deletes.append({"entity_id": node.id, "org": org})
        for org, value in to_set.items():
            if current and value in current.values() and current.get(org) != value:
                batch.fail(
                    node,
                    f"the {LABELS[kind]} external id {value!r} is already its id for another organisation",
                )
            inserts.append(
                {
                    "project_id": batch.project_id,
                    f"{kind}_id": node.id,
                    "name": org,
                    "external_id": value,
                    "audit_log_id": batch.tx.audit_log_id,
                }
            )
    if deletes:
        batch.conn.execute(
            table.delete().where(id_col == sa.bindparam("entity_id"), table.c.name == sa.bindparam("org")),
            deletes,
        )
    if inserts:
        insert_many(batch.conn, table, inserts)
