"""Python jobs: calls, results, resources as arguments, and failures."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import pytest

from genolog.batch import Batch, BatchException, JobFailedError, LocalBackend


def read_int(path: str) -> int:
    with open(path) as f:
        return int(f.read())


def multiply(x: int, y: int, factor: int = 1) -> int:
    return x * y * factor


def as_record(x: int, y: int) -> dict[str, int]:
    return {"x": x, "y": y}


def fail(message: str) -> None:
    raise RuntimeError(message)


async def async_double(x: int) -> int:
    return 2 * x


def test_bash_python_python_bash_pipeline(backend: LocalBackend, tmp_path: Path) -> None:
    b = Batch(backend=backend)
    head = b.new_job("numbers")
    head.command(f"echo 3 > {head.x}; echo 5 > {head.y}")
    p1 = b.new_python_job("read")
    x = p1.call(read_int, head.x)
    y = p1.call(read_int, head.y)
    p2 = b.new_python_job("combine")
    product = p2.call(multiply, x, y, factor=2)
    record = p2.call(as_record, x, y)
    tail = b.new_job("report")
    tail.command(f"cat {head.x} {head.y} {product.as_str()} {record.as_json()} > {tail.ofile}")
    b.write_output(tail.ofile, str(tmp_path / "out.txt"))
    result = b.run()
    assert result is not None
    assert (tmp_path / "out.txt").read_text() == '3\n5\n30\n{"x": 3, "y": 5}\n'
    assert [j.name for j in result.jobs] == ["numbers", "read", "combine", "report"]


def test_results_as_str_repr_json_and_write_output(backend: LocalBackend, tmp_path: Path) -> None:
    b = Batch(backend=backend)
    j = b.new_python_job("values")
    r = j.call(as_record, 1, 2)
    for kind, method in (("str", r.as_str), ("repr", r.as_repr), ("json", r.as_json)):
        b.write_output(method(), str(tmp_path / f"r.{kind}"))
    b.run()
    assert (tmp_path / "r.str").read_text() == "{'x': 1, 'y': 2}\n"
    assert (tmp_path / "r.repr").read_text() == "{'x': 1, 'y': 2}\n"
    assert json.loads((tmp_path / "r.json").read_text()) == {"x": 1, "y": 2}


def test_resource_groups_lists_and_dicts_arrive_as_paths(backend: LocalBackend, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("A")
    (tmp_path / "b.txt").write_text("B")
    b = Batch(backend=backend)
    group = b.read_input_group(a=str(tmp_path / "a.txt"), b=str(tmp_path / "b.txt"))
    single = b.read_input(str(tmp_path / "a.txt"))

    def read_all(g: dict[str, str], files: list[str], named: dict[str, str]) -> str:
        texts = [Path(g["a"]).read_text(), Path(g["b"]).read_text()]
        texts += [Path(f).read_text() for f in files] + [Path(named["k"]).read_text()]
        return "".join(texts)

    j = b.new_python_job("paths")
    out = j.call(read_all, group, [single], {"k": single})
    b.write_output(out.as_str(), str(tmp_path / "all.txt"))
    b.run()
    assert (tmp_path / "all.txt").read_text() == "ABAA\n"


def test_lambdas_partials_builtins_and_coroutines_work(backend: LocalBackend, tmp_path: Path) -> None:
    b = Batch(backend=backend)
    j = b.new_python_job("callables")
    results = [
        j.call(lambda v: v + 1, 1),
        j.call(functools.partial(multiply, 2), 3),
        j.call(len, "four"),
        j.call(async_double, 21),
    ]
    for i, r in enumerate(results):
        b.write_output(r.as_str(), str(tmp_path / f"{i}.txt"))
    b.run()
    assert [(tmp_path / f"{i}.txt").read_text() for i in range(4)] == ["2\n", "6\n", "4\n", "42\n"]


def test_exception_fails_the_job_with_traceback_in_log(backend: LocalBackend) -> None:
    b = Batch(backend=backend)
    j = b.new_python_job("raises")
    j.call(fail, "no good")
    after = b.new_python_job("after")
    after.call(multiply, 1, 1)
    after.depends_on(j)
    with pytest.raises(JobFailedError) as err:
        b.run()
    assert err.value.job.log_path is not None
    log = err.value.job.log_path.read_text()
    assert "RuntimeError: no good" in log and "Traceback" in log
    assert [r.status for r in err.value.result.jobs] == ["failed", "cancelled"]


def test_env_and_working_directory(backend: LocalBackend, tmp_path: Path) -> None:
    b = Batch(backend=backend)
    j = b.new_python_job("env")
    j.env("SETTING", "a b")
    r = j.call(lambda: (os.environ["SETTING"], os.getcwd() == os.environ["BATCH_TMPDIR"]))
    b.write_output(r.as_repr(), str(tmp_path / "env.txt"))
    b.run()
    assert (tmp_path / "env.txt").read_text() == "('a b', True)\n"


def test_python_job_timeout(backend: LocalBackend) -> None:
    import time

    b = Batch(backend=backend)
    j = b.new_python_job("sleepy")
    j.timeout(0.3)
    j.call(time.sleep, 30)
    with pytest.raises(JobFailedError, match="timed out") as err:
        b.run()
    assert err.value.job.duration < 10


def test_call_checks_arguments_and_rejects_jobs(backend: LocalBackend) -> None:
    b = Batch(backend=backend)
    j = b.new_python_job("checks")
    with pytest.raises(BatchException, match="Cannot call"):
        j.call(multiply, 1)
    with pytest.raises(BatchException, match="cannot be other job objects"):
        j.call(multiply, j, 1)
    with pytest.raises(BatchException, match="must be a callable"):
        j.call(3)  # type: ignore[arg-type]


def test_functions_from_installed_packages_are_imported_in_the_worker(
    backend: LocalBackend, tmp_path: Path
) -> None:
    import textwrap

    b = Batch(backend=backend)
    j = b.new_python_job("installed")
    r = j.call(textwrap.shorten, "a b c d e f g", 7)
    b.write_output(r.as_str(), str(tmp_path / "short.txt"))
    b.run()
    assert (tmp_path / "short.txt").read_text() == "a [...]\n"
