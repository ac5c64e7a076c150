"""``--detach`` to the Hail Batch service (``[hail] backend = "batch"``): the driver as one service job.

As CPG's analysis-runner server does it, the job itself clones the run's repository, checks out the
recorded commit, changes to the recorded folder and runs the driver there, in the driver image; here the
driver is wrapped by ``python3 -m genolog.runner._detached`` (so the image must have genolog installed),
which appends its output to the run's log and records the outcome. The job is a genolog `Batch` of one
job, submitted through `genolog.batch._hailtop.ServiceBackend`.

The service's workers see neither this machine's folders nor its uncommitted changes, so a run is
refused (`check`) before it is recorded unless its repository is a URL, its config and log are in cloud
storage, its metadata server is not on this machine, and it has no ``--allow-uncommitted``.

The token reaches the job as its ``GENOLOG_TOKEN`` variable: hailtop has no other way to hand a job a
secret, and the variable is readable by whoever can read the batch's job specs (its billing project's
members). It is never on the job's command line nor in a file genolog stores.
"""

from __future__ import annotations

import importlib
import os
import re
import shlex
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from genolog.batch._resource import BatchException
from genolog.paths import is_cloud_path
from genolog.runner import runconfig
from genolog.runner.container import RUNNER_ENV
from genolog.runner.detach import Submission
from genolog.runner.errors import RunnerError
from genolog.runner.gitinfo import Checkout
from genolog.runner.spec import RunSpec

if TYPE_CHECKING:
    from genolog.batch._batch import Batch
    from genolog.batch._hailtop import ServiceBackend

#: git's scp-like remote form, ``user@host:path`` (a URL the workers can reach, like ssh://).
_SCP_LIKE = re.compile(r"^[\w.-]+@[\w.-]+:")
_REMOTE_SCHEMES = ("https", "http", "ssh", "git")
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "0.0.0.0")


def is_remote_repository(repository: str) -> bool:
    """Whether a worker elsewhere could clone ``repository``: a network URL, not a path or ``file://``."""
    return urlparse(repository).scheme in _REMOTE_SCHEMES or bool(_SCP_LIKE.match(repository))


def on_this_machine(url: str) -> bool:
    """Whether ``url``'s host is this machine's loopback, which no worker elsewhere can reach."""
    host = urlparse(url).hostname or ""
    return host in _LOCAL_HOSTS or host.startswith("127.")


def check(spec: RunSpec, code: Checkout, config_path: str, log_path: str, server_url: str) -> None:
    """Refuse (`RunnerError`) a run the service's workers could not carry out; call it before recording."""
    if spec.allow_uncommitted:
        raise RunnerError(
            "A run on the Hail Batch service cannot use --allow-uncommitted: its workers clone the "
            "repository and cannot see this machine's uncommitted changes. Commit and push them, or run "
            "without --detach."
        )
    if not spec.skip_repo_checkout and not is_remote_repository(code.repository):
        raise RunnerError(
            f"The Hail Batch service's workers cannot clone {code.repository}: it is a folder on this "
            "machine. Give the repository's URL (--repository, or an 'origin' remote), or use "
            "--skip-repo-checkout."
        )
    for what, path in (("config", config_path), ("log", log_path)):
        if not is_cloud_path(path):
            raise RunnerError(
                f"The run's {what} would be at {path}, which the Hail Batch service's workers cannot "
                "reach: give the dataset cloud tmp storage ([storage.<dataset>] tmp = 'gs://...')."
            )
    if on_this_machine(server_url):
        raise RunnerError(
            f"The metadata server {server_url} is on this machine, which the Hail Batch service's workers "
            "cannot reach to record the run's outcome: use a server they can reach (GENOLOG_URL)."
        )


def job_script(ar_guid: str, log_path: str, code: Checkout, command: list[str]) -> str:
    """The job's command: clone the repository at the recorded commit into a scratch folder, change to
    the recorded folder, and run the driver through genolog's wrapper (which removes the scratch)."""
    lines = ["set -eu", 'scratch="$(mktemp -d)"']
    if code.commit:
        lines += [
            f'git clone --quiet -- {shlex.quote(code.repository)} "$scratch/code"',
            f'git -C "$scratch/code" -c advice.detachedHead=false checkout --quiet {shlex.quote(code.commit)}',
            f'cd "$scratch/code"/{shlex.quote(code.cwd)}',
        ]
    else:  # --skip-repo-checkout: an empty folder
        lines.append('cd "$scratch"')
    wrapper = ["python3", "-m", "genolog.runner._detached", "--ar-guid", ar_guid, "--log", log_path]
    lines.append(f'exec {shlex.join(wrapper)} --workdir "$PWD" --scratch "$scratch" -- {shlex.join(command)}')
    return "\n".join(lines)


