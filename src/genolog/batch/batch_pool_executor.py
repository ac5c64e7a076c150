"""`concurrent.futures` over batch jobs, as `hailtop.batch.batch_pool_executor` names it."""

from genolog.batch._pool import BatchPoolExecutor, BatchPoolFuture

__all__ = ["BatchPoolExecutor", "BatchPoolFuture"]
