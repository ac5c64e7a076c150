"""The columns of Metamist's participant grid (``fields`` of its answer, and the columns of its export).

Each entity (family, participant, sample, sequencing group, assay) has its fixed columns and one column
per meta key seen in the rows (or named by the filter). A meta column is visible when some row has a
value worth showing (not null, not empty; false and 0 count) and it is not one of the keys hidden by
default (read files, and the sequencing fields every assay repeats); a key named by the filter is shown
even when hidden by default.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from genolog.metadata.models_web import (
    MetaSearchEntityPrefix,
    ProjectParticipantGridField,
    ProjectParticipantGridFilter,
    ProjectParticipantGridFilterType,
)

Prefix = MetaSearchEntityPrefix
Field = ProjectParticipantGridField
_NUMERIC = [
    ProjectParticipantGridFilterType.eq,
    ProjectParticipantGridFilterType.neq,
    ProjectParticipantGridFilterType.gt,
    ProjectParticipantGridFilterType.gte,
    ProjectParticipantGridFilterType.lt,
    ProjectParticipantGridFilterType.lte,
]
_EQUALITY = [ProjectParticipantGridFilterType.eq, ProjectParticipantGridFilterType.neq]
HIDDEN_META = {
    Prefix.sample: {"reads", "vcfs", "gvcf"},
    Prefix.assay: {
        "reads",
        "vcfs",
        "gvcf",
        "sequencing_platform",
        "sequencing_technology",
        "sequencing_type",
    },
}


class _HasMeta(Protocol):
    @property
    def meta(self) -> dict[str, Any]: ...


def worth_showing(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, bool | int | float):
        return True
    return bool(value)


class MetaKeys:
    """Meta keys seen per entity, in the order first seen, with whether any value was worth showing."""

    def __init__(self, grid_filter: ProjectParticipantGridFilter) -> None:
        self.seen: dict[Prefix, dict[str, bool]] = {prefix: {} for prefix in Prefix}
        self.asked: dict[Prefix, set[str]] = {prefix: set() for prefix in Prefix}
        self.has_groups = self.has_assays = self.has_nested_samples = False
        self.has_sex = self.has_gender = self.has_karyotype = False
        by_prefix = {
            Prefix.family: grid_filter.family,
            Prefix.participant: grid_filter.participant,
            Prefix.sample: grid_filter.sample,
            Prefix.sequencing_group: grid_filter.sequencing_group,
            Prefix.assay: grid_filter.assay,
        }
        for prefix, spec in by_prefix.items():
            if spec is not None and spec.meta:
                self.asked[prefix] = set(spec.meta)
                self.seen[prefix].update(dict.fromkeys(spec.meta, True))

    def _meta(self, prefix: Prefix, rows: Iterable[_HasMeta]) -> None:
        seen = self.seen[prefix]
        for row in rows:
            for key, value in (row.meta or {}).items():
                seen[key] = seen.get(key, False) or worth_showing(value)

    def add(self, participants: Iterable[Any]) -> None:
        """Take in a page of ``participant_grid.NestedParticipant``."""
        for p in participants:
            self._meta(Prefix.participant, [p])
            self._meta(Prefix.family, p.families)
            self.has_sex |= p.reported_sex is not None
            self.has_gender |= p.reported_gender is not None
            self.has_karyotype |= p.karyotype is not None
            for s in p.samples:
                self._meta(Prefix.sample, [s])
                self.has_nested_samples |= s.sample_parent_id is not None
                self.has_groups |= bool(s.sequencing_groups)
                for sg in s.sequencing_groups:
                    self._meta(Prefix.sequencing_group, [sg])
                    self.has_assays |= bool(sg.assays)
                    self._meta(Prefix.assay, sg.assays)

    def meta_fields(self, prefix: Prefix) -> list[Field]:
        hidden = HIDDEN_META.get(prefix, set()) - self.asked[prefix]
        return [
            Field(key=f"meta.{k}", label=k, is_visible=shown and k not in hidden, filter_key=f"meta.{k}")
            for k, shown in self.seen[prefix].items()
        ]

    def fields(self) -> dict[Prefix, list[Field]]:
        groups, assays, nested = self.has_groups, self.has_assays, self.has_nested_samples
        return {
            Prefix.family: [
                Field(key="external_ids", label="Family ID", is_visible=True, filter_key="external_id"),
                *self.meta_fields(Prefix.family),
            ],
            Prefix.participant: [
                Field(
                    key="id", label="Participant ID", is_visible=True, filter_key="id", filter_types=_NUMERIC
                ),
                Field(
                    key="external_ids",
                    label="External Participant ID",
                    is_visible=True,
                    filter_key="external_id",
                ),
                Field(
                    key="reported_sex",
                    label="Reported sex",
                    is_visible=self.has_sex,
                    filter_key="reported_sex",
                ),
                Field(
                    key="reported_gender",
                    label="Reported gender",
                    is_visible=self.has_gender,
                    filter_key="reported_gender",
                ),
                Field(
                    key="karyotype", label="Karyotype", is_visible=self.has_karyotype, filter_key="karyotype"
                ),
                *self.meta_fields(Prefix.participant),
            ],
            Prefix.sample: [
                Field(key="id", label="Sample ID", is_visible=True, filter_key="id", filter_types=_EQUALITY),
                Field(
                    key="external_ids", label="External Sample ID", is_visible=True, filter_key="external_id"
                ),
                Field(key="type", label="Type", is_visible=True),
                Field(
                    key="sample_root_id",
                    label="Root Sample ID",
                    is_visible=nested,
                    filter_key="sample_root_id",
                ),
                Field(
                    key="sample_parent_id",
                    label="Parent Sample ID",
                    is_visible=nested,
                    filter_key="sample_root_id",
                ),
                Field(key="created_date", label="Created date", is_visible=True),
                *self.meta_fields(Prefix.sample),
            ],
            Prefix.sequencing_group: [
                Field(
                    key="id",
                    label="Sequencing Group ID",
                    is_visible=groups,
                    filter_key="id",
                    filter_types=_EQUALITY,
                ),
                Field(key="type", label="Type", is_visible=groups, filter_key="type"),
                Field(key="technology", label="Technology", is_visible=groups, filter_key="technology"),
                Field(key="platform", label="Platform", is_visible=groups, filter_key="platform"),
                *self.meta_fields(Prefix.sequencing_group),
            ],
            Prefix.assay: [
                Field(key="id", label="Assay ID", is_visible=True, filter_key="id", filter_types=_EQUALITY),
                Field(key="type", label="Type", is_visible=assays, filter_key="type"),
                *self.meta_fields(Prefix.assay),
            ],
        }


def fields(
    participants: Iterable[Any], grid_filter: ProjectParticipantGridFilter
) -> dict[Prefix, list[Field]]:
    """The grid's columns for these participants (``participant_grid.NestedParticipant``)."""
    keys = MetaKeys(grid_filter)
    keys.add(participants)
    return keys.fields()
