"""Mutations, namespaced by entity as in the published schema; each runs the REST API's store code."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from typing import Any, TypeVar

import strawberry
from pydantic import BaseModel, ValidationError
from strawberry.scalars import JSON
from strawberry.types import Info

from genolog.metadata import models
from genolog.metadata.errors import BadRequest
from genolog.metadata.graphql.analyses import GraphQLAnalysis, analysis_nodes
from genolog.metadata.graphql.cohorts import CohortMutations
from genolog.metadata.graphql.comments import CommentMutations, GraphQLComment, add_comment
from genolog.metadata.graphql.context import GraphQLContext, N, context_of, found_in, only
from genolog.metadata.graphql.filters import GraphQLAnalysisStatus
from genolog.metadata.graphql.participants import (
    GraphQLFamily,
    GraphQLParticipant,
    family_nodes,
    participant_nodes,
)
from genolog.metadata.graphql.projects import GraphQLProject, project_node
from genolog.metadata.graphql.samples import GraphQLAssay, GraphQLSample, assay_nodes, sample_nodes
from genolog.metadata.graphql.sequencing_groups import GraphQLSequencingGroup, sequencing_group_nodes
from genolog.metadata.service import analyses, assays, families, projects, sequencing_groups
from genolog.metadata.service import analysis_runner as runner_service
from genolog.metadata.service import participants as participant_service
from genolog.metadata.service import samples as sample_service
from genolog.metadata.service.reads.analyses import analysis_by_id
from genolog.metadata.service.reads.participants import family_by_id, participants_by_ids
from genolog.metadata.service.reads.samples import assay_by_id, samples_by_ids
from genolog.metadata.service.reads.sequencing_groups import sequencing_groups_by_ids

M = TypeVar("M", bound=BaseModel)


def _plain(value: Any) -> Any:
    """Strawberry input objects as plain data, leaving out fields that were not given."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if getattr(value, f.name) is not None
        }
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _model(model: type[M], value: Any) -> M:
    try:
        return model.model_validate(_plain(value))
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors())
        raise BadRequest(f"Invalid input: {problems}") from None


def _writing(info: Info[Any, Any]) -> GraphQLContext:
    ctx = context_of(info)
    if ctx.tx.audit is None:
        raise BadRequest("Mutations must be sent as a mutation operation")
    return ctx


# --- inputs ---------------------------------------------------------------------------------------------
# Derived from the REST bodies of ``models`` where the published schema allows: ``strawberry.auto`` takes a
# field's type from the model; JSON dicts, enums and fields the schema types differently are spelled out.
# A derived input lists the model's fields in the model's order, and excludes any it does not name
# (``SampleUpsert.nested_samples``). ``ParticipantUpsertInput`` and ``AnalysisInput`` stay hand-written:
# their published field order differs from their model's (``phenotypes``/``samples``; ``meta``).
# Inputs are checked by ``_model`` (not ``to_pydantic()``), which leaves out fields that were not given
# and answers a ``BadRequest`` naming every problem.


@strawberry.experimental.pydantic.input(model=models.AssayUpsert, name="AssayUpsertInput")
class AssayUpsertInput:
    id: strawberry.auto
    type: strawberry.auto
    external_ids: JSON | None = None
    sample_id: strawberry.auto
    meta: JSON | None = None


@strawberry.experimental.pydantic.input(model=models.SequencingGroupUpsert, name="SequencingGroupUpsertInput")
class SequencingGroupUpsertInput:
    id: strawberry.auto
    type: strawberry.auto
    technology: strawberry.auto
    platform: strawberry.auto
    meta: JSON | None = None
    sample_id: strawberry.auto
    external_ids: JSON | None = None
    assays: strawberry.auto


@strawberry.experimental.pydantic.input(model=models.SampleUpsert, name="SampleUpsertInput")
class SampleUpsertInput:
    id: strawberry.auto
    external_ids: JSON | None = None
    meta: JSON | None = None
    project: int | None = None
    type: strawberry.auto
    participant_id: strawberry.auto
    active: strawberry.auto
    sequencing_groups: strawberry.auto
    non_sequencing_assays: strawberry.auto


@strawberry.input(name="ParticipantUpsertInput")
class ParticipantUpsertInput:
    id: int | None = None
    external_ids: JSON | None = None
    reported_sex: int | None = None
    reported_gender: str | None = None
    karyotype: str | None = None
    meta: JSON | None = None
    phenotypes: JSON | None = None
    samples: list[SampleUpsertInput] | None = None


