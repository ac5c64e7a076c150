"""The job graph, as `hailtop.batch.batch` names it."""

from genolog.batch._batch import Batch

__all__ = ["Batch"]
