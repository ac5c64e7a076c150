"""Metamist's participant-grid export (``POST /web/{project}/participants/export/{csv|tsv|json}``): every
participant the grid's filter keeps, streamed a page of participants at a time, so memory stays bounded
however large the project.

JSON is the list of the grid's participants. CSV and TSV have one row per assay shown (a participant
without one has no row), with the visible columns of each entity, headed ``<entity>.<key>``: the columns
asked for, or else the grid's default columns for the whole export (found by a first pass over it).
A list cell joins its items with ``, ``; an external-id map shows ``org: id`` pairs (the primary id bare).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import BaseModel

from genolog.metadata.errors import BadRequest
from genolog.metadata.models_web import (
    ExportProjectParticipantFields,
    ExportType,
    MetaSearchEntityPrefix,
    ProjectParticipantGridField,
    ProjectParticipantGridFilter,
)
from genolog.metadata.service import participant_grid
from genolog.metadata.service.assays import Assay
from genolog.metadata.service.grid_fields import MetaKeys
from genolog.metadata.service.participant_grid import (
    FamilySimple,
    NestedParticipant,
    NestedSample,
    NestedSequencingGroup,
)
from genolog.metadata.service.session import Session
from genolog.metadata.spreadsheet import SpreadsheetChunks

PAGE = 200  # participants read at a time
Prefix = MetaSearchEntityPrefix
MEDIA_TYPES = {
    ExportType.csv: "text/csv",
    ExportType.tsv: "text/tab-separated-values",
    ExportType.json: "application/json",
}
_HEADINGS: dict[Prefix, tuple[str, type[BaseModel]]] = {
    Prefix.family: ("family", FamilySimple),
    Prefix.participant: ("participant", NestedParticipant),
    Prefix.sample: ("sample", NestedSample),
    Prefix.sequencing_group: ("sequencing_group", NestedSequencingGroup),
    Prefix.assay: ("assay", Assay),
}
Pages = Callable[[], Iterator[list[NestedParticipant]]]


@dataclass
class Export:
    media_type: str
    chunks: Generator[str, None, None]


def cell(value: Any) -> str:
    """A value as one cell's text."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(cell(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {cell(v)}" if k else cell(v) for k, v in value.items())
    if isinstance(value, BaseModel):
        return cell(value.model_dump(mode="json"))
    return str(value)


def _value(row: BaseModel, key: str) -> Any:
    if key.startswith("meta."):
        return getattr(row, "meta", {}).get(key[5:])
    return getattr(row, key)


def _check(columns: dict[Prefix, list[ProjectParticipantGridField]]) -> None:
    """Every column asked for is ``meta.<key>`` or a field of its entity (else a 400 naming it)."""
    for prefix, chosen in columns.items():
        name, model = _HEADINGS[prefix]
        for field in chosen:
            if not field.key.startswith("meta.") and field.key not in model.model_fields:
                known = ", ".join(model.model_fields)
                raise BadRequest(f"Export field {field.key!r} is not a field of a {name} (fields: {known})")


def export(
    session: Session,
    project: str,
    export_type: ExportType,
    grid_filter: ProjectParticipantGridFilter,
    chosen: ExportProjectParticipantFields | None,
) -> Export:
    """The export of a project the caller may read. The project, the filter and the columns are checked
    before this returns; the chunks must then be read (or closed) in the same transaction."""
    pages = participant_grid.participant_pages(session, project, grid_filter, PAGE)
    if export_type == ExportType.json:
        return Export(MEDIA_TYPES[export_type], _json(pages))
    columns = chosen.fields if chosen is not None and chosen.fields else None
    if columns is not None:
        _check(columns)
    delimiter = "," if export_type == ExportType.csv else "\t"
    return Export(MEDIA_TYPES[export_type], _delimited(pages, columns, delimiter))


def _json(pages: Pages) -> Generator[str, None, None]:
    yield "["
    first = True
    for page in pages():
        items = ",".join(orjson.dumps(p.model_dump(mode="json")).decode() for p in page)
        if items:
            yield items if first else "," + items
            first = False
    yield "]"


def _default_columns(pages: Pages) -> dict[Prefix, list[ProjectParticipantGridField]]:
    keys = MetaKeys(ProjectParticipantGridFilter())
    for page in pages():
        keys.add(page)
    return keys.fields()


def _delimited(
    pages: Pages, columns: dict[Prefix, list[ProjectParticipantGridField]] | None, delimiter: str
) -> Generator[str, None, None]:
    shown = columns if columns is not None else _default_columns(pages)
    visible = {prefix: [f.key for f in shown.get(prefix, []) if f.is_visible] for prefix in Prefix}
    writer = SpreadsheetChunks(delimiter)

    writer.writerow(
        f"{_HEADINGS[prefix][0]}.{key}"
        for prefix in (
            Prefix.family,
            Prefix.participant,
            Prefix.sample,
            Prefix.sequencing_group,
            Prefix.assay,
        )
        for key in visible[prefix]
    )
    yield writer.take()
    for page in pages():
        for participant in page:
            prow = [
                ", ".join(cell(_value(f, key)) for f in participant.families)
                for key in visible[Prefix.family]
            ]
            prow += [cell(_value(participant, key)) for key in visible[Prefix.participant]]
            for sample in participant.samples:
                srow = [cell(_value(sample, key)) for key in visible[Prefix.sample]]
                for group in sample.sequencing_groups:
                    sgrow = [cell(_value(group, key)) for key in visible[Prefix.sequencing_group]]
                    for assay in group.assays:
                        writer.writerow(
                            [*prow, *srow, *sgrow, *(cell(_value(assay, k)) for k in visible[Prefix.assay])]
                        )
        yield writer.take()
