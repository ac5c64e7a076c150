"""Request bodies of the REST API, field for field as the published ``metamist`` client sends them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

Meta = dict[str, Any]
ExternalIds = dict[str, str | None]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AnalysisStatus(StrEnum):
    queued = "queued"
    in_progress = "in-progress"
    failed = "failed"
    completed = "completed"
    unknown = "unknown"


class Role(StrEnum):
    reader = "reader"
    contributor = "contributor"
    writer = "writer"
    project_admin = "project_admin"
    project_member_admin = "project_member_admin"


class AssayUpsert(_Body):
    id: int | None = None
    type: str | None = None
    external_ids: ExternalIds | None = None
    sample_id: str | None = None
    meta: Meta | None = None


class SequencingGroupUpsert(_Body):
    id: str | None = None
    type: str | None = None
    technology: str | None = None
    platform: str | None = None
    meta: Meta | None = None
    sample_id: str | None = None
    external_ids: ExternalIds | None = None
    assays: list[AssayUpsert] | None = None


class SampleUpsert(_Body):
    id: str | None = None
    external_ids: ExternalIds | None = None
    meta: Meta | None = None
    project: Any = None  # sent by some clients; the project always comes from the path
    type: str | None = None
    participant_id: int | None = None
    active: bool | None = None
    nested_samples: list[SampleUpsert] | None = None
    sequencing_groups: list[SequencingGroupUpsert] | None = None
    non_sequencing_assays: list[AssayUpsert] | None = None


class ParticipantUpsert(_Body):
    id: int | None = None
    external_ids: ExternalIds | None = None
    reported_sex: int | None = Field(default=None, ge=0, le=2)
    reported_gender: str | None = None
    karyotype: str | None = None
    meta: Meta | None = None
    samples: list[SampleUpsert] | None = None
    phenotypes: dict[str, Any] | None = None


class ProjectMemberUpdate(_Body):
    member: str = Field(min_length=1)
    roles: list[Role]


class GetSamplesCriteria(_Body):
    sample_ids: list[str] | None = None
    meta: Meta | None = None
    participant_ids: list[int] | None = None
    project_ids: list[str] | None = None
    active: bool | None = True


class QueryParticipantCriteria(_Body):
    external_participant_ids: list[str] | None = None
    internal_participant_ids: list[int] | None = None


class AssayQueryCriteria(_Body):
    sample_ids: list[str] | None = None
    assay_ids: list[int] | None = None
    external_assay_ids: list[str] | None = None
    assay_meta: Meta | None = None
    sample_meta: Meta | None = None
    projects: list[str] | None = None
    assay_types: list[str] | None = None


class SequencingGroupMetaUpdate(_Body):
    meta: Meta | None = None


class FamilyUpdate(_Body):
    id: int
    external_ids: ExternalIds | None = None
    description: str | None = None
    coded_phenotype: str | None = None
    meta: Meta | None = None


class Analysis(_Body):
    type: str
    status: AnalysisStatus
    id: int | None = None
    output: str | None = None
    outputs: Any = None
    sequencing_group_ids: list[str] | None = None
    cohort_ids: list[str] | None = None
    author: str | None = None
    timestamp_completed: datetime | None = None
    project: Any = None
    active: bool | None = None
    meta: Meta | None = None


class SequencingGroupRef(_Body):
    """A sequencing group named without its id: its sample's primary external id and its kind."""

    sample: str = Field(min_length=1)
    type: str = Field(min_length=1)
    technology: str = Field(min_length=1)
    platform: str = Field(min_length=1)


class IngestAnalysis(_Body):
    """An analysis of one sequencing group sent with a bulk ingest (QC values from a metadata sheet)."""

    type: str = Field(min_length=1)
    status: AnalysisStatus = AnalysisStatus.completed
    meta: Meta | None = None
    output: str | None = None
    sequencing_group: SequencingGroupRef


class AnalysisUpdate(_Body):
    status: AnalysisStatus | None = None
    output: str | None = None
    outputs: Any = None
    meta: Meta | None = None
    active: bool | None = None


class AnalysisQuery(_Body):
    sequencing_group_ids: list[str] | None = None
    projects: list[str] | None = None
    type: str | None = None
    status: AnalysisStatus | None = None
    meta: Meta | None = None
    output: str | None = None
    active: bool | None = None


class LatestCompleteQuery(_Body):
    meta: Meta | None = None


class TemporalMethod(StrEnum):
    """How the CRAM proportionate map dates a sequencing group's storage (``service.cram_proportions``)."""

    SAMPLE_CREATE_DATE = "SAMPLE_CREATE_DATE"
    ES_INDEX_DATE = "ES_INDEX_DATE"


class ProportionateMapQuery(_Body):
    projects: list[str]
    temporal_methods: list[TemporalMethod]
    sequencing_types: list[str] | None = None
