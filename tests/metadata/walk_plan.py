"""Where the leak walk starts: every root field with its arguments filled from two projects' ids, and every
mutation with no-op-ish arguments aimed at both projects' entities (``test_graphql_leak_walk.py``).

Root fields are read from the schema: an argument is filled from the ids of the type its name points at
(``id`` the field's own type, ``sampleId`` samples, ``project`` project names, ...), once with A's and
once with B's. Mutations need meaningful input, so each has recipes here; a mutation the schema has and
this table does not fails the walk until someone writes one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLField, GraphQLObjectType, GraphQLSchema

from tests.metadata.leak_walk import Node, required, unwrap
from tests.metadata.support import sequencing_assay

Ids = dict[str, dict[str, list[Any]]]  # GraphQL type (or a named set) -> {"A": [...], "B": [...]}
# The named sets the recipes take besides each type's ids.
NAMED_SETS = ("GraphQLProjectId", "deletedComment", "archivedGroup", "commentContent")
SIDES = ("A", "B")

# Which ids an argument takes, by its name ("id" and "name": those of the field's own type).
ARGUMENT_IDS = {
    "project": "GraphQLProject",
    "sampleId": "GraphQLSample",
    "participantId": "GraphQLParticipant",
    "parentId": "GraphQLSample",
    "rootId": "GraphQLSample",
    "familyId": "GraphQLFamily",
    "templateId": "GraphQLCohortTemplate",
    "arGuid": "GraphQLAnalysisRunner",
}


@dataclass
class EntryPoint:
    """A root field (or a mutation) called with some arguments; ``parent`` is the type it is a field of."""

    parent: str
    node: Node
    namespace: str | None = None  # a mutation's namespace field on Mutation
    # another way to read the same root field's own data, worth walking only if this one answers nothing
    fallback: bool = False

    @property
    def label(self) -> str:
        args = ", ".join(f"{k}: {v!r}" for k, v in self.node.args.items() if k != "first")
        return f"{self.namespace + '.' if self.namespace else ''}{self.node.name}({args})"


def _object_type(schema: GraphQLSchema, type_name: str) -> str:
    """A connection's node type, else the type itself."""
    type_ = schema.get_type(type_name)
    if type_name.endswith("Connection") and isinstance(type_, GraphQLObjectType):
        return unwrap(type_.fields["nodes"].type)[0].name
    return type_name


def _shaped(values: list[Any], input_name: str) -> list[Any]:
    """The argument values to try: one filter over all the ids, or each id on its own."""
    if input_name.endswith("GraphQLFilter"):
        cast = int if input_name.startswith("Int") else str
        return [{"in_": [cast(v) for v in values]}]
    cast = int if input_name == "Int" else str
    return [cast(v) for v in values]


def entry_points(
    schema: GraphQLSchema, ids: Ids, page: int, sides: tuple[str, ...] = SIDES
) -> list[EntryPoint]:
    """Every root field of Query: with no arguments but the required ones (from A), then with each
    id-taking argument set to each side's ids."""
    query = schema.query_type
    assert query is not None
    found: list[EntryPoint] = []
    for name, definition in query.fields.items():
        named, is_list = unwrap(definition.type)
        own = _object_type(schema, named.name)

        def values(
            argument: str, side: str, definition: GraphQLField = definition, own: str = own
        ) -> list[Any]:
            """The values to try for an argument: the ids of the type its name points at, shaped for it."""
            kind = own if argument in ("id", "name") else ARGUMENT_IDS.get(argument)
            input_name = unwrap(definition.args[argument].type)[0].name
            return _shaped(ids[kind][side], input_name) if kind and ids.get(kind, {}).get(side) else []

        base: dict[str, Any] = {"first": page} if "first" in definition.args else {}
        for argument, spec in definition.args.items():
            if required(spec):
                choices = values(argument, "A")
                assert choices, (
                    f"no value for the required argument {name}({argument}:): add it to ARGUMENT_IDS"
                )
                base[argument] = choices[0]
        variants: list[tuple[dict[str, Any], bool]] = []
        if "A" in sides:  # A's data: with the required arguments alone, or else the first taking ids
            optional = [a for a, spec in definition.args.items() if not required(spec) and values(a, "A")]
            variants += [(base, False)] + [({**base, a: values(a, "A")[0]}, True) for a in optional[:1]]
        if "B" in sides:  # every argument that takes ids, with each of B's
            variants += [({**base, a: v}, False) for a in definition.args for v in values(a, "B")]
        unique = {repr(sorted(v.items())): (v, f) for v, f in variants}
        for i, (args, fallback) in enumerate(unique.values()):
            node = Node(name, named.name, is_list, f"{name}_{i}", args)
            found.append(EntryPoint("Query", node, fallback=fallback))
    return found


