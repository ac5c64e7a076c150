"""Run benchmarks on two revisions side by side, on this machine in one run: a change's before and after.

    python benchmarks/compare.py 22a1138                    # that revision against the working tree
    python benchmarks/compare.py 22a1138 HEAD --rounds 3 --only ingest web
    python benchmarks/compare.py 22a1138 --postgres postgresql://postgres@127.0.0.1:5432/postgres

Each revision is checked out (``git worktree``) into a scratch folder and each benchmark runs with that
revision's own script and code (``PYTHONPATH``), in this venv. The two alternate, round after round, so
that a busy spell of the machine falls on both. Every line a benchmark prints with figures is shown with
each figure that differs as ``before→after (after/before)``, each the median over the rounds. Which way
is better depends on the figure (seconds: lower; samples per second: higher): read the line.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")

# name -> the script (relative to a checkout) and its arguments: sizes a run of a few minutes can afford
BENCHMARKS: dict[str, tuple[str, list[str]]] = {
    "graphql": ("benchmarks/graphql/bench_graphql.py", ["--sizes", "1000", "10000", "--repeat", "5"]),
    "paging": ("benchmarks/graphql/bench_paging.py", ["--groups", "20000", "--page", "1000"]),
    "ingest": ("benchmarks/ingest/bench_ingest.py", ["--samples", "20000"]),
    "upsert": ("benchmarks/ingest/bench_upsert_samples.py", ["--sizes", "0", "10000", "100000"]),
    "web": ("benchmarks/web/bench_pages.py", ["--samples", "2000", "--repeat", "5"]),
    "rest": ("benchmarks/rest/bench_rest_reads.py", ["--samples", "10000", "--repeat", "5"]),
}


def checkout(revision: str, into: Path) -> Path:
    """``revision`` as a worktree under ``into``; ``WORKTREE`` is this checkout, uncommitted changes and all."""
    if revision == "WORKTREE":
        return ROOT
    target = into / revision.replace("/", "_")
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(target), revision], check=True
    )
    return target


def run_once(tree: Path, script: str, args: list[str]) -> list[str]:
    """One run of ``script`` with ``tree``'s code: its own copy of the script, or this checkout's for a
    revision older than the benchmark."""
    env = {**os.environ, "PYTHONPATH": f"{tree / 'src'}{os.pathsep}{tree}"}
    path = tree / script if (tree / script).exists() else ROOT / script
    done = subprocess.run(
        [sys.executable, str(path), *args], cwd=tree, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"{script} failed in {tree}")
    return done.stdout.splitlines()


def figures(line: str) -> list[float]:
    return [float(n.replace(",", "")) for n in NUMBER.findall(line)]


def medians(runs: list[list[str]]) -> list[tuple[str, list[float]]]:
    """Per printed line (runs print the same lines): its text and the median of each of its figures."""
    lines = []
    for i, text in enumerate(runs[0]):
        values = [figures(run[i]) if i < len(run) else [] for run in runs]
        width = min(len(v) for v in values)
        lines.append((text, [statistics.median(v[k] for v in values) for k in range(width)]))
    return lines


def _figure(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def side_by_side(text: str, before: list[float], after: list[float]) -> str:
    """The benchmark's line with each figure that differs shown as ``before→after (after/before)``."""
    figures = iter(zip(before, after, strict=False))

    def show(match: re.Match[str]) -> str:
        old, new = next(figures, (None, None))
        if old is None or new is None or old == new:
            return match.group(0)
        ratio = f"{new / old:.2f}" if old else "-"
        return f"{_figure(old)}→{_figure(new)} ({ratio})"

    return NUMBER.sub(show, text.strip())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("before", help="the revision to compare against (e.g. main's last landed commit)")
    parser.add_argument("after", nargs="?", default="WORKTREE", help="a revision, or WORKTREE (default)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), default=sorted(BENCHMARKS))
    parser.add_argument("--postgres", help="also pass this PostgreSQL URL to the benchmarks that take one")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="genolog-compare-") as scratch:
        trees = {rev: checkout(rev, Path(scratch)) for rev in (options.before, options.after)}
        try:
            for name in options.only:
                script, args = BENCHMARKS[name]
                if options.postgres:
                    args = [*args, "--postgres", options.postgres]
                runs: dict[str, list[list[str]]] = {rev: [] for rev in trees}
                for _ in range(options.rounds):
                    for rev, tree in trees.items():
                        runs[rev].append(run_once(tree, script, args))
                before, after = (medians(runs[rev]) for rev in trees)
                print(f"\n== {name}: {script} {' '.join(args)}  ({options.rounds} round(s), medians)")
                for (text, old), (_, new) in zip(before, after, strict=False):
                    if not old or old == new:
                        continue  # no figures, or only sizes and counts, the same in both
                    print(f"  {side_by_side(text, old, new)}")
        finally:
            for tree in trees.values():
                if tree != ROOT:
                    subprocess.run(
                        ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False
                    )


if __name__ == "__main__":
    main()
