"""Parsing of cpu, memory and storage requests ('250m', '1.5', '4Gi', '500M', 'standard')."""

from __future__ import annotations

import re

from genolog.batch._resource import BatchException

_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([KMGTP]i?|[kmgtp]i?)?[Bb]?\s*$")
_FACTORS = {"": 1, "K": 1000, "M": 1000**2, "G": 1000**3, "T": 1000**4, "P": 1000**5}
#: bytes per core for hailtop's memory classes
MEMORY_CLASSES = {"lowmem": 1024**3, "standard": 4 * 1024**3, "highmem": 7 * 1024**3}


def parse_cpu(cores: str | int | float) -> float:
    """Cores as a float: `2`, `'0.5'`, `'250m'` (millicores)."""
    text = str(cores).strip()
    try:
        value = float(text[:-1]) / 1000 if text.endswith("m") else float(text)
    except ValueError:
        raise BatchException(f"invalid value for cpu: {cores!r} (use e.g. 2, '0.5' or '250m')") from None
    if value <= 0:
        raise BatchException(f"invalid value for cpu: {cores!r} (must be positive)")
    return value


def parse_memory(size: str | int | float) -> int:
    """Bytes from `1024`, `'500M'`, `'4Gi'`, `'1.5G'`."""
    if isinstance(size, int | float):
        return int(size)
    match = _SIZE_RE.match(size)
    if not match:
        raise BatchException(f"invalid size: {size!r} (use e.g. '4Gi', '500M' or a number of bytes)")
    number, unit = match.groups()
    unit = (unit or "").upper()
    factor = 1024 ** ("KMGTP".index(unit[0]) + 1) if unit.endswith("I") else _FACTORS[unit]
    return int(float(number) * factor)


def job_memory_bytes(memory: str | None, cpu: float) -> int:
    """A job's memory request in bytes (0 when unset); memory classes scale with the cpu request."""
    if memory is None:
        return 0
    if memory in MEMORY_CLASSES:
        return int(MEMORY_CLASSES[memory] * cpu)
    return parse_memory(memory)