def job_env(env: Mapping[str, str], spec: RunSpec) -> dict[str, str]:
    """The job's variables: the runner's (config path, server, token, guid) and the user's ``-e`` ones,
    never the rest of the submitting machine's environment."""
    return {name: env[name] for name in (*RUNNER_ENV, *spec.env) if name in env}


def service_backend(config: Mapping[str, Any], dataset: str) -> ServiceBackend:
    """The service as the run's config sets it: ``[hail] billing_project``, ``remote_tmpdir`` (default:
    the dataset's tmp storage + ``/batch-tmp``) and ``regions``; the Hail token from ``HAIL_TOKEN``."""
    from genolog.batch._hailtop import ServiceBackend

    class RunServiceBackend(ServiceBackend):
        def _job_env(self, dry_run: bool) -> dict[str, str]:
            return {}  # the job reads the run's own stored config, not the submitting process's

    hail = config.get("hail") or {}
    regions = hail.get("regions")
    if isinstance(regions, str):
        regions = [r.strip() for r in regions.split(",") if r.strip()]
    return RunServiceBackend(
        billing_project=hail.get("billing_project"),
        remote_tmpdir=hail.get("remote_tmpdir")
        or f"{runconfig.tmp_prefix(config, dataset).rstrip('/')}/batch-tmp",
        regions=list(regions) if regions else None,
        token=os.environ.get("HAIL_TOKEN"),
    )


def driver_batch(
    spec: RunSpec,
    ar_guid: str,
    code: Checkout,
    command: list[str],
    log_path: str,
    env: Mapping[str, str],
    backend: ServiceBackend,
) -> Batch:
    """The genolog `Batch` of the driver's job: in the driver image, with ``--cpu``/``--memory``/
    ``--storage`` as its resources and ``--preemptible`` as spot."""
    from genolog.batch import Batch

    batch = Batch(name=f"analysis-runner {ar_guid}", backend=backend, attributes={"ar-guid": ar_guid})
    job = batch.new_job("driver", {"ar-guid": ar_guid})
    job.image(spec.driver_image).spot(spec.preemptible)
    if spec.cpu:
        job.cpu(spec.cpu)
    if spec.memory:
        job.memory(spec.memory)
    if spec.storage:
        job.storage(spec.storage)
    for name, value in job_env(env, spec).items():
        job.env(name, value)
    job.command(job_script(ar_guid, log_path, code, command))
    return batch


def submit(batch: Batch) -> tuple[str, str]:
    """Submit the driver's batch without waiting; returns the service's batch id and its page's URL."""
    try:
        submitted: Any = batch.run(wait=False, disable_progress_bar=True)
    except BatchException as e:
        raise RunnerError(f"Cannot submit to the Hail Batch service: {e}.") from None
    except Exception as e:  # hailtop's client raises its HTTP, login and network errors as they come
        reason = " ".join(str(e).split()).rstrip(".") or type(e).__name__
        raise RunnerError(f"The Hail Batch service did not take the driver: {reason}.") from None
    batch_id = str(submitted.id)  # a hailtop.batch_client Batch
    deploy_config = importlib.import_module("hailtop.config").get_deploy_config()
    return batch_id, str(deploy_config.external_url("batch", f"/batches/{batch_id}"))


def submit_driver(
    spec: RunSpec,
    ar_guid: str,
    code: Checkout,
    command: list[str],
    log_path: str,
    config: Mapping[str, Any],
    env: Mapping[str, str],
) -> Submission:
    """Submit the run's driver to the service (`check` has passed); returns at once."""
    try:
        backend = service_backend(config, spec.dataset)
    except BatchException as e:  # hail is not installed
        raise RunnerError(f"Cannot submit to the Hail Batch service: {e}.") from None
    batch_id, url = submit(driver_batch(spec, ar_guid, code, command, log_path, env, backend))
    return Submission("hail", batch_id, url)
