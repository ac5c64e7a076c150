"""Seeded metadata sheets of realistic shape, with their read files: for Metamist's published parsers and
for `genolog ingest metadata`.

A sheet has participants with one or two samples; a sample's reads are a FASTQ pair on one row, a pair
split over two rows, or a CRAM with its index; some samples carry a gVCF (with its .tbi) and some are
exomes. Every row has the extra columns the generic metadata parser maps into meta.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from pathlib import Path

GMP_COLUMNS = [
    "Individual ID",
    "Sample ID",
    "Filenames",
    "GVCF",
    "Sex",
    "Karyotype",
    "Ancestry",
    "Sample Type",
    "Collection Date",
    "Tissue Site",
    "Seq Type",
    "Depth",
    "Flowcell",
    "QC Freemix",
    "QC Coverage",
]
SFMP_COLUMNS = ["Individual ID", "Sample ID", "Filenames", "Type", "Sample Type"]


@dataclass
class Sheet:
    path: Path
    reads: Path  # the search path: every read file, index and gVCF
    reference: Path  # a reference assembly (with its .fai) for the CRAMs
    rows: int = 0
    participants: set[str] = field(default_factory=set)
    samples: set[str] = field(default_factory=set)
    sequencing_groups: int = 0
    assays_metamist: int = 0  # Metamist makes one assay per FASTQ pair or CRAM
    assays_genolog: int = 0  # genolog one per sequencing group
    padded: int = 0  # samples added at the end to reach the row count (they have no QC values)


def _touch(path: Path, text: str) -> None:
    path.write_text(text)


def write_sheet(folder: Path, rows: int, *, seed: int, columns: str = "gmp", prefix: str = "") -> Sheet:
    """A sheet of exactly ``rows`` rows (TSV) in ``folder``, its files under ``folder/reads``."""
    rng = random.Random(seed)
    reads = folder / "reads"
    reads.mkdir(parents=True, exist_ok=True)
    ref = folder / "ref"
    ref.mkdir(exist_ok=True)
    reference = ref / "genome.fa"
    _touch(reference, ">chr1\nACGT\n")
    _touch(ref / "genome.fa.fai", "chr1\t4\t6\t4\t5\n")
    sheet = Sheet(folder / f"{columns}.tsv", reads, reference)
    out: list[dict[str, str]] = []
    number = 0
    while len(out) < rows:
        number += 1
        pid = f"{prefix}P{number:05d}"
        sex = rng.choice(["male", "female", ""])
        participant = {
            "Individual ID": pid,
            "Sex": sex,
            "Karyotype": {"male": "XY", "female": "XX", "": ""}[sex],
            "Ancestry": rng.choice(["EUR", "AFR", "EAS", "SAS", "AMR"]),
        }
        for s in range(rng.choice([1, 1, 1, 2])):
            sid = f"{pid}-S{s + 1}"
            exome = rng.random() < 0.15
            sample = {
                "Sample ID": sid,
                "Sample Type": rng.choice(["blood", "saliva"]),
                "Collection Date": f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "Tissue Site": rng.choice(["arm", "mouth", ""]),
                "Seq Type": "WES" if exome else "WGS",
                "Type": "exome" if exome else "genome",
            }
            assay = {
                "Depth": str(rng.choice([30, 35, 40]) if not exome else 100),
                "Flowcell": f"FC{rng.randint(1, 9)}",
                "QC Freemix": f"{rng.random() / 50:.4f}",
                "QC Coverage": f"{rng.uniform(25, 45):.1f}",
            }
            shape = rng.choice(["pair", "pair", "split", "cram"])
            gvcf = ""
            if rng.random() < 0.2 and columns == "gmp":
                gvcf = f"{sid}.g.vcf.gz"
                _touch(reads / gvcf, f"gvcf {sid}\n")
                _touch(reads / f"{gvcf}.tbi", f"tbi {sid}\n")
            if shape == "cram":
                name = f"{sid}.cram"
                _touch(reads / name, f"cram {sid}\n")
                _touch(reads / f"{name}.crai", f"crai {sid}\n")
                files = [[name]]
                sheet.assays_metamist += 1
            else:
                r1, r2 = f"{sid}_L001_R1.fastq.gz", f"{sid}_L001_R2.fastq.gz"
                for name in (r1, r2):
                    _touch(reads / name, f"@{name}\nACGT\n+\nIIII\n")
                files = [[r1, r2]] if shape == "pair" else [[r1], [r2]]
                sheet.assays_metamist += 1
            for i, names in enumerate(files):
                row = {**participant, **sample, **assay, "Filenames": ",".join(names)}
                row["GVCF"] = gvcf if i == 0 else ""
                out.append(row)
            sheet.participants.add(pid)
            sheet.samples.add(sid)
            sheet.sequencing_groups += 1
            sheet.assays_genolog += 1
    # the last sample may overshoot: drop whole samples from the end until the count fits
    while len(out) > rows:
        last = out[-1]["Sample ID"]
        dropped = [r for r in out if r["Sample ID"] == last]
        out = [r for r in out if r["Sample ID"] != last]
        _drop(sheet, last, dropped, reads)
        if not any(r["Individual ID"] == dropped[0]["Individual ID"] for r in out):
            sheet.participants.discard(dropped[0]["Individual ID"])
    while len(out) < rows:  # and pad with single-row samples of one more participant
        pid = f"{prefix}P{number + 1:05d}"
        sid = f"{pid}-S{len(out)}"
        r1, r2 = f"{sid}_R1.fastq.gz", f"{sid}_R2.fastq.gz"
        for name in (r1, r2):
            _touch(reads / name, f"@{name}\nACGT\n+\nIIII\n")
        row = dict.fromkeys(GMP_COLUMNS + SFMP_COLUMNS, "")
        row.update({"Individual ID": pid, "Sample ID": sid, "Filenames": f"{r1},{r2}", "Seq Type": "WGS"})
        row.update({"Type": "genome", "Sample Type": "blood", "Depth": "30", "Flowcell": "FC1"})
        out.append(row)
        sheet.participants.add(pid)
        sheet.samples.add(sid)
        sheet.sequencing_groups += 1
        sheet.assays_metamist += 1
        sheet.assays_genolog += 1
        sheet.padded += 1
    header = GMP_COLUMNS if columns == "gmp" else SFMP_COLUMNS
    with sheet.path.open("w", newline="") as f:
        writer = csv.DictWriter(f, header, delimiter="\t", extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(out)
    sheet.rows = len(out)
    return sheet


def _drop(sheet: Sheet, sample: str, rows: list[dict[str, str]], reads: Path) -> None:
    sheet.samples.discard(sample)
    sheet.sequencing_groups -= 1
    sheet.assays_metamist -= 1
    sheet.assays_genolog -= 1
    for row in rows:
        for name in [*row["Filenames"].split(","), row["GVCF"]]:
            for path in reads.glob(f"{name}*") if name else ():
                path.unlink()
