"""The benchmark script still runs end to end (on a tiny input; its figures are not checked here)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_benchmark_script_runs_on_a_small_input(tmp_path: Path) -> None:
    env = {**os.environ, "GENOLOG_BENCH_DIR": str(tmp_path)}
    args = ["--reads", "3000", "--repeat", "1", "--fastqe", str(tmp_path / "no-fastqe-here")]
    res = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "qc" / "bench_qc.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    for row in ("genolog qc ", "ISA-L decompress", "genolog qc (BGZF copy)", "genolog qc (uncompressed)"):
        assert row in res.stdout
    assert "genolog / ISA-L decompression" in res.stdout
    assert len(list(tmp_path.glob("sim_3000x150_*.fastq.gz"))) == 2  # gzip and BGZF copies
