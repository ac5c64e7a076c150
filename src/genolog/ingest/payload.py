"""The ingest records a plan becomes: ``{"participant": ...}`` or ``{"sample": ...}`` trees, then one
``{"analysis": ...}`` per sequencing group with QC values, as the server's ingest endpoint takes them.

They are matched by external ids and hold nothing volatile: the same manifest always gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from genolog.ingest.records import ParticipantPlan, Plan, ReadFile, SamplePlan, SequencingGroupPlan


def file_object(f: ReadFile) -> dict[str, Any]:
    obj: dict[str, Any] = {"location": f.location, "basename": f.basename, "class": "File"}
    if f.checksum:
        obj["checksum"] = f"md5:{f.checksum}"
    obj["size"] = f.size
    if f.secondary:
        obj["secondaryFiles"] = [file_object(index) for index in f.secondary]
    return obj


def _assay(sg: SequencingGroupPlan) -> dict[str, Any]:
    meta: dict[str, Any] = sg.meta.collapsed()
    meta |= {
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
    if sg.reference is not None:
        meta["reference_assembly"] = sg.reference.file_object()
    if sg.ora_reference is not None:
        meta["ora_reference"] = sg.ora_reference.file_object()
    return {"type": "sequencing", "meta": meta}


def _sample(sample: SamplePlan) -> dict[str, Any]:
    body: dict[str, Any] = {"external_ids": {"": sample.external_id}, "type": sample.type}
    meta = sample.meta.collapsed()
    if meta:
        body["meta"] = meta
    if sample.groups:
        body["sequencing_groups"] = [
            {"type": sg.type, "technology": sg.technology, "platform": sg.platform, "assays": [_assay(sg)]}
            for sg in sample.groups.values()
        ]
    return body


def _participant(participant: ParticipantPlan) -> dict[str, Any]:
    body: dict[str, Any] = {"external_ids": {"": participant.external_id}}
    values = participant.given.values
    if values.get("sex") is not None:
        body["reported_sex"] = values["sex"]
    for name in ("karyotype", "reported_gender"):
        if values.get(name) is not None:
            body[name] = values[name]
    meta = participant.meta.collapsed()
    if values.get("affected") is not None:
        meta["affected"] = values["affected"]
    if meta:
        body["meta"] = meta
    body["samples"] = [_sample(s) for s in participant.samples]
    return body


#: the analysis type of a metadata sheet's QC values
QC_ANALYSIS_TYPE = "qc"


def _qc_analyses(sample: SamplePlan) -> list[tuple[dict[str, Any], Origin]]:
    """One completed QC analysis per sequencing group that has QC values."""
    out = []
    for sg in sample.groups.values():
        meta = sg.qc.collapsed()
        if not meta:
            continue
        group = {
            "sample": sample.external_id,
            "type": sg.type,
            "technology": sg.technology,
            "platform": sg.platform,
        }
        record = {
            "analysis": {
                "type": QC_ANALYSIS_TYPE,
                "status": "completed",
                "meta": meta,
                "sequencing_group": group,
            }
        }
        first = next(iter(sg.qc.rows.values()))
        out.append(
            (record, Origin(first.source, first.line, f"QC of sample {sample.external_id} ({sg.type})"))
        )
    return out


@dataclass(frozen=True)
class Origin:
    """Where a record came from, to point back at the manifest when the server refuses it."""

    source: str
    line: int
    entity: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line} ({self.entity})"


def to_records(plan: Plan) -> tuple[list[dict[str, Any]], list[Origin]]:
    """The participant and sample records, then the QC analyses (which the server takes after them)."""
    records: list[dict[str, Any]] = []
    origins: list[Origin] = []
    analyses: list[tuple[dict[str, Any], Origin]] = []
    for unit in plan.units:
        if isinstance(unit, ParticipantPlan):
            records.append({"participant": _participant(unit)})
            origins.append(Origin(unit.first.source, unit.first.line, f"participant {unit.external_id}"))
        else:
            records.append({"sample": _sample(unit)})
            origins.append(Origin(unit.first.source, unit.first.line, f"sample {unit.external_id}"))
        for sample in unit.samples if isinstance(unit, ParticipantPlan) else [unit]:
            analyses += _qc_analyses(sample)
    records += [record for record, _ in analyses]
    origins += [origin for _, origin in analyses]
    return records, origins
