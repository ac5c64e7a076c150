"""Manifest rows -> participants, samples, sequencing groups and assays.

Pure steps, so that a bad row can be dropped and the rest checked again: `locate` finds each row's files
(and their index files), `group` checks and groups the rows into a plan, which `payload.to_records`
turns into the records the server's ingest endpoint takes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from genolog.ingest import attached, files, reads
from genolog.ingest.attached import Reference, References
from genolog.ingest.issues import Issue, RowKey, where
from genolog.ingest.manifest import Defaults, FileCell, Row
from genolog.ingest.metadata_sheet import nest
from genolog.paths import storage_problem

if TYPE_CHECKING:
    from cloudpathlib import CloudPath


@dataclass
class ReadFile:
    row: Row
    name: str  # as written in the manifest
    path: Path | CloudPath
    location: str
    kind: reads.Kind | Literal["index"]
    size: int
    checksum: str | None  # hex md5, from the checksum column or a sibling .md5 (or computed later)
    secondary: list[ReadFile] = field(default_factory=list)  # its index files (attached.INDEX_PATTERNS)

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
                        Issue(row.source, row.line, row.column(cell.field), message, whole_file=True)
                    )
                    return located, issues
            if isinstance(result, str):
                issues.append(Issue(row.source, row.line, row.column(cell.field), result))
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
    found = ReadFile(row, cell.name, path, location, kind, files.size_of(path), checksum)
    for index in attached.indexes_of(path, kind):
        index_location = files.location_of(index)
        index_checksum, had_sibling = files.sibling_md5(index)
        name = index_location.rsplit("/", 1)[-1]
        if had_sibling and index_checksum is None:
            return f"{name}.md5 does not hold an md5 checksum"
        found.secondary.append(
            ReadFile(row, name, index, index_location, "index", files.size_of(index), index_checksum)
        )
    return found


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


PARTICIPANT_ATTRS = ("sex", "affected", "karyotype", "reported_gender")
SAMPLE_ATTRS = ("sample_type",)
ASSAY_ATTRS = ("facility", "library", "read_end_type", "read_length", "reference_assembly", "ora_reference")


@dataclass
class GivenMeta:
    """A metadata sheet's meta cells of one level over the rows of one entity: each key's values (one,
    unless ``several`` allows more) and the row that first gave it."""

    several: bool = False
    values: dict[str, list[Any]] = field(default_factory=dict)
    rows: dict[str, Row] = field(default_factory=dict)

    def check(self, row: Row, level: str, entity: str) -> list[Issue]:
        if self.several:
            return []
        issues = []
        for cell in row.meta.get(level, ()):
            first = self.values.get(cell.key)
            if first is not None and _distinct(cell.value) != _distinct(first[0]):
                on = where(self.rows[cell.key].source, self.rows[cell.key].line, row.source)
                issues.append(
                    Issue(
                        row.source,
                        row.line,
                        cell.column,
                        f"{entity} has {cell.key} {cell.value!r} here but {first[0]!r} on {on}",
                    )
                )
        return issues

    def fill(self, row: Row, level: str) -> None:
        for cell in row.meta.get(level, ()):
            known = self.values.setdefault(cell.key, [])
            self.rows.setdefault(cell.key, row)
            if _distinct(cell.value) not in map(_distinct, known):
                known.append(cell.value)

    def collapsed(self) -> dict[str, Any]:
        """The meta: a key's one value, or (``several``) its distinct values sorted as text, as Metamist does."""
        return nest((k, v[0] if len(v) == 1 else sorted(v, key=str)) for k, v in self.values.items())


def _distinct(value: Any) -> tuple[str, Any]:
    return type(value).__name__, value  # so that True, 1 and 1.0 stay apart


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
    reference: Reference | None = None  # of a CRAM
    ora_reference: Reference | None = None  # of ORA-compressed FASTQs
    meta: GivenMeta = field(default_factory=lambda: GivenMeta(several=True))  # lanes may differ
    qc: GivenMeta = field(default_factory=GivenMeta)

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
    meta: GivenMeta = field(default_factory=GivenMeta)

    @property
    def type(self) -> str:
        return str(self.given.values.get("sample_type") or self.default_type)


@dataclass
class ParticipantPlan:
    first: Row
    external_id: str
    given: Given = field(default_factory=Given)
    samples: list[SamplePlan] = field(default_factory=list)
    meta: GivenMeta = field(default_factory=GivenMeta)


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


