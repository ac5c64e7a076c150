"""Parallelism: independent jobs overlap; dependencies, cpu and memory requests serialise them."""

from __future__ import annotations

from pathlib import Path

from genolog.batch import BashJob, Batch, LocalBackend

SLEEP = 0.3


def _timed_job(b: Batch, name: str, stamps: Path) -> BashJob:
    j = b.new_job(name)
    j.command(f"echo \"$(date +%s.%N) $(sleep {SLEEP}; date +%s.%N)\" > '{stamps / name}'")
    return j


def _intervals(stamps: Path) -> dict[str, tuple[float, float]]:
    out = {}
    for f in stamps.iterdir():
        start, end = f.read_text().split()
        out[f.name] = (float(start), float(end))
    return out


def _max_concurrency(intervals: dict[str, tuple[float, float]]) -> int:
    events = sorted([(s, 1) for s, _ in intervals.values()] + [(e, -1) for _, e in intervals.values()])
    now = best = 0
    for _, delta in events:
        now += delta
        best = max(best, now)
    return best


def test_independent_sleeps_overlap(backend: LocalBackend, tmp_path: Path) -> None:
    stamps = tmp_path / "stamps"
    stamps.mkdir()
    b = Batch(backend=backend)
    for i in range(4):
        _timed_job(b, f"sleep-{i}", stamps)
    b.run()
    assert _max_concurrency(_intervals(stamps)) >= 2


def test_dependent_sleeps_do_not_overlap(backend: LocalBackend, tmp_path: Path) -> None:
    stamps = tmp_path / "stamps"
    stamps.mkdir()
    b = Batch(backend=backend)
    previous = None
    for i in range(3):
        j = _timed_job(b, f"step-{i}", stamps)
        if previous is not None:
            j.depends_on(previous)
        previous = j
    b.run()
    spans = _intervals(stamps)
    assert spans["step-0"][1] <= spans["step-1"][0]
    assert spans["step-1"][1] <= spans["step-2"][0]


def test_cpu_requests_are_honoured(tmp_path: Path) -> None:
    stamps = tmp_path / "stamps"
    stamps.mkdir()
    b = Batch(backend=LocalBackend(tmp_dir=str(tmp_path), cpus=2))
    for i in range(3):
        _timed_job(b, f"big-{i}", stamps).cpu(2)
    b.run()
    assert _max_concurrency(_intervals(stamps)) == 1


def test_memory_requests_are_honoured(tmp_path: Path) -> None:
    stamps = tmp_path / "stamps"
    stamps.mkdir()
    b = Batch(backend=LocalBackend(tmp_dir=str(tmp_path), cpus=8, memory="1Gi"))
    for i in range(3):
        _timed_job(b, f"hungry-{i}", stamps).memory("800Mi")
    b.run()
    assert _max_concurrency(_intervals(stamps)) == 1


def test_requests_above_the_budget_run_alone_instead_of_never(tmp_path: Path) -> None:
    stamps = tmp_path / "stamps"
    stamps.mkdir()
    b = Batch(backend=LocalBackend(tmp_dir=str(tmp_path), cpus=2, max_parallel_jobs=1))
    _timed_job(b, "huge", stamps).cpu(64)
    _timed_job(b, "small", stamps)
    result = b.run()
    assert result is not None and result.succeeded
    assert _max_concurrency(_intervals(stamps)) == 1