@strawberry.input(name="AnalysisInput")
class AnalysisInput:
    type: str
    status: GraphQLAnalysisStatus
    meta: JSON
    output: str | None = None
    outputs: JSON | None = None
    sequencing_group_ids: list[str] | None = None
    cohort_ids: list[str] | None = None
    author: str | None = None
    timestamp_completed: str | None = None
    active: bool | None = None


@strawberry.experimental.pydantic.input(model=models.AnalysisUpdate, name="AnalysisUpdateInput")
class AnalysisUpdateInput:
    status: GraphQLAnalysisStatus | None = None
    output: strawberry.auto
    outputs: JSON | None = None
    meta: JSON | None = None
    active: strawberry.auto


@strawberry.input(name="SequencingGroupMetaUpdateInput")
class SequencingGroupMetaUpdateInput:
    id: str | None = None
    meta: JSON | None = None


@strawberry.experimental.pydantic.input(model=models.FamilyUpdate, name="FamilyUpdateInput")
class FamilyUpdateInput:
    id: strawberry.auto
    external_ids: JSON | None = None
    description: strawberry.auto
    coded_phenotype: strawberry.auto
    meta: JSON | None = None


@strawberry.experimental.pydantic.input(model=models.ProjectMemberUpdate, name="ProjectMemberUpdateInput")
class ProjectMemberUpdateInput:
    member: strawberry.auto
    roles: list[str]


@strawberry.input(name="AnalysisRunnerInput")
class AnalysisRunnerInput:
    ar_guid: str
    access_level: str
    repository: str
    commit: str
    script: str
    description: str
    driver_image: str
    config_path: str
    environment: str
    batch_url: str
    submitting_user: str
    meta: JSON
    output_path: str
    hail_version: str | None = None
    cwd: str | None = None
    status: str | None = None


# --- read back what was written -----------------------------------------------------------------------------


def _analysis(ctx: GraphQLContext, analysis_id: int) -> GraphQLAnalysis:
    found = analysis_nodes(ctx, analysis_by_id(ctx, analysis_id))
    return only(found, f"Analysis {analysis_id} not found")


def _by_id(nodes: list[N], ids: list[int], what: str, fmt: Callable[[int], Any] = str) -> list[N]:
    """Nodes in the order of ``ids`` (each found by the checked loaders, or "not found")."""
    by_id = {n.pk: n for n in nodes}
    return [found_in(by_id, i, f"{what} {fmt(i)} not found") for i in ids]


def _samples(ctx: GraphQLContext, formatted_ids: list[str]) -> list[GraphQLSample]:
    ids = [ctx.tx.codecs.sample.parse(i) for i in formatted_ids]
    found = sample_nodes(ctx, samples_by_ids(ctx, ids))
    return _by_id(found, ids, "Sample", ctx.tx.codecs.sample.format)


def _participants(ctx: GraphQLContext, ids: list[int]) -> list[GraphQLParticipant]:
    found = participant_nodes(ctx, participants_by_ids(ctx, ids))
    return _by_id(found, ids, "Participant")


def _assay(ctx: GraphQLContext, assay_id: int) -> GraphQLAssay:
    return only(assay_nodes(ctx, assay_by_id(ctx, assay_id)), f"Assay {assay_id} not found")


def _groups(ctx: GraphQLContext, ids: list[int]) -> list[GraphQLSequencingGroup]:
    found = sequencing_group_nodes(ctx, sequencing_groups_by_ids(ctx, ids))
    return _by_id(found, ids, "Sequencing group", ctx.tx.codecs.sequencing_group.format)


def _project(ctx: GraphQLContext, project_id: int) -> GraphQLProject:
    """The project a project mutation answers with: one its caller may administer without reading it
    shows only what the mutation acknowledges (see ``GraphQLProject``)."""
    return project_node(ctx, projects.changed(ctx, project_id))


# --- namespaces ---------------------------------------------------------------------------------------------


@strawberry.type
class AnalysisMutations:
    @strawberry.mutation
    def create_analysis(self, info: Info[Any, Any], project: str, analysis: AnalysisInput) -> GraphQLAnalysis:
        ctx = _writing(info)
        return _analysis(ctx, analyses.create(ctx, project, lambda: _model(models.Analysis, analysis)))

    @strawberry.mutation
    def update_analysis(
        self, info: Info[Any, Any], analysis_id: int, analysis: AnalysisUpdateInput
    ) -> GraphQLAnalysis:
        ctx = _writing(info)
        analyses.update(ctx, analysis_id, lambda: _model(models.AnalysisUpdate, analysis))
        return _analysis(ctx, analysis_id)


