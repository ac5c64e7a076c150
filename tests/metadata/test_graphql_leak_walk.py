"""Nothing of project B reaches a user whose roles are on project A only, through any GraphQL path.

B is seeded with data reachable from A's entry points (cohorts in A built from criteria spanning A and B
and from B's template, analyses linking the two, comments, families, runs, audit log), every piece of it
marked ``LEAKB`` in its ids, external ids, meta or text. Then, for each role on A and each site role, the
schema (read by introspection) is walked from every root field and every mutation's payload, reaching
every edge within ``LEVELS`` levels (``tests/metadata/leak_walk.py``), with A's and B's ids wherever an
argument takes one; no answer may contain anything of B, and B must read the same to an admin afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from graphql import GraphQLSchema, graphql_sync, parse, specified_rules, validate

from genolog.metadata.db import Database
from genolog.metadata.graphql.limits import MAX_COST, QueryLimitsRule
from genolog.metadata.graphql.query import schema
from genolog.metadata.service import Service
from genolog.metadata.settings import ServerSettings
from tests.metadata.leak_seed import ROLES, SITE_USERS, A, B, World, ok, post, seed
from tests.metadata.leak_walk import (
    INTROSPECTION_QUERY,
    Finding,
    Node,
    Secrets,
    Walker,
    is_composite,
    pack,
    prune,
    required,
    scan,
    schema_from,
    strings_in,
    summary,
    unwrap,
)
from tests.metadata.support import Api, dump, restore
from tests.metadata.test_permissions import _database
from tests.metadata.walk_plan import NAMED_SETS, EntryPoint, Ids, entry_points, mutation_calls, recipes

LEVELS = 6  # how far below each entry point the walk reaches
PAGE = 5  # the `first` of every list: every seeded list holds fewer (see leak_seed), so none is cut off
# The most requests one caller's walk may take: the walk is bounded, whatever the data.
MAX_REQUESTS = 300
MAX_RETRIES = 12  # how often one document is asked again without the fields that failed

BUDGET = MAX_COST * 9 // 10  # a margin under the server's cost limit


def _nonempty(value: Any) -> bool:
    if isinstance(value, dict) and "totalCount" in value:
        return bool(value["totalCount"])
    return value not in (None, [], {})


@dataclass
class Walk:
    """One caller's walk: its requests and what they found."""

    api: Api
    walker: Walker
    caller: str
    secrets: Secrets
    findings: list[Finding] = field(default_factory=list)
    requests: int = 0

    def send(self, text: str, variables: dict[str, Any], what: str) -> Any:
        self.requests += 1
        body = post(self.api, self.caller, text, variables)
        for error in body.get("errors") or []:
            message = str(error.get("message"))
            assert "limit is" not in message, f"{what}: the walk broke the server's limits: {message}"
            assert "Unexpected server error" not in message, f"{what}: {message}"
            for given in strings_in(variables):  # what the request itself named may come back in its errors
                message = message.replace(given, "")
            if any(m in message for m in self.secrets.markers):
                self.findings.append(Finding(f"{what} (error)", message[:200]))
        return body

    def scan(self, node: Node, value: Any, path: str) -> None:
        scan(node, value, self.secrets, path, self.findings)

    def queries(self, points: list[EntryPoint]) -> None:
        """Probe every entry point with its leaf fields, then walk those that answered with something."""
        answered: list[EntryPoint] = []
        for point in points:  # one by one: an error in a non-null root field would null its neighbours
            if point.fallback and any(p.node.name == point.node.name for p in answered):
                continue
            probe = self.walker.selection(replace(point.node, children=[]), 0)
            body = self.send(*self.walker.document("query", [(probe, "Query")]), point.label)
            value = (body.get("data") or {}).get(probe.key)
            self.scan(probe, value, point.label)
            if _nonempty(value):
                answered.append(point)
        labels = {point.node.key: point.label for point in answered}
        plain: list[Node] = []
        abstract: list[Node] = []
        for point in answered:
            without, within = self.walker.partition(
                self.walker.selection(replace(point.node, children=[]), LEVELS)
            )
            plain += self.walker.split(without, BUDGET)
            abstract += self.walker.split(within, BUDGET) if within else []
        documents = pack(self.walker, [(p, "Query") for p in plain], BUDGET)
        for document in documents + pack(self.walker, [(p, "Query") for p in abstract], BUDGET):
            self.answer("query", document, None, labels)

    def mutations(self, calls: list[EntryPoint]) -> None:
        """Call each mutation with its payload's __typename; walk the payload of those that succeed."""
        for call in calls:
            labels = {call.node.key: call.label}
            composite = bool(
                self.walker.fields(call.node.type_name) or self.walker.members(call.node.type_name)
            )
            probe = replace(call.node, children=[Node("__typename", "String")] if composite else [])
            if self.answer("mutation", [(probe, call.parent)], call.namespace, labels) and composite:
                tree = self.walker.selection(replace(call.node, children=[]), LEVELS)
                for piece in self.walker.split(tree, BUDGET - 1):
                    self.answer("mutation", [(piece, call.parent)], call.namespace, labels)

    def answer(
        self, operation: str, parts: list[tuple[Node, str]], namespace: str | None, labels: dict[str, str]
    ) -> bool:
        """Send a document and scan its answer; while errors name fields in it, ask again without them
        (an error in a non-null field nulls its parents, hiding their other fields). Whether it answered
        without an error the first time."""
        for attempt in range(MAX_RETRIES):
            body = self.send(
                *self.walker.document(operation, parts, namespace), f"{operation} {sorted(labels)}"
            )
            data = body.get("data") or {}
            data = (data.get(namespace) or {}) if namespace else data
            for piece, _ in parts:
                self.scan(piece, data.get(piece.key), labels[piece.key])
            errors = body.get("errors") or []
            if not errors:
                return attempt == 0
            failed = [[k for k in e["path"] if isinstance(k, str)][1 if namespace else 0 :] for e in errors]
            assert all(failed), errors  # every error names a field: none is about the document itself
            remaining = [(p, parent) for piece, parent in parts if (p := _without(piece, failed)) is not None]
            if len(remaining) > 1:  # one piece's errors must not keep hiding the others': each on its own
                for part in remaining:
                    self.answer(operation, [part], namespace, labels)
                return False
            if not remaining:
                return False
            parts = remaining
        raise AssertionError(f"{labels}: still failing after {MAX_RETRIES} attempts")


