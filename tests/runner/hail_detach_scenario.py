"""Run in a venv with genolog[hail] (see test_detach_hail.py): what a detached run would send the Hail
Batch service, with a dry run and no network (gs:// is a local folder, through cloudpathlib's local
client). Writes result.json into the folder given as its argument."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from pathlib import Path
from typing import Any

from cloudpathlib import implementation_registry
from cloudpathlib.local import local_gs_implementation

from genolog.runner import detach_hail
from genolog.runner.errors import RunnerError
from genolog.runner.gitinfo import Checkout
from genolog.runner.spec import RunSpec

AR_GUID = "a1b2c3d4-0000-4000-8000-000000000001"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
TOKEN = "secret-genolog-token-7f3a"
CONFIG_URL = f"gs://cohort-tmp/analysis-runner/{AR_GUID}.toml"
LOG_URL = f"gs://cohort-tmp/analysis-runner/{AR_GUID}.log"


def scenario(workdir: Path) -> dict[str, Any]:
    implementation_registry["gs"] = local_gs_implementation
    os.environ["HAIL_GCS_BUCKET_ALLOW_LIST"] = "cohort-tmp"
    # the submitting process's own config must not replace the run's in the job
    caller_config = workdir / "caller.toml"
    caller_config.write_text('[workflow]\ndataset = "elsewhere"\n')
    os.environ["GENOLOG_CONFIG_PATH"] = str(caller_config)

    spec = RunSpec(
        dataset="cohort",
        access_level="test",
        output_dir="qc/v1",
        image="europe-docker.pkg.dev/cohort/images/driver:3",
        cpu="2",
        memory="8Gi",
        storage="20Gi",
        preemptible=False,
        env={"EXTRA": "yes"},
        command=("./scripts/qc.py", "--samples", "a b"),
    )
    code = Checkout(
        root=workdir / "checkout",
        repository="https://github.com/example/analysis.git",
        commit=COMMIT,
        branch="main",
        script="scripts/qc.py",
        cwd="pipelines/qc dir",
        dirty=False,
    )
    config = {
        "hail": {"billing_project": "cohort-billing", "regions": "europe-west2"},
        "storage": {"default": {"default": "gs://cohort-main", "tmp": "gs://cohort-tmp"}},
    }
    env = {
        "GENOLOG_CONFIG_PATH": CONFIG_URL,
        "CPG_CONFIG_PATH": CONFIG_URL,
        "GENOLOG_URL": "https://genolog.example.org",
        "GENOLOG_TOKEN": TOKEN,
        "GENOLOG_AR_GUID": AR_GUID,
        "PYTHONUNBUFFERED": "1",
        "EXTRA": "yes",
        "HOME": "/home/someone",  # the submitting machine's: not for the job
        "PATH": "/home/someone/.venv/bin:/usr/bin",
    }
    detach_hail.check(spec, code, CONFIG_URL, LOG_URL, env["GENOLOG_URL"])  # passes
    backend = detach_hail.service_backend(config, spec.dataset)
    batch = detach_hail.driver_batch(spec, AR_GUID, code, list(spec.command), LOG_URL, env, backend)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        batch.run(dry_run=True)
    target = backend.replay(batch)  # what a real run submits
    [job] = target._jobs
    service = backend.hail_backend()
    refusals = {}
    try:
        detach_hail.check(spec, code, CONFIG_URL, LOG_URL, "http://127.0.0.1:8000")
    except RunnerError as e:
        refusals["local_server"] = str(e)
    return {
        "service": {
            "billing_project": service._billing_project,
            "remote_tmpdir": service.remote_tmpdir,
            "regions": service.regions,
        },
        "batch": {"name": target.name, "attributes": target.attributes},
        "job": {
            "name": job.name,
            "image": job._image,
            "cpu": job._cpu,
            "memory": job._memory,
            "storage": job._storage,
            "spot": job._preemptible,
            "env": job._env,
            "command": job._command,
        },
        "job_env_on_submit": backend._job_env(dry_run=False),
        "printed": printed.getvalue(),
        "refusals": refusals,
    }


if __name__ == "__main__":
    folder = Path(sys.argv[1])
    (folder / "result.json").write_text(json.dumps(scenario(folder)))
