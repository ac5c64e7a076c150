"""Graph-building helpers of `hailtop.batch.utils`: tree-shaped concatenation and PLINK merges."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TypeVar

from genolog.batch._batch import Batch
from genolog.batch._resource import BatchException, ResourceFile, ResourceGroup

__all__ = ["concatenate", "plink_merge"]

T = TypeVar("T")


def _tree(
    combine: Callable[[Batch, str, list[T]], T], b: Batch, name: str, items: list[T], branching_factor: int
) -> T:
    """Combine `items` level by level, `branching_factor` at a time, until one is left."""
    if not isinstance(branching_factor, int) or branching_factor < 2:
        raise BatchException(f"branching_factor must be an integer of at least 2, not {branching_factor!r}")
    levels = math.ceil(math.log(len(items), branching_factor)) if len(items) > 1 else 0
    level_width = len(str(max(levels - 1, 0)))
    for level in range(levels):
        groups = [items[i : i + branching_factor] for i in range(0, len(items), branching_factor)]
        width = len(str(max(len(groups) - 1, 0)))
        items = [combine(b, f"{name}-{level:0{level_width}}-{i:0{width}}", g) for i, g in enumerate(groups)]
    return items[0]


def concatenate(
    b: Batch, files: Sequence[ResourceFile], image: str | None = None, branching_factor: int = 100
) -> ResourceFile:
    """Concatenate `files` with a tree of `cat` jobs; returns the combined file."""
    if not files:
        raise BatchException("Must have at least one file to concatenate.")
    if not all(isinstance(f, ResourceFile) for f in files):
        raise BatchException("Invalid input file(s) - all inputs must be resource files.")

    def cat(b: Batch, name: str, group: list[ResourceFile]) -> ResourceFile:
        j = b.new_job(name=name)
        if image:
            j.image(image)
        j.command(f"cat {' '.join(group)} > {j.ofile}")
        out: ResourceFile = j.ofile
        return out

    return _tree(cat, b, "concatenate", list(files), branching_factor)


def plink_merge(
    b: Batch, bfiles: Sequence[ResourceGroup], image: str | None = None, branching_factor: int = 100
) -> ResourceGroup:
    """Merge binary PLINK filesets (groups with bed/bim/fam) with a tree of `plink` jobs."""
    if not bfiles:
        raise BatchException("Must have at least one binary PLINK file to merge.")
    if not all(isinstance(f, ResourceGroup) for f in bfiles):
        raise BatchException("Invalid input file(s) - all inputs must be resource groups.")

    def merge(b: Batch, name: str, group: list[ResourceGroup]) -> ResourceGroup:
        if len(group) == 1:
            return group[0]
        j = b.new_job(name=name)
        if image:
            j.image(image)
        j.declare_resource_group(ofile={"bed": "{root}.bed", "bim": "{root}.bim", "fam": "{root}.fam"})
        for f in group[1:]:
            j.command(f'echo "{f.bed} {f.bim} {f.fam}" >> merge_list')
        j.command(f"plink --bfile {group[0]} --merge-list merge_list --out {j.ofile}")
        out: ResourceGroup = j.ofile
        return out

    return _tree(merge, b, "plink-merge", list(bfiles), branching_factor)