@strawberry.type
class SampleMutations:
    @strawberry.mutation
    def add_comment(self, info: Info[Any, Any], content: str, id: str) -> GraphQLComment:
        return add_comment(info, "sample", id, content)

    @strawberry.mutation
    def create_sample(self, info: Info[Any, Any], project: str, sample: SampleUpsertInput) -> GraphQLSample:
        ctx = _writing(info)
        # as metamist's: a primary external id already in use updates that sample
        created = sample_service.create(
            ctx, project, _model(models.SampleUpsert, sample), update_existing=True
        )
        return _samples(ctx, [created])[0]

    @strawberry.mutation
    def upsert_samples(
        self, info: Info[Any, Any], project: str, samples: list[SampleUpsertInput]
    ) -> list[GraphQLSample] | None:  # nullable, as in the published schema
        ctx = _writing(info)
        items = [_model(models.SampleUpsert, item) for item in samples]
        return _samples(ctx, sample_service.upsert_many_ids(ctx, project, items))

    @strawberry.mutation
    def update_sample(self, info: Info[Any, Any], sample: SampleUpsertInput) -> GraphQLSample:
        ctx = _writing(info)
        if not sample.id:
            raise BadRequest("updateSample needs the sample's id")
        sample_service.update(ctx, sample.id, _model(models.SampleUpsert, sample))
        return _samples(ctx, [sample.id])[0]


@strawberry.type
class ParticipantMutations:
    @strawberry.mutation
    def add_comment(self, info: Info[Any, Any], content: str, id: int) -> GraphQLComment:
        return add_comment(info, "participant", id, content)

    @strawberry.mutation
    def upsert_participants(
        self, info: Info[Any, Any], project: str, participants: list[ParticipantUpsertInput]
    ) -> list[GraphQLParticipant]:
        ctx = _writing(info)
        items = [_model(models.ParticipantUpsert, item) for item in participants]
        return _participants(ctx, participant_service.upsert_many_ids(ctx, project, items))

    @strawberry.mutation
    def update_participant(
        self, info: Info[Any, Any], participant_id: int, participant: ParticipantUpsertInput
    ) -> GraphQLParticipant:
        ctx = _writing(info)
        participant.id = participant_id  # the argument names the participant, whatever the input's id
        participant_service.update(ctx, participant_id, _model(models.ParticipantUpsert, participant))
        return _participants(ctx, [participant_id])[0]

    @strawberry.mutation
    def update_participant_family(
        self, info: Info[Any, Any], participant_id: int, old_family_id: int, new_family_id: int
    ) -> UpdateParticipantFamilyType:
        ctx = _writing(info)
        families.move_participant(ctx, participant_id, old_family_id, new_family_id)
        return UpdateParticipantFamilyType(family_id=new_family_id, participant_id=participant_id)


@strawberry.type(name="UpdateParticipantFamilyType")
class UpdateParticipantFamilyType:
    family_id: int
    participant_id: int


@strawberry.type
class AssayMutations:
    @strawberry.mutation
    def add_comment(self, info: Info[Any, Any], content: str, id: int) -> GraphQLComment:
        return add_comment(info, "assay", id, content)

    @strawberry.mutation
    def create_assay(self, info: Info[Any, Any], assay: AssayUpsertInput) -> GraphQLAssay:
        ctx = _writing(info)
        if assay.id is not None or not assay.sample_id:
            raise BadRequest("createAssay needs a sample_id and no id")
        return _assay(ctx, assays.create(ctx, _model(models.AssayUpsert, assay)))

    @strawberry.mutation
    def update_assay(self, info: Info[Any, Any], assay: AssayUpsertInput) -> GraphQLAssay:
        ctx = _writing(info)
        if assay.id is None:
            raise BadRequest("updateAssay needs the assay's id")
        # GraphQL's updateAssay has always ignored ``sampleId`` (REST's refuses to move an assay)
        change = _model(models.AssayUpsert, assay).model_copy(update={"sample_id": None})
        return _assay(ctx, assays.update(ctx, change))


