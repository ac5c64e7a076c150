"""`genolog-fastqe`: FastQE's command line (its option names and defaults), backed by genolog.qc.

Pipelines written for `fastqe` can call this instead. `--html` takes a FILE as in FastQE 0.5.x; given
without one (FastQE 0.3.1's flag, as in `fastqe R1.fq R2.fq --html > report.html`), the HTML report is
written to the text output in place of the text lines.
"""

from __future__ import annotations

import argparse
import logging
import sys

from genolog.qc import FASTQE_VERSIONS
from genolog.qc.report import QcOptions, run

PROG = "genolog-fastqe"
FASTQE_VERSION = "0.5.2"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Read one or more FASTQ files, compute quality stats for each file, print as emoji "
        "(FastQE-compatible; genolog implementation).",
    )
    p.add_argument(
        "--minlen", metavar="N", type=int, default=0, help="minimum read length to include in stats"
    )
    p.add_argument("--scale", action="store_true", help="show the emoji scale before the output")
    p.add_argument("--version", action="version", version=f"fastqe {FASTQE_VERSION}")
    p.add_argument(
        "--mean", action="store_true", default=True, help="show mean quality per position (always)"
    )
    p.add_argument(
        "--custom", metavar="CUSTOM_DICT", help="use the emoji mapping in CUSTOM_DICT (a Python dict)"
    )
    p.add_argument("--bin", action="store_true", help="use binned scores")
    p.add_argument("--noemoji", action="store_true", help="use a mapping without emoji (▁▂▃▄▅▆▇█)")
    p.add_argument("--noheader", action="store_true", help="hide the header before sample output")
    p.add_argument(
        "--html",
        metavar="HTML_FILE",
        nargs="?",
        const="-",
        help="write an additional self-contained HTML report to HTML_FILE (without FILE: the report replaces "
        "the text output, as in fastqe 0.3.1)",
    )
    p.add_argument("--window", metavar="W", type=int, default=1, help="window length for the HTML report")
    p.add_argument(
        "--html_escape", action="store_true", help="accepted for compatibility; the HTML is always escaped"
    )
    p.add_argument("--min", action="store_true", help="show minimum quality per position")
    p.add_argument("--max", action="store_true", help="show maximum quality per position")
    p.add_argument("--output", metavar="OUTPUT_FILE", help="write output to OUTPUT_FILE instead of stdout")
    p.add_argument(
        "--long", metavar="READ_LENGTH", type=int, help="accepted for compatibility; any length works"
    )
    p.add_argument("--log", metavar="LOG_FILE", help="record progress in LOG_FILE")
    p.add_argument(
        "--json", metavar="JSON_FILE", help="also write the statistics as JSON (genolog extension)"
    )
    p.add_argument(
        "--fastqe-version",
        choices=FASTQE_VERSIONS,
        default=FASTQE_VERSION,
        help="emoji table of this fastqe release (they differ for Q33 only)",
    )
    p.add_argument("fastq_files", nargs="*", metavar="FASTQ_FILE", help="input FASTQ files (default: stdin)")
    return p


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if args.minlen < 0 or args.window < 1:
        build_parser().error("--minlen must be >= 0 and --window >= 1")
    if args.log:
        logging.basicConfig(
            filename=args.log,
            filemode="w",
            level=logging.INFO,
            format="%(asctime)s %(levelname)s - %(message)s",
            datefmt="%m-%d-%Y %H:%M:%S",
        )
        logging.info("program started")
        logging.info("command line: %s", " ".join(sys.argv))
    options = QcOptions(
        files=args.fastq_files,
        show_min=args.min,
        show_max=args.max,
        binned=args.bin,
        noemoji=args.noemoji,
        custom=args.custom,
        scale=args.scale,
        noheader=args.noheader,
        output=args.output,
        html=args.html,
        json=args.json,
        minlen=args.minlen,
        window=args.window,
        fastqe_version=args.fastqe_version,
        program=PROG,
    )
    sys.exit(run(options))


if __name__ == "__main__":
    main()
