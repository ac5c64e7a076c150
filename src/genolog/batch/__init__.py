"""Job graphs with the API of `hailtop.batch`: a fast parallel local backend, Slurm, or the Hail Batch service.

Existing scripts change only their imports::

    import genolog.batch as hb            # was: import hailtop.batch as hb

    b = hb.Batch(name="hello")
    j = b.new_job(name="say")
    j.command(f"echo hello > {j.ofile}")
    b.write_output(j.ofile, "out/hello.txt")
    result = b.run()                      # a BatchRunResult: status, exit code, duration, log per job

The modules mirror hailtop's (`genolog.batch.resource`, `.job`, `.batch`, `.backend`, `.utils`,
`.exceptions`, `.batch_pool_executor`, `.docker`), so ``sed 's/hailtop.batch/genolog.batch/'`` ports a
script; the implementation is in the private ``_`` modules they re-export.
cpg_utils-style helpers (`get_batch`, `command`, ...) are in `genolog.batch.helpers`.
"""

from genolog.batch import backend, batch, batch_pool_executor, docker, exceptions, job, resource, utils
from genolog.batch._backend import Backend
from genolog.batch._batch import Batch
from genolog.batch._hailtop import HailtopBackend, ServiceBackend
from genolog.batch._images import build_python_image
from genolog.batch._job import BashJob, Job, PythonJob
from genolog.batch._local import LocalBackend
from genolog.batch._pool import BatchPoolExecutor, BatchPoolFuture
from genolog.batch._report import BatchRunResult, JobFailedError, JobRunResult, load_run, run_table
from genolog.batch._resource import (
    BatchException,
    InputResourceFile,
    JobResourceFile,
    PythonResult,
    Resource,
    ResourceFile,
    ResourceGroup,
)
from genolog.batch._slurm import SlurmBackend
from genolog.batch.utils import concatenate, plink_merge

__all__ = [
    "Backend",
    "BashJob",
    "Batch",
    "BatchException",
    "BatchPoolExecutor",
    "BatchPoolFuture",
    "BatchRunResult",
    "HailtopBackend",
    "InputResourceFile",
    "Job",
    "JobFailedError",
    "JobResourceFile",
    "JobRunResult",
    "LocalBackend",
    "PythonJob",
    "PythonResult",
    "Resource",
    "ResourceFile",
    "ResourceGroup",
    "ServiceBackend",
    "SlurmBackend",
    "backend",
    "batch",
    "batch_pool_executor",
    "build_python_image",
    "concatenate",
    "docker",
    "exceptions",
    "job",
    "load_run",
    "plink_merge",
    "resource",
    "run_table",
    "utils",
]
