"""Batches run twice, on genolog's LocalBackend and replayed on hailtop's own LocalBackend.

Run by tests/batch/test_batch_hailtop.py with the interpreter of a venv holding ``genolog[hail]``:

    python hailtop_scenarios.py SCENARIO WORKDIR

writes WORKDIR/result.json (the jobs' own output goes to stdout): for each backend, the files the batch wrote under its output folder (relative
path -> text) and the error the run raised, if any. The functions Python jobs call are defined here,
in ``__main__``, so both dill (hailtop) and cloudpickle (genolog) carry them by value.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import genolog.batch as gb


def add_two(path: str) -> int:
    return int(Path(path).read_text()) + 2


def times_six(value: int) -> int:
    return value * 6


def as_record(x: int, y: int) -> dict[str, int]:
    return {"x": x, "y": y}


def chain(b: gb.Batch, out: Path, inputs: Path) -> None:
    previous = None
    for i in range(3):
        j = b.new_job(f"step {i}")
        j.command(
            f"cat {previous} > {j.ofile}; echo {i} >> {j.ofile}" if previous else f"echo {i} > {j.ofile}"
        )
        previous = j.ofile
    b.write_output(previous, str(out / "chain.txt"))


def scatter_gather(b: gb.Batch, out: Path, inputs: Path) -> None:
    parts = []
    for i in range(5):
        j = b.new_job(f"scatter {i}")
        j.command(f"echo part-{i} > {j.ofile}")
        parts.append(j.ofile)
    gather = b.new_job("gather")
    gather.command(f"cat {' '.join(parts)} > {gather.ofile}")
    b.write_output(gather.ofile, str(out / "gathered.txt"))
    b.write_output(b.select_jobs("scatter 3")[0].ofile, str(out / "selected.txt"))


def resource_groups(b: gb.Batch, out: Path, inputs: Path) -> None:
    for ext in ("bed", "bim"):
        (inputs / f"plink.{ext}").write_text(f"{ext} data\n")
    plink = b.read_input_group(bed=str(inputs / "plink.bed"), bim=str(inputs / "plink.bim"))
    j = b.new_job("groups")
    j.declare_resource_group(ofile={"bed": "{root}.bed", "bim": "{root}.bim"})
    j.command(f"cp {plink.bed} {j.ofile.bed}; tr a-z A-Z < {plink}.bim > {j.ofile}.bim")
    b.write_output(j.ofile, str(out / "copy"))
    reader = b.new_job("read one member")
    reader.command(f"wc -c < {j.ofile.bim} > {reader.ofile}")
    b.write_output(reader.ofile, str(out / "bim-size.txt"))


def python_pipeline(b: gb.Batch, out: Path, inputs: Path) -> None:
    start = b.new_job("start")
    start.command(f"echo 3 > {start.ofile}")
    first = b.new_python_job("add two")
    five = first.call(add_two, start.ofile)
    second = b.new_python_job("times six")
    thirty = second.call(times_six, five)
    record = second.call(as_record, 3, y=five)
    end = b.new_job("end")
    end.command(f"cat {start.ofile} {five.as_str()} > {end.ofile}; echo >> {end.ofile}")
    end.command(
        f"cat {thirty.as_str()} >> {end.ofile}; echo >> {end.ofile}; cat {record.as_json()} >> {end.ofile}"
    )
    b.write_output(end.ofile, str(out / "pipeline.txt"))
    b.write_output(thirty.as_repr(), str(out / "thirty-repr.txt"))


def failures(b: gb.Batch, out: Path, inputs: Path) -> None:
    bad = b.new_job("bad")
    bad.command(f"echo partial > {bad.ofile}; exit 3")
    child = b.new_job("child")
    child.command(f"cat {bad.ofile} > {child.ofile}")
    grandchild = b.new_job("grandchild").depends_on(child)
    grandchild.command(f"echo never > {grandchild.ofile}")
    cleanup = b.new_job("cleanup").always_run()
    cleanup.command(f"cat {bad.ofile} > {cleanup.ofile}")
    unrelated = b.new_job("unrelated")
    unrelated.command(f"echo fine > {unrelated.ofile}")
    for name, job in (
        ("child", child),
        ("grandchild", grandchild),
        ("cleanup", cleanup),
        ("unrelated", unrelated),
    ):
        b.write_output(job.ofile, str(out / f"{name}.txt"))


def paths_and_shells(b: gb.Batch, out: Path, inputs: Path) -> None:
    source = inputs / "an input (copy).txt"
    source.write_text("from outside\n")
    given = b.read_input(str(source))
    j = b.new_job("sh job", shell="/bin/sh")
    j.env("GREETING", "hello")
    j.command(f'cat {given} > {j.ofile}; echo "$GREETING" >> {j.ofile}')
    vcf = b.new_job("extension")
    vcf.ofile.add_extension(".vcf")
    vcf.command(f"basename {vcf.ofile} | sed 's/.*[.]//' > {vcf.ofile}")
    b.write_output(j.ofile, str(out / "with spaces (and parentheses).txt"))
    b.write_output(vcf.ofile, str(out / "ext.vcf"))
    b.write_output(given, str(out / "input-copied.txt"))


def second_run(b: gb.Batch, out: Path, inputs: Path) -> None:
    first = b.new_job("first")
    first.command(f"echo one > {first.ofile}; echo ran >> {out}/first-runs.txt")
    b.write_output(first.ofile, str(out / "one.txt"))
    b.run()
    second = b.new_job("second")
    second.command(f"echo two > {second.ofile}")
    b.write_output(second.ofile, str(out / "two.txt"))


SCENARIOS: dict[str, Callable[[gb.Batch, Path, Path], None]] = {
    f.__name__: f
    for f in (chain, scatter_gather, resource_groups, python_pipeline, failures, paths_and_shells, second_run)
}


def run_on(backend: Any, scenario: str, workdir: Path) -> dict[str, Any]:
    out, inputs = workdir / "out", workdir / "inputs"
    out.mkdir(parents=True)
    inputs.mkdir(parents=True)
    batch = gb.Batch(name=scenario, backend=backend)
    error = None
    try:
        SCENARIOS[scenario](batch, out, inputs)
        batch.run()
    except Exception as e:
        error = {"is_called_process_error": "CalledProcessError" in [c.__name__ for c in type(e).__mro__]}
    files = {str(p.relative_to(out)): p.read_text() for p in sorted(out.rglob("*")) if p.is_file()}
    return {"files": files, "error": error}


SERVICE_CONFIG = """
[workflow]
dataset = "cohort"
access_level = "test"
name = "cohort-qc"
ar-guid = "guid-123"
[storage.default]
default = "gs://cohort-main"
tmp = "gs://cohort-tmp"
[hail]
backend = "batch"
billing_project = "cohort-billing"
regions = "europe-west2, europe-west1"
"""


def service(workdir: Path) -> dict[str, Any]:
    """What the Hail Batch service would be sent, from a config naming it, without a network.

    gs:// is a local folder (cloudpathlib's local client), hailtop's GCS storage-class check is
    skipped for the bucket through its allow list, and the run is a dry run."""
    import contextlib
    import io
    import os

    from cloudpathlib import implementation_registry
    from cloudpathlib.local import local_gs_implementation

    from genolog.batch.helpers import get_batch
    from genolog.paths import to_path

    implementation_registry["gs"] = local_gs_implementation
    os.environ["HAIL_GCS_BUCKET_ALLOW_LIST"] = "cohort-tmp,cohort-main"
    config = workdir / "config.toml"
    config.write_text(SERVICE_CONFIG)
    os.environ["GENOLOG_CONFIG_PATH"] = str(config)

    b = get_batch()
    align = b.new_job("align", {"sequencing_group": "CPGAAA", "tool": "bwa"})
    align.image("localhost/genolog/fastqe:0.5.2").cpu(4).memory("8Gi").storage("50Gi").timeout(3600)
    align.regions(["europe-west2"]).spot(False).n_max_attempts(3)
    align.command(f"echo aligned > {align.ofile}")
    b.write_output(align.ofile, "gs://cohort-main/aligned.txt")
    summary = b.new_python_job("summarise")
    summary.image("localhost/genolog/driver:1")
    result = summary.call(add_two, align.ofile)
    report = b.new_job("report").always_run()
    report.command(f"cat {result.as_str()} > {report.ofile}")
    b.write_output(report.ofile, "gs://cohort-main/report.txt")

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        outcome = b.run(dry_run=True)
    backend = b._backend
    # the hailtop batch the dry run printed (nothing is added twice), as a real run would submit it
    target = backend.replay(b)
    service_backend = backend.hail_backend()
    jobs = [
        {
            "name": j.name,
            "attributes": j.attributes,
            "image": j._image,
            "cpu": j._cpu,
            "memory": j._memory,
            "storage": j._storage,
            "timeout": j._timeout,
            "regions": j._regions,
            "spot": j._preemptible,
            "n_max_attempts": j._n_max_attempts,
            "always_run": j._always_run,
            "env": j._env,
            "outputs": sorted(p for r in j._external_outputs for p in r._output_paths),
            "parents": sorted(p.name for p in j._dependencies),
        }
        for j in target._jobs
    ]
    job_env = backend._job_env(dry_run=False)  # what a real run gives the jobs: the config, uploaded
    refusals = {}
    local = gb.Batch(
        backend=gb.ServiceBackend(billing_project="bp", remote_tmpdir="gs://cohort-tmp/x", regions=["r"])
    )
    j = local.new_job("writes here")
    j.command(f"echo x > {j.ofile}")
    local.write_output(j.ofile, str(workdir / "local.txt"))
    for name, attempt in (
        ("local_output", lambda: local.run(dry_run=True)),
        ("no_billing_project", lambda: gb.ServiceBackend(remote_tmpdir="gs://cohort-tmp/x").hail_backend()),
    ):
        try:
            attempt()
        except gb.BatchException as e:
            refusals[name] = str(e)
    return {
        "backend": type(backend).__name__,
        "service": {
            "billing_project": service_backend._billing_project,
            "remote_tmpdir": service_backend.remote_tmpdir,
            "regions": service_backend.regions,
        },
        "batch": {"name": target.name, "attributes": target.attributes},
        "jobs": jobs,
        "job_env": job_env,
        "uploaded_config": to_path(job_env["GENOLOG_CONFIG_PATH"]).read_text(),
        "dry_run": {"returned": repr(outcome), "printed": printed.getvalue()},
        "unsubmitted_after_dry_run": len(b._unsubmitted_jobs()),
        "refusals": refusals,
    }


def pool(backend: Any) -> dict[str, Any]:
    """BatchPoolExecutor on a backend: a map, a keyword call, and a call that raises."""

    def refuse(sample: str) -> None:
        raise KeyError(sample)

    with gb.BatchPoolExecutor(backend=backend, progress=False) as bpe:
        tripled = list(bpe.map(lambda x: x * 3, range(4)))
        joined = bpe.submit(lambda x, y, z: x + y + z, "poly", "ethyl", z="ene").result()
        error = bpe.submit(refuse, "S1").exception()
    return {
        "tripled": tripled,
        "joined": joined,
        "error": [type(error).__name__, list(getattr(error, "args", []))],
        "cleaned": not Path(bpe.directory).exists(),
    }


def main() -> None:
    import hailtop.batch as hb

    scenario, workdir = sys.argv[1], Path(sys.argv[2])
    if scenario == "service":
        (workdir / "result.json").write_text(json.dumps(service(workdir)))
        return
    if scenario == "pool":
        pools = {
            "genolog": pool(gb.LocalBackend(tmp_dir=str(workdir / "genolog-tmp"))),
            "hailtop": pool(gb.HailtopBackend(hb.LocalBackend(tmp_dir=str(workdir / "hailtop-tmp")))),
        }
        (workdir / "result.json").write_text(json.dumps(pools))
        return
    results = {
        "genolog": run_on(
            gb.LocalBackend(tmp_dir=str(workdir / "genolog-tmp")), scenario, workdir / "genolog"
        ),
        "hailtop": run_on(
            gb.HailtopBackend(hb.LocalBackend(tmp_dir=str(workdir / "hailtop-tmp"))),
            scenario,
            workdir / "hailtop",
        ),
    }
    (workdir / "result.json").write_text(json.dumps(results))


if __name__ == "__main__":
    main()