def _sides(make: Callable[[str], dict[str, Any]]) -> list[dict[str, Any]]:
    return [make(side) for side in SIDES]


def recipes(
    ids: Ids, members: dict[str, list[dict[str, Any]]], names: dict[str, str]
) -> dict[str, list[dict[str, Any]]]:
    """No-op-ish arguments for each mutation, by ``namespace.mutation``: updates that change nothing, on
    A's and B's entities; writes aimed at B or linking A to B, which must be refused; nothing that grows
    A's lists (the walk's pages must hold them)."""

    def one(kind: str, side: str, index: int = 0) -> Any:
        return ids[kind][side][index]

    a, b = names["A"], names["B"]
    cram = {"type": "cram", "status": "COMPLETED", "meta": {}}
    template = {"name": "walk", "description": "walk", "criteria": {"projects": [b]}}
    spec = {"name": "walk", "description": "walk"}
    comment_kinds = {
        "project": "GraphQLProjectId", "participant": "GraphQLParticipant", "family": "GraphQLFamily",
        "sample": "GraphQLSample", "sequencingGroup": "GraphQLSequencingGroup", "assay": "GraphQLAssay",
    }  # fmt: skip
    table: dict[str, list[dict[str, Any]]] = {
        f"{kind}.addComment": [{"id": one(t, "B"), "content": "walk"}] for kind, t in comment_kinds.items()
    }
    table |= {
        "analysis.createAnalysis": [
            {"project": a, "analysis": {**cram, "sequencingGroupIds": [one("GraphQLSequencingGroup", "B")]}},
            {"project": a, "analysis": {**cram, "cohortIds": [one("GraphQLCohort", "B")]}},
            {"project": b, "analysis": {**cram, "sequencingGroupIds": [one("GraphQLSequencingGroup", "A")]}},
        ],
        "analysis.updateAnalysis": [
            {"analysisId": i, "analysis": {}} for s in SIDES for i in ids["GraphQLAnalysis"][s]
        ],
        "analysisRunner.createAnalysisRunnerLog": [
            {
                "project": b,
                "analysisRunner": {
                    "arGuid": "walk",
                    "accessLevel": "test",
                    "repository": "r",
                    "commit": "c",
                    "script": "s",
                    "description": "d",
                    "driverImage": "i",
                    "configPath": "c",
                    "environment": "gcp",
                    "batchUrl": "u",
                    "submittingUser": "u",
                    "meta": {},
                    "outputPath": "o",
                },
            }
        ],
        "analysisRunner.updateAnalysisRunnerLogOutcome": [
            {"arGuid": one("GraphQLAnalysisRunner", "B"), "status": "walk"}
        ],
        "assay.createAssay": [
            {"assay": {"sampleId": one("GraphQLSample", "B"), **sequencing_assay("gs://b/walk.fq")}}
        ],
        "assay.updateAssay": _sides(lambda s: {"assay": {"id": one("GraphQLAssay", s)}}),
        "cohort.createCohortFromCriteria": [
            {"project": a, "cohortSpec": spec, "cohortCriteria": {"projects": [a, b]}, "dryRun": True},
            {
                "project": a,
                "cohortSpec": {**spec, "templateId": one("GraphQLCohortTemplate", "B")},
                "dryRun": True,
            },
            {
                "project": a,
                "cohortSpec": spec,
                "cohortCriteria": {"sgIdsInternal": [one("GraphQLSequencingGroup", "B")]},
                "dryRun": True,
            },
            {"project": b, "cohortSpec": spec, "cohortCriteria": {"projects": [b]}, "dryRun": True},
        ],
        "cohort.createCohortTemplate": [
            {"project": a, "template": template},
            {"project": b, "template": template},
        ],
        "cohort.updateCohort": [{"id": i, "cohort": {}} for s in SIDES for i in ids["GraphQLCohort"][s]],
        "comment.addCommentToThread": [{"parentId": one("GraphQLComment", "B"), "content": "walk"}],
        "comment.updateComment": [  # with the content it has
            {"id": one("GraphQLComment", s), "content": one("commentContent", s)} for s in SIDES
        ],
        "comment.deleteComment": [{"id": i} for i in ids["deletedComment"]["B"]],
        "comment.restoreComment": [  # the active ones
            {"id": i} for s in SIDES for i in ids["GraphQLComment"][s] if i not in ids["deletedComment"][s]
        ],
        "family.updateFamily": _sides(lambda s: {"family": {"id": one("GraphQLFamily", s)}}),
        "participant.upsertParticipants": [
            {"project": a, "participants": [{"id": one("GraphQLParticipant", "A")}]},
            {"project": a, "participants": [{"id": one("GraphQLParticipant", "B")}]},
            {"project": b, "participants": [{"id": one("GraphQLParticipant", "B")}]},
        ],
        "participant.updateParticipant": _sides(
            lambda s: {"participantId": one("GraphQLParticipant", s), "participant": {}}
        ),
        "participant.updateParticipantFamily": _sides(
            lambda s: {
                "participantId": one("GraphQLParticipant", s),
                "oldFamilyId": one("GraphQLFamily", s),
                "newFamilyId": one("GraphQLFamily", s),
            }
        ),
        "project.createProject": [{"name": b, "dataset": b, "createTestProject": False}],
        "project.updateProject": _sides(lambda s: {"project": names[s], "projectUpdateModel": {}}),
        "project.updateProjectMembers": _sides(lambda s: {"project": names[s], "members": members[names[s]]}),
        "sample.createSample": [
            {"project": b, "sample": {"externalIds": {"": "walk"}, "type": "blood"}},
            {
                "project": a,
                "sample": {
                    "externalIds": {"": "walk"},
                    "type": "blood",
                    "participantId": one("GraphQLParticipant", "B"),
                },
            },
        ],
        "sample.upsertSamples": [
            {"project": a, "samples": [{"id": one("GraphQLSample", "A")}]},
            {"project": a, "samples": [{"id": one("GraphQLSample", "B")}]},
            {"project": b, "samples": [{"id": one("GraphQLSample", "B")}]},
        ],
        "sample.updateSample": _sides(lambda s: {"sample": {"id": one("GraphQLSample", s)}}),
        "sequencingGroup.updateSequencingGroup": [
            {"project": a, "sequencingGroup": {"id": one("GraphQLSequencingGroup", "A")}},
            {"project": a, "sequencingGroup": {"id": one("GraphQLSequencingGroup", "B")}},
            {"project": b, "sequencingGroup": {"id": one("GraphQLSequencingGroup", "B")}},
        ],
        "sequencingGroup.archiveSequencingGroups": [{"sequencingGroupIds": ids["archivedGroup"]["B"]}],
    }
    return table


def mutation_calls(schema: GraphQLSchema, table: dict[str, list[dict[str, Any]]]) -> list[EntryPoint]:
    """Every mutation of the schema, once per recipe; a mutation without one fails here."""
    mutation = schema.mutation_type
    assert mutation is not None
    calls: list[EntryPoint] = []
    for namespace, definition in mutation.fields.items():
        holder = unwrap(definition.type)[0]
        assert isinstance(holder, GraphQLObjectType)
        for name, field in holder.fields.items():
            key = f"{namespace}.{name}"
            assert table.get(key), f"no arguments for the mutation {key}: add a recipe to walk_plan.recipes"
            named, is_list = unwrap(field.type)
            for args in table[key]:
                calls.append(EntryPoint(holder.name, Node(name, named.name, is_list, None, args), namespace))
    return calls
