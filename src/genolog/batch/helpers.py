"""cpg_utils.hail_batch-style helpers: the batch singleton, command wrapping, and job setup.

Scripts written for CPG change only their imports::

    from genolog.batch.helpers import command, get_batch, image_path, output_path
    # was: from cpg_utils.hail_batch import command, get_batch, image_path, output_path

Defaults come from the ``[hail]`` config section; ``[hail] backend`` picks the backend: ``local`` (the
parallel local backend, the default), ``slurm`` (`SlurmBackend`, set up by ``[slurm]``) or ``batch``
(the Hail Batch service, `ServiceBackend`; see `configured_backend`).
"""

from __future__ import annotations

import base64
import gzip
import importlib.util
import inspect
import logging
import os
import re
import tempfile
import textwrap
from types import ModuleType
from typing import Any

from genolog.batch._backend import Backend
from genolog.batch._batch import Batch
from genolog.batch._job import Job
from genolog.batch._local import LocalBackend
from genolog.batch._progress import console
from genolog.batch._report import BatchRunResult
from genolog.batch._resource import ResourceGroup
from genolog.config import (
    CONFIG_PATH_ENV_VARS,
    ConfigError,
    config_retrieve,
    genome_build,
    get_config,
    try_get_ar_guid,
)
from genolog.paths import (
    dataset_path,
    image_path,
    is_cloud_path,
    output_path,
    reference_path,
    to_path,
    web_url,
)

__all__ = [
    "GSA_KEY_PATH",
    "CpgBatch",
    "authenticate_cloud_credentials_in_job",
    "command",
    "copy_common_env",
    "dataset_path",
    "fasta_res_group",
    "genome_build",
    "get_batch",
    "get_config",
    "image_path",
    "init_batch",
    "output_path",
    "query_command",
    "reference_path",
    "remote_tmpdir",
    "reset_batch",
    "to_path",
    "web_url",
]

_log = logging.getLogger(__name__)

#: Where Hail Batch workers find the service-account key; jobs activate it only if it exists.
GSA_KEY_PATH = "/gsa-key/key.json"
_SEQUENCING_GROUPS_GZIP_THRESHOLD = 10_000

_batch: CpgBatch | None = None
_hail_query_initialised = False


def configured_backend() -> Backend:
    """The backend ``[hail] backend`` names: ``local`` (the default), ``slurm`` (set up by ``[slurm]``)
    or ``batch``, the Hail Batch service (`ServiceBackend`, which needs ``pip install 'genolog[hail]'``).

    The service reads ``[hail] billing_project``, ``remote_tmpdir`` (default: the dataset's tmp
    storage + ``/batch-tmp``, as cpg_utils) and ``regions``, and the token from ``HAIL_TOKEN``.
    """
    backend_name = config_retrieve(["hail", "backend"], default="local")
    if backend_name == "local":
        return LocalBackend(tmp_dir=tempfile.mkdtemp("batch-tmp"))
    if backend_name == "slurm":
        from genolog.batch._slurm import SlurmBackend

        return SlurmBackend()
    if backend_name in ("batch", "service"):
        from genolog.batch._hailtop import ServiceBackend

        regions = config_retrieve(["hail", "regions"], default=None)
        if isinstance(regions, str):
            regions = [r.strip() for r in regions.split(",") if r.strip()]
        return ServiceBackend(
            billing_project=config_retrieve(["hail", "billing_project"], default=None),
            remote_tmpdir=config_retrieve(["hail", "remote_tmpdir"], default=None)
            or dataset_path("batch-tmp", "tmp"),
            regions=list(regions) if regions is not None else None,
            token=os.environ.get("HAIL_TOKEN"),
        )
    raise ConfigError(
        f"[hail] backend is {backend_name!r}; expected 'local', 'slurm' or 'batch' (the Hail Batch service)"
    )


