"""The backend interface a `Batch` runs on."""

from __future__ import annotations

import abc
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from genolog.batch._batch import Batch
    from genolog.batch._report import BatchRunResult


class Backend(abc.ABC):
    """Runs batches. Usable as a context manager; `close()` releases what it holds."""

    @property
    def submits_to_service(self) -> bool:
        """Whether runs go to a batch service, which takes options such as ``wait`` (cpg_utils drops
        them for local runs)."""
        return False

    @abc.abstractmethod
    def _run(
        self, batch: Batch, dry_run: bool, verbose: bool, delete_scratch_on_exit: bool, **backend_kwargs: Any
    ) -> BatchRunResult | None: ...

    def close(self) -> None:  # noqa: B027 - optional hook, not abstract
        """Release resources (the local backend holds none between runs)."""

    async def async_close(self) -> None:
        self.close()

    def __enter__(self) -> Backend:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
