"""genolog.batch mirrors hailtop.batch's public modules, so ``sed 's/hailtop.batch/genolog.batch/'`` ports
a script: each module imports, with the public names hailtop's defines (checked against the installed
hailtop when the hail venv is there), and a script importing from the submodules runs after exactly
that string replacement."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.published import ROOT

# hailtop.batch 0.2.139's public modules and the public names each defines (a name defined in the
# module itself, not imported into it). Checked against the installed hailtop by the test below.
HAILTOP_MODULES: dict[str, set[str]] = {
    "resource": {
        "InputResourceFile",
        "JobResourceFile",
        "PythonResult",
        "Resource",
        "ResourceFile",
        "ResourceGroup",
    },
    "job": {"BashJob", "Job", "PythonJob", "opt_str"},
    "batch": {"Batch"},
    "backend": {"Backend", "LocalBackend", "RunningBatchType", "SelfType", "ServiceBackend"},
    "utils": {"concatenate", "needs_tokens_mounted", "plink_merge"},
    "exceptions": {"BatchException"},
    "batch_pool_executor": {"BatchPoolExecutor", "BatchPoolFuture", "chunk", "cpu_spec_to_float"},
    "docker": {"build_python_image"},
}
HAILTOP_TOP_LEVEL = {  # hailtop.batch.__all__
    "Backend", "Batch", "BatchException", "BatchPoolExecutor", "LocalBackend", "PythonResult", "Resource",
    "ResourceFile", "ResourceGroup", "ServiceBackend", "build_python_image", "concatenate", "plink_merge",
}  # fmt: skip
# What genolog leaves out, and why: hailtop's internals that happen to have public names.
NOT_MIRRORED = {
    "opt_str": "a string-formatting helper of hailtop's job module",
    "RunningBatchType": "a typing.TypeVar of hailtop's backend module",
    "SelfType": "a typing.TypeVar of hailtop's backend module",
    "needs_tokens_mounted": "mounts Hail Batch service tokens into a job (service internals)",
    "chunk": "hailtop's helper for map(chunksize=...); genolog chunks differently",
    "cpu_spec_to_float": "hailtop's cpu parser; genolog's is genolog.batch._units.parse_cpu",
}


@pytest.mark.parametrize("module", sorted(HAILTOP_MODULES))
def test_each_hailtop_module_has_its_genolog_twin(module: str) -> None:
    twin = importlib.import_module(f"genolog.batch.{module}")
    for name in sorted(HAILTOP_MODULES[module] - NOT_MIRRORED.keys()):
        assert hasattr(twin, name), f"genolog.batch.{module} has no {name}"
        assert name in twin.__all__
    # the public module re-exports what the package exports: one class, wherever it is imported from
    package = importlib.import_module("genolog.batch")
    for name in twin.__all__:
        if hasattr(package, name):
            assert getattr(package, name) is getattr(twin, name)


def test_the_top_level_names_are_all_there() -> None:
    import genolog.batch as hb

    assert set(hb.__all__) >= HAILTOP_TOP_LEVEL
    for name in HAILTOP_TOP_LEVEL:
        assert getattr(hb, name) is not None


def test_the_lists_match_the_installed_hailtop(hail_venv: Path) -> None:
    """The lists above are hailtop's own: the names each public module of the installed hailtop.batch
    defines, and its __all__."""
    listing = """
import importlib, json, sys
modules = sys.argv[1:]
names = {}
for m in modules:
    mod = importlib.import_module("hailtop.batch." + m)
    names[m] = sorted(n for n, o in vars(mod).items()
                      if not n.startswith("_") and getattr(o, "__module__", None) == mod.__name__)
top = importlib.import_module("hailtop.batch")
print(json.dumps({"modules": names, "all": sorted(top.__all__)}))
"""
    answer = subprocess.run(
        [str(hail_venv / "bin" / "python"), "-c", listing, *HAILTOP_MODULES],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert answer.returncode == 0, answer.stderr
    found = json.loads(answer.stdout)
    assert {m: set(n) for m, n in found["modules"].items()} == HAILTOP_MODULES
    assert set(found["all"]) == HAILTOP_TOP_LEVEL


# A script written against hailtop.batch's submodules (resource, job, utils, exceptions, batch,
# backend), as users write them. The test below runs it after replacing "hailtop.batch" only.
HAILTOP_SCRIPT = """
import json
import sys

import hailtop.batch as hb
from hailtop.batch.backend import LocalBackend
from hailtop.batch.batch import Batch
from hailtop.batch.exceptions import BatchException
from hailtop.batch.job import BashJob, Job, PythonJob
from hailtop.batch.resource import JobResourceFile, PythonResult, ResourceFile, ResourceGroup
from hailtop.batch.utils import concatenate


def shout(path: str) -> str:
    with open(path) as f:
        return f.read().strip().upper()


def lines(b: Batch, texts: list) -> list:
    files = []
    for i, text in enumerate(texts):
        j: Job = b.new_job(name=f"line-{i}")
        assert isinstance(j, BashJob)
        j.command(f"echo {text} > {j.ofile}")
        assert isinstance(j.ofile, JobResourceFile) and isinstance(j.ofile, ResourceFile)
        files.append(j.ofile)
    return files


out = sys.argv[1]
b = Batch(name="ported", backend=LocalBackend(tmp_dir=out + "/tmp"))
assert isinstance(b, hb.Batch)
texts = ["alpha", "beta", "gamma", "delta", "epsilon"]
merged = concatenate(b, lines(b, texts), branching_factor=2)
b.write_output(merged, out + "/merged.txt")
g = b.new_job(name="group")
g.declare_resource_group(pair={"left": "{root}.l", "right": "{root}.r"})
assert isinstance(g.pair, ResourceGroup)
g.command(f"echo L > {g.pair.left}; echo R > {g.pair.right}")
b.write_output(g.pair, out + "/pair")
p: PythonJob = b.new_python_job(name="shout")
loud = p.call(shout, merged)
assert isinstance(loud, PythonResult)
b.write_output(loud.as_str(), out + "/loud.txt")
refused = ""
try:
    b.write_output("not a resource", out + "/x")
except BatchException as e:
    refused = str(e)
b.run()
print(json.dumps({"refused": refused}))
"""


def test_a_hailtop_script_runs_after_replacing_hailtop_batch(tmp_path: Path) -> None:
    ported = HAILTOP_SCRIPT.replace("hailtop.batch", "genolog.batch")
    assert "hailtop" not in ported  # the replacement is the whole port
    script = tmp_path / "ported.py"
    script.write_text(ported)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    answer = subprocess.run(
        [sys.executable, str(script), str(out)], capture_output=True, text=True, timeout=300, env=env
    )
    assert answer.returncode == 0, answer.stdout + answer.stderr
    assert (out / "merged.txt").read_text() == "alpha\nbeta\ngamma\ndelta\nepsilon\n"
    assert (out / "loud.txt").read_text() == "ALPHA\nBETA\nGAMMA\nDELTA\nEPSILON\n"
    assert (out / "pair.left").read_text() == "L\n" and (out / "pair.right").read_text() == "R\n"
    assert "write_output takes a resource" in json.loads(answer.stdout.splitlines()[-1])["refused"]