class CpgBatch(Batch):
    """A `Batch` that names, labels and counts jobs like cpg_utils' `Batch` subclass."""

    def __init__(self, name: str | None = None, backend: Backend | None = None, **kwargs: Any) -> None:
        attributes = dict(kwargs.pop("attributes", None) or {})
        ar_guid = try_get_ar_guid()
        if ar_guid:
            attributes["ar-guid"] = ar_guid
        super().__init__(name=name, backend=backend, attributes=attributes, **kwargs)
        self.job_by_label: dict[str, int] = {}
        self.job_by_stage: dict[str, int] = {}
        self.job_by_tool: dict[str, int] = {}
        self.total_job_num = 0

    def _count(self, job: Job) -> None:
        self.total_job_num += 1
        for key, counter in (
            ("label", self.job_by_label),
            ("stage", self.job_by_stage),
            ("tool", self.job_by_tool),
        ):
            value = job.attributes.get(key)
            if value is not None:
                counter[str(value)] = counter.get(str(value), 0) + 1

    def new_bash_job(
        self, name: str | None = None, attributes: dict[str, str] | None = None, shell: str | None = None
    ) -> Any:
        job = super().new_bash_job(name, attributes, shell)
        self._count(job)
        return job

    def new_python_job(self, name: str | None = None, attributes: dict[str, str] | None = None) -> Any:
        job = super().new_python_job(name, attributes)
        self._count(job)
        return job

    def _prepare_job(self, job: Job) -> None:
        if not job.name:
            raise ValueError("Error: job name must be defined")
        attrs = job.attributes
        prefix = "/".join(
            str(attrs[k])
            for k in ("dataset", "sequencing_group", "participant_id")
            if attrs.get(k) is not None
        )
        name = f"{prefix}: {job.name}" if prefix else job.name
        if attrs.get("part") is not None:
            name += f", {attrs['part']}"
        job.name = name
        groups = attrs.pop("sequencing_groups", None)
        job.attributes = {k: str(v) for k, v in attrs.items()}
        if groups is not None:
            text = str(sorted(groups)) if isinstance(groups, list | tuple | set) else str(groups)
            if len(text) > _SEQUENCING_GROUPS_GZIP_THRESHOLD:
                job.attributes["sequencing_groups_gzip"] = base64.b64encode(
                    gzip.compress(text.encode())
                ).decode()
            else:
                job.attributes["sequencing_groups"] = text
        copy_common_env(job)

    def run(
        self,
        dry_run: bool | None = None,
        verbose: bool = False,
        delete_scratch_on_exit: bool | None = None,
        **backend_kwargs: Any,
    ) -> BatchRunResult | None:
        """Run like `Batch.run`; `wait` is dropped; `dry_run` and scratch deletion default from [hail]."""
        jobs = self._unsubmitted_jobs()
        if not jobs:
            _log.info("No jobs to submit")
            return None
        for job in jobs:
            self._prepare_job(job)
        for key in ("stage", "tool"):
            counts = getattr(self, f"job_by_{key}")
            if counts:
                _log.info("jobs by %s: %s", key, counts)
        if not self._backend.submits_to_service:
            backend_kwargs.pop("wait", None)
        if dry_run is None:
            dry_run = bool(config_retrieve(["hail", "dry_run"], default=False))
        if delete_scratch_on_exit is None:
            delete_scratch_on_exit = bool(config_retrieve(["hail", "delete_scratch_on_exit"], default=True))
        return super().run(dry_run, verbose, delete_scratch_on_exit, **backend_kwargs)


