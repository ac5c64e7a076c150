"""The batch's error, as `hailtop.batch.exceptions` names it."""

from genolog.batch._resource import BatchException

__all__ = ["BatchException"]
