from __future__ import annotations

import pytest

from genolog.batch import BatchException
from genolog.batch._units import job_memory_bytes, parse_cpu, parse_memory


@pytest.mark.parametrize(("text", "cores"), [(2, 2.0), ("0.5", 0.5), ("250m", 0.25), (" 4 ", 4.0)])
def test_parse_cpu(text: str | int, cores: float) -> None:
    assert parse_cpu(text) == cores


@pytest.mark.parametrize("bad", ["", "two", "-1", "0", "1x"])
def test_parse_cpu_rejects_nonsense(bad: str) -> None:
    with pytest.raises(BatchException, match="invalid value for cpu"):
        parse_cpu(bad)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        (1024, 1024),
        ("500M", 500_000_000),
        ("4Gi", 4 * 1024**3),
        ("1.5G", 1_500_000_000),
        ("10Ki", 10240),
        ("7", 7),
    ],
)
def test_parse_memory(text: str | int, size: int) -> None:
    assert parse_memory(text) == size


def test_memory_classes_scale_with_cpu() -> None:
    assert job_memory_bytes("standard", 2) == 8 * 1024**3
    assert job_memory_bytes("lowmem", 0.5) == 512 * 1024**2
    assert job_memory_bytes(None, 4) == 0
    with pytest.raises(BatchException, match="invalid size"):
        parse_memory("lots")