def get_batch(
    name: str | None = None,
    *,
    default_python_image: str | None = None,
    attributes: dict[str, str] | None = None,
    **kwargs: Any,
) -> CpgBatch:
    """The process-wide batch, created on first call from the ``[hail]`` and ``[workflow]`` config.

    Unlike cpg_utils, `default_python_image` is optional: Python jobs run with this interpreter.
    """
    global _batch
    if _batch is None:
        backend = configured_backend()
        defaults: dict[str, Any] = {
            "cancel_after_n_failures": config_retrieve(["hail", "cancel_after_n_failures"], default=None),
            "default_timeout": config_retrieve(["hail", "default_timeout"], default=None),
            "default_memory": config_retrieve(["hail", "default_memory"], default=None),
        }
        defaults.update(kwargs)
        _batch = CpgBatch(
            name=name or config_retrieve(["workflow", "name"], default=None),
            backend=backend,
            attributes=attributes,
            default_python_image=default_python_image
            or config_retrieve(["workflow", "driver_image"], default=None),
            **defaults,
        )
    return _batch


def reset_batch() -> None:
    """Forget the process-wide batch; the next `get_batch()` makes a new one."""
    global _batch
    _batch = None


def copy_common_env(job: Job) -> None:
    """Give the job the config path (both variable names) and the analysis-runner guid."""
    for var in CONFIG_PATH_ENV_VARS:
        value = os.environ.get(var)
        if value:
            job.env(var, value)
    ar_guid = try_get_ar_guid()
    if ar_guid:
        job.attributes["ar-guid"] = ar_guid


def _gcloud_activation() -> str:
    # Guarded, so the same script runs locally where there is no key (or no gcloud).
    return (
        f"if [ -f {GSA_KEY_PATH} ] && command -v gcloud >/dev/null; then\n"
        f"export GOOGLE_APPLICATION_CREDENTIALS={GSA_KEY_PATH}\n"
        "gcloud -q auth activate-service-account --key-file=$GOOGLE_APPLICATION_CREDENTIALS\n"
        "fi"
    )


def authenticate_cloud_credentials_in_job(job: Job, print_all_statements: bool = True) -> Job:
    """Activate the service account in the job, when the job has a key (cloud workers do)."""
    prefix = "set -x\n" if print_all_statements else ""
    job.command(prefix + _gcloud_activation())
    return job


_RETRY_FUNCTIONS = """
function fail {
  echo $1 >&2
  exit 1
}
function retry {
  local n_attempts=10
  local delay=30
  local n=1
  while ! eval "$@"; do
    if [[ $n -lt $n_attempts ]]; then
      ((n++))
      echo "Command failed. Attempt $n/$n_attempts after ${delay}s..."
      sleep $delay;
    else
      fail "The command has failed after $n attempts."
    fi
  done
}
function retry_gs_cp {
  src=$1
  if [ -n "$2" ]; then
    dst=$2
  else
    dst=${BATCH_TMPDIR:-/io/batch}/$(basename $src)
  fi
  retry gcloud storage cp $src $dst
}
"""

_MONITOR_SPACE = "(while true; do df -h; du -sh $BATCH_TMPDIR 2>/dev/null; sleep 600; done) &"
_REPORT_SPACE = "df -h; du -sh $BATCH_TMPDIR 2>/dev/null"


def command(
    cmd: str | list[str],
    monitor_space: bool = False,
    setup_gcp: bool = False,
    define_retry_function: bool = False,
    rm_leading_space: bool = True,
    python_script_path: str | os.PathLike[str] | None = None,
) -> str:
    """Wrap a command into a robust bash script: ``set -o pipefail``, ``set -ex``, then the command.

    Options add the gcloud activation (`setup_gcp`), the `retry`/`retry_gs_cp` bash functions
    (`define_retry_function`, which implies `setup_gcp`), disk-space reports (`monitor_space`) and a
    Python script written beside the command (`python_script_path`). With `rm_leading_space` every
    line is stripped and runs of spaces are collapsed, as in cpg_utils (also inside quotes).
    """
    text = "\n".join(cmd) if isinstance(cmd, list) else cmd
    parts = ["set -o pipefail", "set -ex"]
    if setup_gcp or define_retry_function:
        parts.append(_gcloud_activation())
    if define_retry_function:
        parts.append(_RETRY_FUNCTIONS)
    if monitor_space:
        parts.append(_MONITOR_SPACE)
    if python_script_path is not None:
        script = to_path(python_script_path).read_text()
        parts.append(f"cat <<'EOT' >> script.py\n{script}\nEOT")
    parts.append(text)
    if monitor_space:
        parts.append(_REPORT_SPACE)
    out = "\n".join(parts)
    if rm_leading_space:
        out = "\n".join(re.sub(" +", " ", line.strip()) for line in out.split("\n"))
    else:
        out = textwrap.dedent(out)
    return out