def _without(piece: Node, failed: list[list[str]]) -> Node | None:
    """A piece without the fields that failed in it; None when the piece itself failed."""
    for keys in failed:
        if keys[0] == piece.key:
            if len(keys) == 1:
                return None
            piece = prune(piece, keys[1:])
    return piece


def b_as_admin_reads_it(api: Api, ids: Ids) -> dict[str, Any]:
    """Every entry point aimed at B, two levels deep, as an admin reads it (by entry point)."""
    walker = Walker(schema_from(ok(api, "admin", INTROSPECTION_QUERY)), PAGE)
    answers = {}
    for point in entry_points(walker.schema, ids, PAGE, sides=("B",)):
        tree = walker.selection(replace(point.node, children=[]), 2)
        parts = walker.split(tree, BUDGET)
        answers[point.label] = [post(api, "admin", *walker.document("query", [(p, "Query")])) for p in parts]
    return answers


def differences(before: Any, after: Any, path: str = "") -> list[str]:
    """Where two answers differ, as paths with both values."""
    if isinstance(before, dict) and isinstance(after, dict):
        keys = sorted(set(before) | set(after))
        return [d for k in keys for d in differences(before.get(k), after.get(k), f"{path}.{k}")]
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [
            d
            for i, (b, a) in enumerate(zip(before, after, strict=True))
            for d in differences(b, a, f"{path}[{i}]")
        ]
    return [] if before == after else [f"{path}: {before!r} -> {after!r}"[:300]]


# --- fixtures and tests ---


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    url = _database(request, tmp_path_factory)
    svc = Service.create(ServerSettings(db=url), Database(url))
    api = Api(svc)
    with api.client:  # one event-loop thread for the module keeps each request cheap
        world = seed(api)
        with svc.db.read() as conn:
            world.snapshot = dump(conn)
        world.b_read = b_as_admin_reads_it(api, world.ids)
        yield world
    svc.db.dispose()


@pytest.fixture
def world(seeded: World) -> Iterator[World]:
    """The seeded world; whatever a walk wrote in A is put back before the next."""
    yield seeded
    restore(seeded.api.svc.db, seeded.snapshot)


