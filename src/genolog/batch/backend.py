"""The backends a batch runs on, as `hailtop.batch.backend` names them, and genolog's own: Slurm, and
`HailtopBackend` for any hailtop backend."""

from genolog.batch._backend import Backend
from genolog.batch._hailtop import HailtopBackend, ServiceBackend
from genolog.batch._local import LocalBackend
from genolog.batch._slurm import SlurmBackend

__all__ = ["Backend", "HailtopBackend", "LocalBackend", "ServiceBackend", "SlurmBackend"]
