"""The ``meta.qc`` summary of a ``--json`` report (`genolog.qc.summary`)."""

from __future__ import annotations

from typing import Any

from genolog.qc.summary import MAX_VALUES, dip_depth, summarise


def report_file(name: str, means: list[int], reads: int = 10, has_qualities: bool = True) -> dict[str, Any]:
    """A file of a ``--json`` report whose ``reads`` reads all have these per-position qualities."""
    return {
        "name": name,
        "has_qualities": has_qualities,
        "num_seqs": reads,
        "length_counts": {str(len(means)): reads},
        "per_position": {"count": [reads] * len(means), "sum": [q * reads for q in means]},
    }


def test_dip_depth_is_the_fall_below_the_quality_recovered_later() -> None:
    assert dip_depth([30, 29, 28, 27, 20]) == (0.0, 0)  # only decays: no dip
    assert dip_depth([20, 30, 30]) == (0.0, 0)  # a poor start is no dip either
    assert dip_depth([36, 35, 20, 22, 34, 30]) == (14.0, 2)  # recovers to 34 after falling to 20
    assert dip_depth([]) == (0.0, 0)


def test_a_pair_summarised() -> None:
    r1 = [30, 32, 34, 34, 20, 33, 30, 28, 25]
    r2 = [30, 30, 30, 30, 30, 30, 28, 28, 28]
    qc = summarise({"files": [report_file("a_R1.fq", r1), report_file("a_R2.fq", r2, reads=30)]})
    assert qc is not None
    assert qc["mean_quality_by_position"] == {"R1": [float(q) for q in r1], "R2": [float(q) for q in r2]}
    assert (qc["version"], qc["reads"], qc["bin"]) == (1, 40, 1)
    assert qc["mean_quality"] == round((sum(r1) * 10 + sum(r2) * 30) / 360, 1)  # over every base
    assert qc["mean_quality_last_third"] == round((30 + 28 + 25 + 28 * 3) / 6, 1)  # positions 7-9
    assert (qc["dip"], qc["dip_read"], qc["dip_position"]) == (13.0, "R1", 5)


def test_long_reads_are_binned_and_files_without_qualities_left_out() -> None:
    long = [30 + (p % 2) for p in range(2500)]
    fasta = report_file("contigs.fa", [], has_qualities=False)
    qc = summarise({"files": [fasta, report_file("long.fq", long)]})
    assert qc is not None and qc["bin"] == 3 and list(qc["mean_quality_by_position"]) == ["R1"]
    values = qc["mean_quality_by_position"]["R1"]
    assert len(values) == 834 <= MAX_VALUES and values[0] == 30.3 and values[-1] == 31.0  # 2500 = 833*3 + 1
    assert summarise({"files": [fasta]}) is None and summarise({"files": []}) is None