@strawberry.type
class SequencingGroupMutations:
    @strawberry.mutation
    def add_comment(self, info: Info[Any, Any], content: str, id: str) -> GraphQLComment:
        return add_comment(info, "sequencing_group", id, content)

    @strawberry.mutation
    def update_sequencing_group(
        self, info: Info[Any, Any], project: str, sequencing_group: SequencingGroupMetaUpdateInput
    ) -> GraphQLSequencingGroup:
        ctx = _writing(info)
        if not sequencing_group.id:
            raise BadRequest("updateSequencingGroup needs the sequencing group's id")
        meta: Any = sequencing_group.meta or {}
        return _groups(ctx, [sequencing_groups.update_meta(ctx, project, sequencing_group.id, meta)])[0]

    @strawberry.mutation
    def archive_sequencing_groups(
        self, info: Info[Any, Any], sequencing_group_ids: list[str]
    ) -> list[GraphQLSequencingGroup]:
        ctx = _writing(info)
        return _groups(ctx, sequencing_groups.archive(ctx, sequencing_group_ids))


@strawberry.type
class FamilyMutations:
    @strawberry.mutation
    def add_comment(self, info: Info[Any, Any], content: str, id: int) -> GraphQLComment:
        return add_comment(info, "family", id, content)

    @strawberry.mutation
    def update_family(self, info: Info[Any, Any], family: FamilyUpdateInput) -> GraphQLFamily:
        ctx = _writing(info)
        families.update(ctx, _model(models.FamilyUpdate, family))
        found = family_nodes(ctx, family_by_id(ctx, family.id))
        return only(found, f"Family {family.id} not found")


@strawberry.type
class ProjectMutations:
    @strawberry.mutation
    def add_comment(self, info: Info[Any, Any], content: str, id: int) -> GraphQLComment:
        return add_comment(info, "project", id, content)

    @strawberry.mutation
    def create_project(
        self, info: Info[Any, Any], name: str, dataset: str, create_test_project: bool
    ) -> GraphQLProject:
        ctx = _writing(info)
        return _project(ctx, projects.create(ctx, name, dataset, create_test_project))

    @strawberry.mutation
    def update_project(
        self, info: Info[Any, Any], project: str, project_update_model: JSON
    ) -> GraphQLProject:
        ctx = _writing(info)
        return _project(ctx, projects.update(ctx, project, lambda: project_update_model))

    @strawberry.mutation
    def update_project_members(
        self, info: Info[Any, Any], project: str, members: list[ProjectMemberUpdateInput]
    ) -> GraphQLProject:
        ctx = _writing(info)

        def checked() -> list[models.ProjectMemberUpdate]:
            return [_model(models.ProjectMemberUpdate, m) for m in members]

        return _project(ctx, projects.set_members(ctx, project, checked))


@strawberry.type
class AnalysisRunnerMutations:
    @strawberry.mutation
    def create_analysis_runner_log(
        self, info: Info[Any, Any], project: str, analysis_runner: AnalysisRunnerInput
    ) -> str:
        ctx = _writing(info)
        record = _plain(analysis_runner)
        meta = record.pop("meta", {})
        status = record.pop("status", None)
        record.setdefault("cwd", None)
        record.setdefault("hail_version", None)
        return runner_service.create(ctx, project, record, meta, status)

    @strawberry.mutation
    def update_analysis_runner_log_outcome(
        self,
        info: Info[Any, Any],
        ar_guid: str,
        status: str,
        exit_code: int | None = None,
        duration_seconds: float | None = None,
    ) -> str:
        """Record how a run ended (succeeded, failed or cancelled), its exit code and duration."""
        ctx = _writing(info)
        runner_service.finish(ctx, ar_guid, status, exit_code, duration_seconds)
        return ar_guid


@strawberry.type
class Mutation:
    @strawberry.field
    def analysis(self) -> AnalysisMutations:
        return AnalysisMutations()

    @strawberry.field
    def sample(self) -> SampleMutations:
        return SampleMutations()

    @strawberry.field
    def participant(self) -> ParticipantMutations:
        return ParticipantMutations()

    @strawberry.field
    def assay(self) -> AssayMutations:
        return AssayMutations()

    @strawberry.field
    def sequencing_group(self) -> SequencingGroupMutations:
        return SequencingGroupMutations()

    @strawberry.field
    def family(self) -> FamilyMutations:
        return FamilyMutations()

    @strawberry.field
    def project(self) -> ProjectMutations:
        return ProjectMutations()

    @strawberry.field
    def comment(self) -> CommentMutations:
        return CommentMutations()

    @strawberry.field
    def analysis_runner(self) -> AnalysisRunnerMutations:
        return AnalysisRunnerMutations()

    @strawberry.field
    def cohort(self) -> CohortMutations:
        return CohortMutations()