def _schema(api: Api, user: str) -> GraphQLSchema:
    return schema_from(ok(api, user, INTROSPECTION_QUERY))


CALLERS = [*(f"a-{r}" for r in ROLES), *SITE_USERS]


@pytest.mark.slow
@pytest.mark.parametrize("caller", CALLERS)
def test_nothing_of_b_reaches_a_caller_with_roles_on_a_only(world: World, caller: str) -> None:
    walker = Walker(_schema(world.api, caller), PAGE)
    secrets = world.secrets
    if caller in SITE_USERS:  # B exists for them (they administer it): its name and id are no secret,
        # but its meta and everything in it are
        secrets = secrets.allowing(*(("GraphQLProject", f) for f in ("id", "name", "dataset")))
    walk = Walk(world.api, walker, caller, secrets)
    walk.queries(entry_points(walker.schema, world.ids, PAGE))
    names = {"A": A, "B": B}
    walk.mutations(mutation_calls(walker.schema, recipes(world.ids, world.members, names)))
    assert walk.requests <= MAX_REQUESTS
    after = b_as_admin_reads_it(world.api, world.ids)
    changed = [
        f"{label}: {differences(world.b_read[label], answer)[:3]}"
        for label, answer in after.items()
        if answer != world.b_read[label]
    ]
    problems = (
        [f"{caller} read B's data ({walk.requests} requests):\n{summary(walk.findings)}"]
        if walk.findings
        else []
    )
    problems += [f"{caller}'s mutations changed what an admin reads of B at {changed}"] if changed else []
    assert not problems, "\n".join(problems)


def reachable_edges(walker: Walker, type_name: str, levels: int) -> set[tuple[str, str]]:
    """Every (type, field) and (union, member) edge within ``levels`` levels of a type, breadth first
    (fields that need an argument left out), computed apart from the walker's trees."""
    edges: set[tuple[str, str]] = set()
    seen, frontier = {type_name}, [type_name]
    for _ in range(levels):
        reached: list[str] = []
        for current in frontier:
            names = [(m, m) for m in walker.members(current)]
            names += [
                (n, unwrap(d.type)[0].name)
                for n, d in walker.fields(current).items()
                if not any(required(a) for a in d.args.values())
            ]
            for name, target in names:
                edges.add((current, name))
                if is_composite(walker.type(target)) and target not in seen:
                    seen.add(target)
                    # a union's members are no level deeper than the union
                    (frontier if walker.members(current) else reached).append(target)
        frontier = reached
    return edges


def test_the_walk_reaches_every_edge_within_six_levels_in_few_queries() -> None:
    """Each entry point's pieces select every edge within LEVELS levels of it, and each piece is a query
    the server accepts (valid, within the depth and cost limits)."""
    walker = Walker(schema_from(graphql_sync(schema._schema, INTROSPECTION_QUERY).data), PAGE)
    ids: dict[str, dict[str, list[Any]]] = {
        t: {"A": [1], "B": [2]} for t in [*walker.schema.type_map, *NAMED_SETS]
    }
    ids["deletedComment"] = {"A": [], "B": [3]}
    members = {A: [{"member": "m", "roles": ["reader"]}], B: []}
    points = entry_points(walker.schema, ids, PAGE)
    calls = mutation_calls(walker.schema, recipes(ids, members, {"A": A, "B": B}))
    pieces = 0
    for point in points + calls:
        if not is_composite(walker.type(point.node.type_name)):
            continue
        tree = walker.selection(replace(point.node, children=[]), LEVELS)
        parts = [p for half in walker.partition(tree) if half for p in walker.split(half, BUDGET)]
        covered = {edge for part in parts for edge in part.edges()}
        missing = reachable_edges(walker, point.node.type_name, LEVELS) - covered
        assert not missing, f"{point.label} does not reach {sorted(missing)}"
        for part in parts:
            text, _ = walker.document(
                "mutation" if point.namespace else "query", [(part, point.parent)], point.namespace
            )
            errors = validate(schema._schema, parse(text), [*specified_rules, QueryLimitsRule])
            assert not errors, f"{point.label}: {errors[0].message}"
        pieces += len(parts)
    # a bounded walk: a few queries per entry point, whatever the data
    assert pieces <= 3 * (len(points) + len(calls)), pieces
