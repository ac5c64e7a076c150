"""Job graphs with the API of `hailtop.batch`: a fast parallel local backend, Slurm, or the Hail Batch service.

Existing scripts change only their imports::

    import genolog.batch as hb            # was: import hailtop.batch as hb

    b = hb.Batch(name="hello")
    j = b.new_job(name="say")
    j.command(f"echo hello > {j.ofile}")
    b.write_output(j.ofile, "out/hello.txt")
    result = b.run()                      # a BatchRunResult: status, exit code, duration, log per job

cpg_utils-style helpers (`get_batch`, `command`, ...) are in `genolog.batch.helpers`.
"""

from genolog.batch import utils
from genolog.batch._backend import Backend
from genolog.batch._batch import Batch
from genolog.batch._hailtop import HailtopBackend, ServiceBackend
from genolog.batch._job import BashJob, Job, PythonJob
from genolog.batch._local import LocalBackend
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
    "concatenate",
    "load_run",
    "plink_merge",
    "run_table",
    "utils",
]
