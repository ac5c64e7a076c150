"""Request bodies of the ``/web``, ``/cohort`` and ``/project-insights`` routes, as the published
``metamist`` client sends them (the class names are Metamist's, so ``/participants/schema`` names them
alike)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GenericFilter(_Body, Generic[T]):
    """One column's filter: every operator given must hold (``neq``: not equal; ``isnull``: missing)."""

    eq: T | None = None
    neq: T | None = None
    in_: list[T] | None = None
    nin: list[T] | None = None
    gt: T | None = None
    gte: T | None = None
    lt: T | None = None
    lte: T | None = None
    contains: T | None = None
    icontains: T | None = None
    startswith: T | None = None
    isnull: bool | None = None


# {meta key (dotted for nested objects): its filter}
GenericMetaFilter = dict[str, GenericFilter[Any]]


class ParticipantGridParticipantFilter(_Body):
    id: GenericFilter[int] | None = None
    meta: GenericMetaFilter | None = None
    external_id: GenericFilter[str] | None = None
    reported_sex: GenericFilter[int] | None = None
    reported_gender: GenericFilter[str] | None = None
    karyotype: GenericFilter[str] | None = None


class ParticipantGridFamilyFilter(_Body):
    id: GenericFilter[int] | None = None
    external_id: GenericFilter[str] | None = None
    meta: GenericMetaFilter | None = None


class ParticipantGridSampleFilter(_Body):
    id: GenericFilter[str] | None = None
    type: GenericFilter[str] | None = None
    external_id: GenericFilter[str] | None = None
    meta: GenericMetaFilter | None = None


class ParticipantGridSequencingGroupFilter(_Body):
    id: GenericFilter[str] | None = None
    external_id: GenericFilter[str] | None = None
    meta: GenericMetaFilter | None = None
    type: GenericFilter[str] | None = None
    technology: GenericFilter[str] | None = None
    platform: GenericFilter[str] | None = None


class ParticipantGridAssayFilter(_Body):
    id: GenericFilter[int] | None = None
    external_id: GenericFilter[str] | None = None
    meta: GenericMetaFilter | None = None
    type: GenericFilter[str] | None = None


class ProjectParticipantGridFilter(_Body):
    """Which participants the grid shows, and which of their samples, groups and assays."""

    family: ParticipantGridFamilyFilter | None = None
    participant: ParticipantGridParticipantFilter | None = None
    sample: ParticipantGridSampleFilter | None = None
    sequencing_group: ParticipantGridSequencingGroupFilter | None = None
    assay: ParticipantGridAssayFilter | None = None


class MetaSearchEntityPrefix(StrEnum):
    """The grid's entities, as the keys of its ``fields``."""

    participant = "p"
    sample = "s"
    assay = "a"
    family = "f"
    sequencing_group = "sg"


class ProjectParticipantGridFilterType(StrEnum):
    eq = "eq"
    neq = "neq"
    starts_with = "startswith"  # not ``startswith``: a str method
    icontains = "icontains"
    gt = "gt"
    gte = "gte"
    lt = "lt"
    lte = "lte"


class ProjectParticipantGridField(BaseModel):
    """A column of the grid: ``key`` is a field (``id``, ``external_ids``, ...) or ``meta.<key>``."""

    key: str
    label: str
    is_visible: bool
    filter_key: str | None = None
    filter_types: list[ProjectParticipantGridFilterType] | None = None


class ExportType(StrEnum):
    """The published client's ``ExportType``: of the participant grid's export and of REST's text downloads."""

    csv = "csv"
    tsv = "tsv"
    json = "json"


class ExportProjectParticipantFields(_Body):
    fields: dict[MetaSearchEntityPrefix, list[ProjectParticipantGridField]]


class SeqrDatasetType(StrEnum):
    """An ES index type that can be synchronised to seqr."""

    SNV_INDEL = "SNV_INDEL"
    SV = "SV"
    SV_WES = "SV_WES"
    MITO = "MITO"


class CohortBody(_Body):
    name: str
    description: str
    template_id: str | None = None


class CohortCriteria(_Body):
    projects: list[str] | None = Field(default_factory=list)
    sg_ids_internal: list[str] | None = None
    excluded_sgs_internal: list[str] | None = None
    sg_technology: list[str] | None = None
    sg_platform: list[str] | None = None
    sg_type: list[str] | None = None
    sample_type: list[str] | None = None


class CohortTemplate(_Body):
    id: int | str | None = None
    name: str
    description: str
    criteria: CohortCriteria
