"""Manifest rows -> participants, samples, sequencing groups and assays -> the ingest records.

Three pure steps, so that a bad row can be dropped and the rest checked again:
`locate` finds each row's files, `group` checks and groups the rows, `to_records` writes the records
the server's ingest endpoint takes (``{"participant": ...}`` or ``{"sample": ...}`` per record, matched
by external ids, with nothing volatile in them: the same manifest always gives the same bytes).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genolog.ingest import files, reads
from genolog.ingest.issues import Issue, RowKey, where
from genolog.ingest.manifest import FileCell, Row
from genolog.paths import storage_problem

if TYPE_CHECKING:
    from cloudpathlib import CloudPath


@dataclass
class ReadFile:
    row: Row
    name: str  # as written in the manifest
    path: Path | CloudPath
    location: str
    kind: reads.Kind
    size: int
    checksum: str | None  # hex md5, from the checksum column or a sibling .md5 (or computed later)

    @property
    def basename(self) -> str:
        return self.location.rstrip("/").rsplit("/", 1)[-1]


Located = dict[RowKey, list[ReadFile]]


def _not_found(name: str, search_paths: Sequence[str], default_folder: str | None) -> str:
    if files.is_absolute(name):
        return f"file {name} not found"
    if default_folder is not None:
        return f"file {name} not found under {default_folder} (the manifest's folder; use --search-path)"
    return f"file {name} not found under --search-path {' or '.join(search_paths)}"


def locate(
    rows: Iterable[Row], search_paths: Sequence[str], manifest_folders: dict[str, str]
) -> tuple[Located, list[Issue]]:
    """Find every file of every row: its location, kind, size and known checksum.

    Wrong cloud credentials or an unreachable endpoint stop the search at the first file, as one
    whole-file issue (every other file would fail alike)."""
    located: Located = {}
    issues: list[Issue] = []
    seen: dict[str, Row] = {}
    for row in rows:
        found: list[ReadFile] = []
        for cell in row.files:
            try:
                result = _locate_one(row, cell, search_paths, manifest_folders[row.source], seen)
            except Exception as e:  # a cloud client's error: a message, not a traceback
                problem = storage_problem(e)
                result = f"cannot look for file {cell.name}: {problem.message}"
                if problem.everywhere:
                    message = f"{result} (no other file was looked for)"
                    issues.append(
                        Issue(row.source, row.line, row.column("filenames"), message, whole_file=True)
                    )
                    return located, issues
            if isinstance(result, str):
                issues.append(Issue(row.source, row.line, row.column("filenames"), result))
            else:
                found.append(result)
                seen[result.location] = row
        located[row.key] = found
    return located, issues


def _locate_one(
    row: Row, cell: FileCell, search_paths: Sequence[str], manifest_folder: str, seen: dict[str, Row]
) -> ReadFile | str:
    """The file, or what is wrong with it."""
    path = files.find(cell.name, search_paths or [manifest_folder])
    if path is None:
        return _not_found(cell.name, search_paths, None if search_paths else manifest_folder)
    location = files.location_of(path)
    basename = location.rsplit("/", 1)[-1]
    kind = reads.kind_of(basename)
    if kind is None:
        return f"file {cell.name} is not a read file (expected {reads.EXPECTED_EXTENSIONS})"
    if location in seen:
        first = seen[location]
        return f"file {cell.name} is listed twice (also on {where(first.source, first.line, row.source)})"
    checksum = cell.checksum
    if checksum is None:
        checksum, had_sibling = files.sibling_md5(path)
        if had_sibling and checksum is None:
            return f"{basename}.md5 does not hold an md5 checksum"
    return ReadFile(row, cell.name, path, location, kind, files.size_of(path), checksum)


# --- grouping ---


@dataclass
class Given:
    """Attributes that several rows of one entity may give: each value, and the row that first gave it."""

    values: dict[str, Any] = field(default_factory=dict)
    rows: dict[str, Row] = field(default_factory=dict)

    def check(self, row: Row, names: Sequence[str], entity: str) -> list[Issue]:
        """Rows of one entity must not disagree; an empty cell agrees with anything."""
        issues = []
        for name in names:
            value, first_value = getattr(row, name), self.values.get(name)
            if value is not None and first_value is not None and value != first_value:
                first = self.rows[name]
                on = where(first.source, first.line, row.source)
                issues.append(
                    Issue(
                        row.source,
                        row.line,
                        row.column(name),
                        f"{entity} is {value} here but {first_value} on {on}",
                    )
                )
        return issues

    def fill(self, row: Row, names: Sequence[str]) -> None:
        for name in names:
            if self.values.get(name) is None and getattr(row, name) is not None:
                self.values[name], self.rows[name] = getattr(row, name), row


PARTICIPANT_ATTRS = ("sex", "affected")
SAMPLE_ATTRS = ("sample_type",)
ASSAY_ATTRS = ("facility", "library", "read_end_type", "read_length")


@dataclass
class SequencingGroupPlan:
    first: Row
    type: str
    technology: str
    platform: str
    given: Given = field(default_factory=Given)
    files: list[ReadFile] = field(default_factory=list)
    pairs: list[tuple[ReadFile, ReadFile]] = field(default_factory=list)
    single: ReadFile | None = None  # a BAM or CRAM
    gvcf: ReadFile | None = None

    @property
    def reads_type(self) -> str:
        return self.single.kind if self.single else (self.pairs[0][0].kind if self.pairs else "")


@dataclass
class SamplePlan:
    first: Row
    external_id: str
    participant: str | None
    default_type: str
    given: Given = field(default_factory=Given)
    groups: dict[tuple[str, str, str], SequencingGroupPlan] = field(default_factory=dict)

    @property
    def type(self) -> str:
        return str(self.given.values.get("sample_type") or self.default_type)


@dataclass
class ParticipantPlan:
    first: Row
    external_id: str
    given: Given = field(default_factory=Given)
    samples: list[SamplePlan] = field(default_factory=list)


@dataclass
class Plan:
    #: in order of first appearance: participants (with their samples) and samples without one
    units: list[ParticipantPlan | SamplePlan]


def _participant_conflict(row: Row, sample: SamplePlan) -> Issue:
    first = sample.first
    on = where(first.source, first.line, row.source)
    here = f"under participant {row.participant}" if row.participant else "under no participant"
    there = f"under {sample.participant}" if sample.participant else "under none"
    return Issue(
        row.source,
        row.line,
        row.column("participant"),
        f"sample {row.sample} is {here} here but {there} on {on}",
    )


def group(rows: Sequence[Row], located: Located, default_sample_type: str) -> tuple[Plan, list[Issue]]:
    """Check the rows agree with each other and group them; FASTQs are paired per sequencing group."""
    issues: list[Issue] = []
    units: list[ParticipantPlan | SamplePlan] = []
    participants: dict[str, ParticipantPlan] = {}
    samples: dict[str, SamplePlan] = {}
    for row in rows:
        found: list[Issue] = []
        participant = participants.get(row.participant) if row.participant else None
        if participant is not None:
            found += participant.given.check(row, PARTICIPANT_ATTRS, f"participant {row.participant}")
        sample = samples.get(row.sample)
        if sample is not None:
            if sample.participant != row.participant:
                found.append(_participant_conflict(row, sample))
            found += sample.given.check(row, SAMPLE_ATTRS, f"sample {row.sample}")
        key = (row.sequencing_type, row.sequencing_technology, row.sequencing_platform)
        sg = sample.groups.get(key) if sample is not None else None
        if sg is not None:
            found += sg.given.check(
                row, ASSAY_ATTRS, f"sequencing group {'/'.join(key)} of sample {row.sample}"
            )
        if found:
            issues += found
            continue  # a conflicting row joins nothing
        if row.participant and participant is None:
            participant = ParticipantPlan(row, row.participant)
            participants[row.participant] = participant
            units.append(participant)
        if participant is not None:
            participant.given.fill(row, PARTICIPANT_ATTRS)
        if sample is None:
            sample = SamplePlan(row, row.sample, row.participant, default_sample_type)
            samples[row.sample] = sample
            if participant is not None:
                participant.samples.append(sample)
            else:
                units.append(sample)
        sample.given.fill(row, SAMPLE_ATTRS)
        row_files = located.get(row.key, [])
        if not row_files:
            continue
        if sg is None:
            sg = SequencingGroupPlan(row, *key)
            sample.groups[key] = sg
        sg.given.fill(row, ASSAY_ATTRS)
        sg.files += row_files
    for sample in samples.values():
        for sg in sample.groups.values():
            issues += _check_files(sample, sg)
    return Plan(units), issues


def _file_issue(f: ReadFile, message: str, involved: Iterable[ReadFile] = ()) -> Issue:
    rows = tuple(dict.fromkeys([f.row.key, *(g.row.key for g in involved)]))
    return Issue(f.row.source, f.row.line, f.row.column("filenames"), message, rows)


def _check_files(sample: SamplePlan, sg: SequencingGroupPlan) -> list[Issue]:
    """One kind of reads per sequencing group: FASTQ pairs, or one BAM, or one CRAM (and at most one gVCF)."""
    label = f"sample {sample.external_id} ({sg.type})"
    by_kind: dict[str, list[ReadFile]] = {}
    for f in sg.files:
        by_kind.setdefault(f.kind, []).append(f)
    issues: list[Issue] = []
    gvcfs = by_kind.pop("gvcf", [])
    if len(gvcfs) > 1:
        issues.append(
            _file_issue(
                gvcfs[1], f"{label} has more than one gVCF: {', '.join(g.basename for g in gvcfs)}", gvcfs
            )
        )
    sg.gvcf = gvcfs[0] if gvcfs else None
    if not by_kind:
        issues.append(_file_issue(gvcfs[0], f"{label} has a gVCF but no reads"))
        return issues
    if len(by_kind) > 1:
        kinds = list(by_kind)
        mixed = [f for f in sg.files if f.kind != "gvcf"]
        issues.append(
            _file_issue(mixed[0], f"{label} mixes {' and '.join(kinds)} reads in one sequencing group", mixed)
        )
        return issues
    kind, found = next(iter(by_kind.items()))
    if kind in ("bam", "cram"):
        if len(found) > 1:
            issues.append(
                _file_issue(
                    found[1],
                    f"{label} has more than one {kind}: {', '.join(f.basename for f in found)}",
                    found,
                )
            )
        sg.single = found[0]
        return issues
    pairing = reads.pair_fastqs(found, lambda f: f.basename, lambda f: f.location)
    for f in pairing.unnamed:
        issues.append(
            _file_issue(f, f"cannot tell R1 from R2 in FASTQ name {f.basename} ({reads.FASTQ_NAME_HELP})")
        )
    for bad in pairing.bad_groups:
        if len(bad) == 1:
            message = f"FASTQ {bad[0].basename} has no mate ({label}: every FASTQ needs its R1/R2 partner)"
        else:
            message = f"FASTQs {', '.join(f.basename for f in bad)} share one read-pair name ({label}: expected exactly two)"
        issues.append(_file_issue(bad[0], message, bad))
    sg.pairs = pairing.pairs
    return issues


# --- records ---


def file_object(f: ReadFile) -> dict[str, Any]:
    obj: dict[str, Any] = {"location": f.location, "basename": f.basename, "class": "File"}
    if f.checksum:
        obj["checksum"] = f"md5:{f.checksum}"
    obj["size"] = f.size
    return obj


def _assay(sg: SequencingGroupPlan) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "reads": file_object(sg.single)
        if sg.single
        else [[file_object(a), file_object(b)] for a, b in sg.pairs],
        "reads_type": sg.reads_type,
        "sequencing_type": sg.type,
        "sequencing_technology": sg.technology,
        "sequencing_platform": sg.platform,
    }
    for key, name in (
        ("sequencing_facility", "facility"),
        ("sequencing_library", "library"),
        ("read_end_type", "read_end_type"),
        ("read_length", "read_length"),
    ):
        value = sg.given.values.get(name)
        if value is not None:
            meta[key] = value
    if sg.gvcf is not None:
        meta["gvcf"] = file_object(sg.gvcf)
    return {"type": "sequencing", "meta": meta}


def _sample(sample: SamplePlan) -> dict[str, Any]:
    body: dict[str, Any] = {"external_ids": {"": sample.external_id}, "type": sample.type}
    if sample.groups:
        body["sequencing_groups"] = [
            {"type": sg.type, "technology": sg.technology, "platform": sg.platform, "assays": [_assay(sg)]}
            for sg in sample.groups.values()
        ]
    return body


def _participant(participant: ParticipantPlan) -> dict[str, Any]:
    body: dict[str, Any] = {"external_ids": {"": participant.external_id}}
    sex, affected = participant.given.values.get("sex"), participant.given.values.get("affected")
    if sex is not None:
        body["reported_sex"] = sex
    if affected is not None:
        body["meta"] = {"affected": affected}
    body["samples"] = [_sample(s) for s in participant.samples]
    return body


@dataclass(frozen=True)
class Origin:
    """Where a record came from, to point back at the manifest when the server refuses it."""

    source: str
    line: int
    entity: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line} ({self.entity})"


def to_records(plan: Plan) -> tuple[list[dict[str, Any]], list[Origin]]:
    records: list[dict[str, Any]] = []
    origins: list[Origin] = []
    for unit in plan.units:
        if isinstance(unit, ParticipantPlan):
            records.append({"participant": _participant(unit)})
            origins.append(Origin(unit.first.source, unit.first.line, f"participant {unit.external_id}"))
        else:
            records.append({"sample": _sample(unit)})
            origins.append(Origin(unit.first.source, unit.first.line, f"sample {unit.external_id}"))
    return records, origins


def files_of(plan: Plan) -> list[ReadFile]:
    out: list[ReadFile] = []
    for unit in plan.units:
        for sample in unit.samples if isinstance(unit, ParticipantPlan) else [unit]:
            for sg in sample.groups.values():
                out += sg.files
    return out