def group(
    rows: Sequence[Row], located: Located, defaults: Defaults, references: References | None = None
) -> tuple[Plan, list[Issue]]:
    """Check the rows agree with each other and group them; FASTQs are paired per sequencing group."""
    issues: list[Issue] = []
    units: list[ParticipantPlan | SamplePlan] = []
    participants: dict[str, ParticipantPlan] = {}
    samples: dict[str, SamplePlan] = {}
    for row in rows:
        found: list[Issue] = []
        participant = participants.get(row.participant) if row.participant else None
        if participant is not None:
            entity = f"participant {row.participant}"
            found += participant.given.check(row, PARTICIPANT_ATTRS, entity)
            found += participant.meta.check(row, "participant", entity)
        sample = samples.get(row.sample)
        if sample is not None:
            if sample.participant != row.participant:
                found.append(_participant_conflict(row, sample))
            found += sample.given.check(row, SAMPLE_ATTRS, f"sample {row.sample}")
            found += sample.meta.check(row, "sample", f"sample {row.sample}")
        key = (row.sequencing_type, row.sequencing_technology, row.sequencing_platform)
        sg = sample.groups.get(key) if sample is not None else None
        if sg is not None:
            entity = f"sequencing group {'/'.join(key)} of sample {row.sample}"
            found += sg.given.check(row, ASSAY_ATTRS, entity)
            found += sg.qc.check(row, "qc", f"the QC of {entity}")
        row_files = located.get(row.key, [])
        if not row_files and not row.files:
            for level in ("assay", "qc"):
                if row.meta.get(level):
                    cell = row.meta[level][0]
                    message = f"{level if level == 'qc' else 'assay'} meta given but the row lists no reads"
                    found.append(Issue(row.source, row.line, cell.column, message))
        if found:
            issues += found
            continue  # a conflicting row joins nothing
        if row.participant and participant is None:
            participant = ParticipantPlan(row, row.participant)
            participants[row.participant] = participant
            units.append(participant)
        if participant is not None:
            participant.given.fill(row, PARTICIPANT_ATTRS)
            participant.meta.fill(row, "participant")
        if sample is None:
            sample = SamplePlan(row, row.sample, row.participant, defaults.sample_type)
            samples[row.sample] = sample
            if participant is not None:
                participant.samples.append(sample)
            else:
                units.append(sample)
        sample.given.fill(row, SAMPLE_ATTRS)
        sample.meta.fill(row, "sample")
        if not row_files:
            continue
        if sg is None:
            sg = SequencingGroupPlan(row, *key)
            sample.groups[key] = sg
        sg.given.fill(row, ASSAY_ATTRS)
        sg.meta.fill(row, "assay")
        sg.qc.fill(row, "qc")
        sg.files += row_files
    for sample in samples.values():
        for sg in sample.groups.values():
            issues += _check_files(sample, sg)
            issues += _check_references(sample, sg, defaults, references or {})
    return Plan(units), issues


def _check_references(
    sample: SamplePlan, sg: SequencingGroupPlan, defaults: Defaults, references: References
) -> list[Issue]:
    """A CRAM needs its reference assembly, ORA-compressed FASTQs their ORA reference (Metamist's rule)."""
    if sg.single is not None and sg.single.kind == "cram":
        field_name, option, default, what = (
            "reference_assembly",
            "--reference-assembly",
            defaults.reference_assembly,
            "CRAM",
        )
    elif sg.pairs and sg.reads_type == "fastq_ora":
        field_name, option, default, what = (
            "ora_reference",
            "--ora-reference-assembly",
            defaults.ora_reference_assembly,
            "ORA-compressed FASTQ",
        )
    else:
        return []
    name = sg.given.values.get(field_name) or default
    first = sg.single or sg.pairs[0][0]
    if not name:
        message = (
            f"sample {sample.external_id}'s reads are {what} but no reference is given "
            f"({option}, or a reference column in a metadata sheet)"
        )
        return [_file_issue(first, message)]
    reference = references.get(name)
    if field_name == "reference_assembly":
        sg.reference = reference
    else:
        sg.ora_reference = reference
    return []  # a reference that was not found is already an issue of its own


def _file_issue(f: ReadFile, message: str, involved: Iterable[ReadFile] = ()) -> Issue:
    rows = tuple(dict.fromkeys([f.row.key, *(g.row.key for g in involved)]))
    column = "gvcf" if f.kind == "gvcf" and "gvcf" in f.row.header.positions else "filenames"
    return Issue(f.row.source, f.row.line, f.row.column(column), message, rows)


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


def files_of(plan: Plan) -> list[ReadFile]:
    """Every read file of the plan and the index files attached to them."""
    out: list[ReadFile] = []
    for unit in plan.units:
        for sample in unit.samples if isinstance(unit, ParticipantPlan) else [unit]:
            for sg in sample.groups.values():
                for f in sg.files:
                    out += [f, *f.secondary]
    return out