def remote_tmpdir(hail_bucket: str | None = None) -> str:
    """``<bucket>/batch-tmp``: `hail_bucket`, else ``[hail] bucket``, else the dataset's tmp storage.

    A bare bucket name means a ``gs://`` bucket, as in cpg_utils; a URL or folder is used as is.
    """
    bucket = hail_bucket or config_retrieve(["hail", "bucket"], default=None)
    if bucket is None:
        return dataset_path("batch-tmp", "tmp")
    bucket = str(bucket).rstrip("/")
    if not (is_cloud_path(bucket) or bucket.startswith(("/", "file://", "~", "."))):
        bucket = f"gs://{bucket}"
    return f"{bucket}/batch-tmp"


def init_batch(**kwargs: Any) -> None:
    """Start Hail Query once per process: in Spark local mode on this machine, or Query on Batch on the
    Hail Batch service, as ``[hail] query_backend`` (else ``[hail] backend``) says (see
    `genolog.batch._hail_query`); `kwargs` go to ``hl.init`` or ``hl.init_batch`` over genolog's
    defaults (the genome build, temporary folders, the billing project). A no-op when Hail already runs
    in this process, and, with a message, when Hail is not installed.
    """
    global _hail_query_initialised
    if _hail_query_initialised:
        return
    if importlib.util.find_spec("hail") is None:
        console.print("genolog: Hail Query is not installed (pip install hail); init_batch() does nothing.")
        return
    import hail as hl

    from genolog.batch._hail_query import hail_query_running, start_hail_query

    if not hail_query_running(hl):
        started = start_hail_query(hl, remote_tmpdir, **kwargs)
        console.print(f"genolog: started {started}.")
    _hail_query_initialised = True


def query_command(
    module: ModuleType,
    func_name: str,
    *args: Any,
    setup_gcp: bool = False,
    setup_hail: bool = True,
    packages: list[str] | None = None,
    init_batch_args: dict[str, Any] | None = None,
) -> str:
    """A bash script that runs ``module.func_name(*args)`` in a fresh Python (after `init_batch`)."""
    lines = ["set -o pipefail", "set -ex"]
    if setup_gcp:
        lines.append(_gcloud_activation())
    if packages:
        lines.append("pip3 install " + " ".join(packages))
    init = ""
    if setup_hail:
        call_args = ", ".join(f"{k}={v!r}" for k, v in (init_batch_args or {}).items())
        init = f"from genolog.batch.helpers import init_batch\ninit_batch({call_args})\n"
    source = inspect.getsource(module)
    lines.append(f"cat <<'EOT' > script.py\n{init}{source}\nEOT")
    lines.append(f"cat <<EOT >> script.py\n{func_name}{tuple(args)!r}\nEOT")
    lines.append("python3 script.py")
    return "\n".join(lines)


def fasta_res_group(b: Batch, indices: list[str] | None = None) -> ResourceGroup:
    """The reference FASTA with its .fai and .dict (plus extra index extensions) as an input group."""
    ref = config_retrieve(["workflow", "ref_fasta"], default=None) or reference_path("broad/ref_fasta")
    ref = str(ref)
    files = {
        "base": ref,
        "fai": ref + ".fai",
        "dict": ref.removesuffix(".fasta").removesuffix(".fa") + ".dict",
    }
    for ext in indices or []:
        files[ext] = f"{ref}.{ext}"
    return b.read_input_group(**files)
