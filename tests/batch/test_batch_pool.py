"""`BatchPoolExecutor`: hailtop's own documentation examples, run as a script after replacing
"hailtop.batch" with "genolog.batch", on the local backend and on Slurm; and the futures' contract
(results in order, exceptions, cancel, `concurrent.futures.wait`, shutdown, cleanup)."""

from __future__ import annotations

import ast
import asyncio
import concurrent.futures
import doctest
import json
import math
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import genolog.batch as hb
from genolog.batch.batch_pool_executor import BatchPoolExecutor, BatchPoolFuture
from tests.published import ROOT

# random_product's float(w @ u) converts a 1x1 array, which numpy 2.x refuses (hail 0.2.139 installs it):
# the job raises, as it would on hailtop, and the error comes back. The same product with .item()
# (genolog's variant below, not the docs') gives the docs' numbers.
NUMPY_2_REFUSES = {
    "raised": "TypeError",
    "message": "only 0-dimensional arrays can be converted to Python scalars",
}
RANDOM_PRODUCT_ITEM = (
    "def random_product(seed):\n    np.random.seed(seed)\n    w = np.random.rand(1, 100)\n"
    "    u = np.random.rand(100, 1)\n    return (w @ u).item()\n"
)
DOCS_PRODUCTS = [24.440006386777277, 23.325755364428026, 23.920184804993806, 25.47912882125101]

# The examples of hailtop.batch.batch_pool_executor's docstrings (hail 0.2.139), source as written there,
# with the value each shows. Where the docs' shown value is not what Python prints, the value here is
# the right one and the comment says what the docs show.
DOC_EXAMPLES: list[tuple[str, object]] = [
    ("with BatchPoolExecutor() as bpe:  # doctest: +SKIP\n    future_nine = bpe.submit(lambda: 3 + 6)\n", None),
    ("future_nine.result()  # doctest: +SKIP\n", 9),
    ("with BatchPoolExecutor() as bpe:  # doctest: +SKIP\n    list(bpe.map(lambda x: x * 3, range(4)))\n", [0, 3, 6, 9]),
    ("with BatchPoolExecutor() as bpe:  # doctest: +SKIP\n    list(bpe.map(lambda x: x, range(4)))\n", [0, 1, 2, 3]),
    (
        'with BatchPoolExecutor() as bpe:  # doctest: +SKIP\n    list(bpe.map(lambda x, y: x + y,\n'
        '                 ["white", "cat", "best"],\n                 ["house", "dog", "friend"]))\n',
        ["whitehouse", "catdog", "bestfriend"],  # the docs show it with double quotes
    ),
    (
        "def random_product(seed):\n    np.random.seed(seed)\n    w = np.random.rand(1, 100)\n"
        "    u = np.random.rand(100, 1)\n    return float(w @ u)\n",
        None,
    ),
    (
        "with BatchPoolExecutor() as bpe:  # doctest: +SKIP\n    list(bpe.map(random_product, range(4)))\n",
        NUMPY_2_REFUSES,  # the docs show [24.440006386777277, 23.325755364428026, ...]: see below
    ),
    ("with BatchPoolExecutor() as bpe:  # doctest: +SKIP\n    future = bpe.submit(lambda x: x, 4)\n    future.result()\n", 4),
    (
        "with BatchPoolExecutor() as bpe:  # doctest: +SKIP\n    future = bpe.submit(lambda x, y, z: x + y + z,\n"
        '                        "poly", "ethyl", z="ene")\n    future.result()\n',
        "polyethylene",  # the docs show it with double quotes
    ),
    (
        "with BatchPoolExecutor() as bpe:  # doctest: +SKIP\n    future = bpe.submit(random_product, 1)\n"
        "    future.result()\n",
        NUMPY_2_REFUSES,  # the docs show [23.325755364428026]
    ),
]  # fmt: skip

# The examples run as a script, as a user would paste them: each in the interactive mode doctest uses,
# so an expression's value is shown (collected here), in the order the docs give them.
SCRIPT = """
import json
import sys

import numpy as np

from hailtop.batch import BatchPoolExecutor

shown = []
sys.displayhook = lambda value: shown.append(value) if value is not None else None
for source in json.loads(sys.argv[1]):
    try:
        exec(compile(source, "<the docs>", "single"))
    except Exception as e:
        shown.append({"raised": type(e).__name__, "message": str(e).splitlines()[0]})
print(json.dumps(shown))
"""


