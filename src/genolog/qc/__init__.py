"""Read QC: FastQE-compatible emoji summaries of FASTQ qualities, computed with numpy over large blocks."""

from genolog.qc.run import QcOptions, QcResult, analyse, run
from genolog.qc.stats import FileStats, FormatError

__all__ = ["FileStats", "FormatError", "QcOptions", "QcResult", "analyse", "run"]
