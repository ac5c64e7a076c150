"""The jobs of a batch, as `hailtop.batch.job` names them."""

from genolog.batch._job import BashJob, Job, PythonJob

__all__ = ["BashJob", "Job", "PythonJob"]
