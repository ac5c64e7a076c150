"""The demo's pedigree: two families of the demo's participants, written as a PED file beside the manifest
and imported with `genolog ingest pedigree`, so the web interface has families and pedigree charts.

- ``DEMO-TRIO``: DEMO01 (affected) and her parents DEMO02 and DEMO03;
- ``DEMO-KINDRED``, three generations: DEMO04 x DEMO05, their children DEMO06 and DEMO07, DEMO06's wife
  DEMO09 (married in) and their sons DEMO08 (affected) and DEMO10.

Sexes are the manifest's; a family is left out when the demo has fewer participants than it needs.
"""

from __future__ import annotations

from pathlib import Path

from genolog.demo.fastq import DemoSample

#: family, individual, father, mother, affected (PED: 1 unaffected, 2 affected)
FAMILIES: dict[str, list[tuple[str, str | None, str | None, int]]] = {
    "DEMO-TRIO": [
        ("DEMO02", None, None, 1),
        ("DEMO03", None, None, 1),
        ("DEMO01", "DEMO02", "DEMO03", 2),
    ],
    "DEMO-KINDRED": [
        ("DEMO04", None, None, 1),
        ("DEMO05", None, None, 1),
        ("DEMO06", "DEMO04", "DEMO05", 1),
        ("DEMO07", "DEMO04", "DEMO05", 1),
        ("DEMO09", None, None, 1),
        ("DEMO08", "DEMO06", "DEMO09", 2),
        ("DEMO10", "DEMO06", "DEMO09", 1),
    ],
}


def write_pedigree(samples: list[DemoSample], folder: Path) -> Path | None:
    """``pedigree.ped`` in ``folder`` (rewritten only when it changes); None if no family fits."""
    sexes = {s.participant: s.sex for s in samples}
    lines = [
        f"{family}\t{person}\t{father or 0}\t{mother or 0}\t{sexes[person]}\t{affected}"
        for family, rows in FAMILIES.items()
        if all(person in sexes for person, *_ in rows)
        for person, father, mother, affected in rows
    ]
    if not lines:
        return None
    path = folder / "pedigree.ped"
    text = "\n".join(lines) + "\n"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path
