"""Read QC: FastQE-compatible emoji summaries of FASTQ qualities, computed with numpy over large blocks.

Exports are loaded lazily so that `genolog --help` does not pay for numpy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from genolog.qc.report import QcOptions, QcResult, analyse, run
    from genolog.qc.stats import FileStats, FormatError

__all__ = ["FASTQE_VERSIONS", "FileStats", "FormatError", "QcOptions", "QcResult", "analyse", "run"]

FASTQE_VERSIONS = ("0.5.2", "0.3.1")
"""fastqe releases whose text output can be reproduced (they differ in the Q33 emoji only)."""


def __getattr__(name: str) -> Any:
    if name in ("QcOptions", "QcResult", "analyse", "run"):
        from genolog.qc import report as _report

        return getattr(_report, name)
    if name in ("FileStats", "FormatError"):
        from genolog.qc import stats as _stats

        return getattr(_stats, name)
    raise AttributeError(name)