def run_doc_examples(tmp_path: Path, env: dict[str, str], extra: list[str]) -> list[object]:
    ported = SCRIPT.replace("hailtop.batch", "genolog.batch")
    assert "hailtop" not in ported
    script = tmp_path / "bpe_docs.py"
    script.write_text(ported)
    env = {**env, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])}
    sources = json.dumps([source for source, _ in DOC_EXAMPLES] + extra)
    answer = subprocess.run(
        [sys.executable, str(script), sources],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=tmp_path,
    )
    assert answer.returncode == 0, answer.stdout + answer.stderr
    shown: list[object] = json.loads(answer.stdout.strip().splitlines()[-1])
    return shown


EXPECTED = [value for _, value in DOC_EXAMPLES if value is not None]
# genolog's variant: random_product with .item(), then the docs' two calls of it again
VARIANT = [RANDOM_PRODUCT_ITEM, DOC_EXAMPLES[6][0], DOC_EXAMPLES[9][0]]
VARIANT_EXPECTED = [DOCS_PRODUCTS, DOCS_PRODUCTS[1]]


def test_the_examples_are_hailtops(hail_venv: Path) -> None:
    """Each example above is one of the installed hailtop's docstring examples, word for word."""
    [source_file] = hail_venv.glob("lib/python*/site-packages/hailtop/batch/batch_pool_executor.py")
    tree = ast.parse(source_file.read_text())
    docstrings = [
        ast.get_docstring(node)
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    parser = doctest.DocTestParser()
    examples = [e.source for doc in docstrings if doc for e in parser.get_examples(doc)]
    for source, _ in DOC_EXAMPLES:
        assert source in examples, f"not in hailtop's docstrings:\n{source}"


def same_shown(shown: object, expected: object) -> bool:
    """Equal, but for floats, which may differ in their last digits from the docs' with the machine's
    numpy and BLAS (the docs' 23.325755364428026 is 23.32575536442803 on some)."""
    if isinstance(expected, float) and isinstance(shown, float):
        return math.isclose(shown, expected, rel_tol=1e-12)
    if isinstance(expected, list) and isinstance(shown, list):
        return len(shown) == len(expected) and all(map(same_shown, shown, expected))
    return shown == expected


def test_same_shown_forgives_only_the_last_digits_of_floats() -> None:
    assert same_shown([1, [23.325755364428026, "a"]], [1, [23.32575536442803, "a"]])
    assert not same_shown([1, [23.3257554, "a"]], [1, [23.32575536442803, "a"]])
    assert not same_shown([1, [23.325755364428026]], [1, [23.325755364428026, 2.0]])
    assert not same_shown({"raised": "ValueError"}, {"raised": "TypeError"})


def test_hailtops_examples_run_on_the_local_backend(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "HAIL_BATCH_BACKEND"}
    shown = run_doc_examples(tmp_path, env, VARIANT)
    assert same_shown(shown, EXPECTED + VARIANT_EXPECTED), shown


@pytest.mark.slow
def test_hailtops_examples_run_on_slurm(slurm: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[slurm]\nscratch = "{tmp_path / "shared"}"\npoll_interval = 0.2\n')
    env = {**os.environ, "HAIL_BATCH_BACKEND": "slurm", "GENOLOG_CONFIG_PATH": str(cfg)}
    shown = run_doc_examples(tmp_path, env, VARIANT)
    assert same_shown(shown, EXPECTED + VARIANT_EXPECTED), shown
    runs = list((tmp_path / "shared" / "genolog-runs").iterdir())
    # a batch per submitted call: all of those whose result was shown (a failed map cancels the rest
    # of its calls if they have not started)
    assert len(runs) >= 1 + 4 + 4 + 3 + 1 + 1 + 1 + (4 + 1) + 1
    records = {run.name: json.loads((run / "jobs.json").read_text()) for run in runs}
    # every call's batch is one Slurm job that succeeded (a call that raised still returns its error),
    # except that the failed map of random_product cancels its other calls, and one Slurm already had
    # may be cancelled while it runs
    unexpected = {
        name: (r["backend"]["kind"], r["counts"])
        for name, r in records.items()
        if r["backend"]["kind"] != "slurm"
        or r["counts"] not in ({"succeeded": 1}, *([{"cancelled": 1}] if "random_product" in name else []))
    }
    assert not unexpected


def _running_in_slurm() -> bool:
    answer = subprocess.run(["squeue", "--noheader", "--states=RUNNING"], capture_output=True, text=True)
    return bool(answer.stdout.strip())


# -- the futures' contract, on the local backend ------------------------------------------------------
def square(x: int) -> int:
    return x * x


def variable(name: str) -> str | None:
    """The job's own environment variable (os.environ.get would pickle this process's environment)."""
    return os.environ.get(name)


def fail(message: str) -> None:
    raise KeyError(message)


def fail_or_wait(what: str) -> None:
    if what == "fail":
        raise KeyError(what)
    wait_for(what, 0)


def wait_for(flag: str, then: int) -> int:
    while not os.path.exists(flag):
        time.sleep(0.02)
    return then


@pytest.fixture
def pool_backend(tmp_path: Path) -> hb.LocalBackend:
    return hb.LocalBackend(tmp_dir=str(tmp_path / "scratch"), cpus=2)


def test_results_come_back_in_order_with_chunks(pool_backend: hb.LocalBackend) -> None:
    with BatchPoolExecutor(backend=pool_backend, progress=False) as bpe:
        assert list(bpe.map(square, range(7), chunksize=3)) == [x * x for x in range(7)]
        assert list(bpe.map(square, [])) == []
        futures = [bpe.submit(square, x) for x in range(5)]
        done, not_done = concurrent.futures.wait(futures, timeout=120)
        assert not not_done and {f.result() for f in done} == {0, 1, 4, 9, 16}
        assert all(isinstance(f, BatchPoolFuture) and f.done() and not f.cancelled() for f in futures)
        assert len(bpe.futures) == len(bpe.batches) == 3 + 5  # a chunk is one job, in a batch of its own
        assert all(b.batch_id is not None for b in bpe.batches)  # each with its run record


async def add_later(x: int, y: int) -> int:
    return x + y


def test_the_asyncio_side(pool_backend: hb.LocalBackend, tmp_path: Path) -> None:
    """hailtop's async_submit, async_map, async_result and async_cancel; coroutine functions run too."""
    flag = str(tmp_path / "go")

    async def main() -> tuple[int, list[int], bool, int]:
        with BatchPoolExecutor(backend=pool_backend, max_parallel=1, progress=False) as bpe:
            summed = await (await bpe.async_submit(add_later, 2, y=3)).async_result(timeout=120)
            squares = [x async for x in await bpe.async_map(square, [range(5)], chunksize=2)]
            blocker = await bpe.async_submit(wait_for, flag, 8)
            queued = await bpe.async_submit(square, 9)
            while not blocker.running():
                await asyncio.sleep(0.01)
            cancelled = await queued.async_cancel()
            with pytest.raises(concurrent.futures.TimeoutError):
                await blocker.async_result(timeout=0.1)
            Path(flag).touch()
            return summed, squares, cancelled, await blocker.async_result(timeout=120)

    assert asyncio.run(main()) == (5, [0, 1, 4, 9, 16], True, 8)


def test_the_functions_exception_is_raised_with_its_traceback(pool_backend: hb.LocalBackend) -> None:
    with BatchPoolExecutor(backend=pool_backend, progress=False) as bpe:
        future = bpe.submit(fail, "no such sample")
        error = future.exception(timeout=120)
        assert isinstance(error, KeyError) and error.args == ("no such sample",)
        assert "in fail" in error.__notes__[0]  # the job's traceback
        with pytest.raises(KeyError):
            future.result()
        with pytest.raises(KeyError):  # map raises the first failure
            list(bpe.map(fail, ["a", "b"]))


def test_a_failed_job_is_a_value_error(pool_backend: hb.LocalBackend) -> None:
    with BatchPoolExecutor(backend=pool_backend, progress=False) as bpe:
        future = bpe.submit(os._exit, 3)  # the job's process dies: no value, no exception to send back
        with pytest.raises(ValueError, match="submitted job failed") as err:
            future.result(timeout=120)
        assert "log" in str(err.value)


def test_cancel_stops_queued_and_running_jobs(pool_backend: hb.LocalBackend, tmp_path: Path) -> None:
    never = str(tmp_path / "never")  # never created: only cancel() ends that job
    with BatchPoolExecutor(backend=pool_backend, max_parallel=1, progress=False) as bpe:
        first = bpe.submit(wait_for, never, 1)
        second = bpe.submit(square, 5)
        while not first.running():
            time.sleep(0.01)
        assert second.cancel() and second.cancelled()  # queued: it never starts
        time.sleep(0.5)  # the first job is running in its worker by now
        assert first.cancel()  # running: its worker process is killed
        with pytest.raises(concurrent.futures.CancelledError):
            first.result(timeout=60)
        assert first.cancelled() and first.done()
        with pytest.raises(concurrent.futures.CancelledError):
            first.exception()
    with pytest.raises(concurrent.futures.CancelledError):
        second.result()
    assert len(bpe.futures) == 2


def test_a_failing_map_cancels_its_running_calls(pool_backend: hb.LocalBackend, tmp_path: Path) -> None:
    never = str(tmp_path / "never")
    started = time.monotonic()
    bpe = BatchPoolExecutor(backend=pool_backend, progress=False)  # 2 cpus: both run at once
    with pytest.raises(KeyError), bpe:
        list(bpe.map(fail_or_wait, ["fail", never]))
    assert time.monotonic() - started < 60  # the waiting call was stopped, not waited for
    assert [f.cancelled() for f in bpe.futures] == [False, True]


def test_result_timeout(pool_backend: hb.LocalBackend, tmp_path: Path) -> None:
    flag = str(tmp_path / "go")
    with BatchPoolExecutor(backend=pool_backend, progress=False) as bpe:
        future = bpe.submit(wait_for, flag, 7)
        with pytest.raises(concurrent.futures.TimeoutError):
            future.result(timeout=0.2)
        Path(flag).touch()
        assert future.result(timeout=120) == 7


def test_shutdown_refuses_new_work_and_cleans_up(pool_backend: hb.LocalBackend, tmp_path: Path) -> None:
    bpe = BatchPoolExecutor(name="tidy", backend=pool_backend, progress=False)
    assert bpe.submit(square, 3).result(timeout=120) == 9
    folder = Path(bpe.directory)
    assert folder.is_dir() and folder.is_relative_to(tmp_path / "scratch")
    bpe.shutdown()
    assert not folder.exists()
    with pytest.raises(RuntimeError, match="already been shutdown"):
        bpe.submit(square, 1)
    kept = BatchPoolExecutor(name="kept", backend=pool_backend, cleanup_bucket=False, progress=False)
    with kept:
        kept.submit(square, 2)
    assert Path(kept.directory).is_dir()  # with the context exited, all jobs had ended


def test_wait_on_exit_false_returns_at_once(pool_backend: hb.LocalBackend, tmp_path: Path) -> None:
    flag = str(tmp_path / "go")
    with BatchPoolExecutor(backend=pool_backend, wait_on_exit=False, progress=False) as bpe:
        future = bpe.submit(wait_for, flag, 5)
    assert not future.done()
    Path(flag).touch()
    assert future.result(timeout=120) == 5
    deadline = time.monotonic() + 30
    while Path(bpe.directory).exists() and time.monotonic() < deadline:  # cleaned once the last ends
        time.sleep(0.05)
    assert not Path(bpe.directory).exists()


def test_bad_arguments_are_clear(pool_backend: hb.LocalBackend) -> None:
    with pytest.raises(hb.BatchException, match="cpus_per_job: invalid value for cpu: 0"):
        BatchPoolExecutor(backend=pool_backend, cpus_per_job=0)
    with BatchPoolExecutor(backend=pool_backend, progress=False) as bpe:
        with pytest.raises(hb.BatchException, match="takes a function"):
            bpe.submit(42)  # type: ignore[arg-type]
        lock = threading.Lock()
        with pytest.raises(hb.BatchException, match="cannot serialise"):
            bpe.submit(square, lock)
        with pytest.raises(hb.BatchException, match="chunksize"):
            bpe.map(square, [1], chunksize=0)


def test_cpus_per_job_limits_the_jobs_threads(pool_backend: hb.LocalBackend) -> None:
    with BatchPoolExecutor(backend=pool_backend, cpus_per_job=2, progress=False) as bpe:
        assert bpe.submit(variable, "OMP_NUM_THREADS").result(timeout=120) == "2"


@pytest.mark.slow
def test_futures_on_slurm(slurm: Path, tmp_path: Path) -> None:
    backend = hb.SlurmBackend(scratch=tmp_path / "shared", poll_interval=0.2)
    with BatchPoolExecutor(backend=backend, progress=False) as bpe:
        assert list(bpe.map(square, range(5))) == [0, 1, 4, 9, 16]
        future = bpe.submit(fail, "on slurm")
        assert isinstance(future.exception(timeout=120), KeyError)
        assert bpe.submit(variable, "SLURM_JOB_ID").result(timeout=120)  # it ran under Slurm
        waiting = bpe.submit(wait_for, str(tmp_path / "never"), 0)
        deadline = time.monotonic() + 60
        while not _running_in_slurm() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _running_in_slurm()
        assert waiting.cancel()  # scancel
        with pytest.raises(concurrent.futures.CancelledError):
            waiting.result(timeout=60)
        assert not _running_in_slurm()
    assert not Path(bpe.directory).exists()
