"""FastQE's tab-separated text output, byte for byte (what MultiQC's FastQE module reads)."""

from __future__ import annotations

from genolog.qc.emoji import HEART_EYES, PHRED_CHARS, SymbolTable
from genolog.qc.stats import FileStats

HEADER = "Filename\tStatistic\tQualities"


def scale_lines(table: SymbolTable) -> list[str]:
    """`--scale`: one line per Phred+33 character; FastQE falls back to 😍 here even without emoji."""
    lines = ["#scale for fastqe"]
    for q, char in enumerate(PHRED_CHARS):
        lines.append(f"#  {q} {char} {table.symbols.get(q, HEART_EYES)}")
    return lines


def stat_lines(stats: FileStats, table: SymbolTable, *, show_min: bool, show_max: bool) -> list[str]:
    """The lines for one file, in FastQE's order: max, mean, min."""
    name = stats.name
    if stats.format != "fastq":
        # FASTA has no qualities: an empty mean line, as FastQE prints for an empty file.
        return [f"{name}\tmean{table.label_suffix}\t"]
    lines = []
    if show_max:
        lines.append(f"{name}\tmax{table.label_suffix}\t{table.render(stats.phred_max.tolist())}")
    lines.append(f"{name}\tmean{table.label_suffix}\t{table.render(stats.mean_rounded.tolist())}")
    if show_min:
        lines.append(f"{name}\tmin{table.label_suffix}\t{table.render(stats.phred_min.tolist())}")
    return lines
