"""Benchmark: N trivial jobs through Slurm with `SlurmBackend`, against a plain `sbatch` loop.

    python benchmarks/slurm/bench_slurm.py              # 500 jobs, on a single-node cluster it starts
    python benchmarks/slurm/bench_slurm.py --jobs 100 --use-running-cluster   # $SLURM_CONF's cluster

The baseline is what a shell script does by hand: ``sbatch --wrap true`` N times, then wait until
``squeue`` shows none of them. genolog's run is a `Batch` of N independent ``true`` jobs, submitted,
watched and recorded by `SlurmBackend` (each job also writes its outcome file and log). Both print
the submission rate and the end-to-end time; the ratio is genolog's time over the baseline's. The
reference (REFERENCE 7.1): 100 trivial jobs in about 10-12 s with the tuned scheduler settings.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import genolog.batch as hb  # noqa: E402
from tests.batch import slurm_cluster  # noqa: E402
from tests.metadata.live import free_port  # noqa: E402


def _wait_until_gone(ids: set[str]) -> None:
    while True:
        answer = subprocess.run(
            ["squeue", "--noheader", "--format=%i"], capture_output=True, text=True, check=True
        )
        if not ids & set(answer.stdout.split()):
            return
        time.sleep(0.2)


def plain_sbatch(jobs: int, folder: Path) -> tuple[float, float]:
    """(seconds to submit, seconds until all done) for a plain sbatch loop."""
    started = time.perf_counter()
    ids = set()
    for i in range(jobs):
        answer = subprocess.run(
            ["sbatch", "--parsable", f"--output={folder}/plain-{i}.log", "--wrap", "true"],
            capture_output=True,
            text=True,
            check=True,
        )
        ids.add(answer.stdout.strip().split(";")[0])
    submitted = time.perf_counter() - started
    _wait_until_gone(ids)
    return submitted, time.perf_counter() - started


def genolog_batch(jobs: int, folder: Path) -> tuple[float, float]:
    """(seconds to submit, seconds until all done) for a `Batch` on `SlurmBackend`."""
    backend = hb.SlurmBackend(scratch=folder, poll_interval=0.2)
    b = hb.Batch(f"{jobs} trivial jobs", backend=backend)
    for i in range(jobs):
        b.new_job(f"job {i}").command("true")
    started = time.perf_counter()
    result = b.run(disable_progress_bar=True)
    total = time.perf_counter() - started
    assert result is not None and result.succeeded, "a trivial job failed"
    assert backend.last_submission_seconds is not None
    return backend.last_submission_seconds, total


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument(
        "--use-running-cluster", action="store_true", help="use $SLURM_CONF's cluster instead of starting one"
    )
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        folder = Path(
            stack.enter_context(
                tempfile.TemporaryDirectory(prefix="bench-slurm-", ignore_cleanup_errors=True)
            )
        )
        if not args.use_running_cluster:
            missing = slurm_cluster.missing()
            if missing:
                sys.exit(f"Slurm is not installed (missing {', '.join(missing)})")
            env = stack.enter_context(slurm_cluster.cluster(folder / "cluster", free_port(), free_port()))
            os.environ["SLURM_CONF"] = env["SLURM_CONF"]
        rows = []
        for label, run in (("plain sbatch loop", plain_sbatch), ("genolog SlurmBackend", genolog_batch)):
            work = folder / label.replace(" ", "-")
            work.mkdir()
            submitted, total = run(args.jobs, work)
            rows.append((label, submitted, total))
            print(
                f"{label:22} submit {submitted:6.2f} s ({args.jobs / submitted:6.1f} jobs/s)"
                f"   all done {total:6.2f} s ({args.jobs / total:5.1f} jobs/s)",
                flush=True,
            )
        (_, base_submit, base_total), (_, ours_submit, ours_total) = rows
        print(
            f"genolog / plain sbatch: submission {ours_submit / base_submit:.2f}x, "
            f"end to end {ours_total / base_total:.2f}x (lower is better; baseline: plain sbatch loop)"
        )


if __name__ == "__main__":
    main()
