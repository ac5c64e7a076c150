"""`genolog qc`: the typer command; parses options and hands them to genolog.qc.report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from genolog.qc import FASTQE_VERSIONS


def qc(
    files: Annotated[
        list[str] | None, typer.Argument(help="FASTQ/FASTA files, plain or compressed; none or - = stdin.")
    ] = None,
    show_min: Annotated[
        bool, typer.Option("--min", help="Also print the minimum quality per position.")
    ] = False,
    show_max: Annotated[
        bool, typer.Option("--max", help="Also print the maximum quality per position.")
    ] = False,
    binned: Annotated[bool, typer.Option("--bin", help="Use the binned emoji table.")] = False,
    noemoji: Annotated[
        bool, typer.Option("--noemoji", help="Use block characters instead of emoji.")
    ] = False,
    custom: Annotated[
        Path | None,
        typer.Option("--custom", help="Emoji table: a Python dict from Phred+33 characters to emoji."),
    ] = None,
    scale: Annotated[bool, typer.Option("--scale", help="Print the emoji scale first.")] = False,
    noheader: Annotated[bool, typer.Option("--noheader", help="Leave out the header line.")] = False,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the text lines here.")] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write a self-contained HTML report.")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the statistics as JSON.")
    ] = None,
    minlen: Annotated[int, typer.Option("--minlen", min=0, help="Leave out reads shorter than this.")] = 0,
    window: Annotated[
        int, typer.Option("--window", min=1, help="Positions per emoji in the HTML report.")
    ] = 1,
    fastqe_version: Annotated[
        str,
        typer.Option(
            "--fastqe-version", help=f"Emoji table of this fastqe release: {', '.join(FASTQE_VERSIONS)}."
        ),
    ] = "0.5.2",
) -> None:
    """Per-position read quality as emoji, FastQE-compatible (text, HTML and JSON)."""
    from genolog.qc.report import QcOptions, run

    if fastqe_version not in FASTQE_VERSIONS:
        raise typer.BadParameter(f"choose one of {', '.join(FASTQE_VERSIONS)}", param_hint="--fastqe-version")
    options = QcOptions(
        files=[f for f in files or []],
        show_min=show_min,
        show_max=show_max,
        binned=binned,
        noemoji=noemoji,
        custom=str(custom) if custom else None,
        scale=scale,
        noheader=noheader,
        output=str(output) if output else None,
        html=str(html) if html else None,
        json=str(json_out) if json_out else None,
        minlen=minlen,
        window=window,
        fastqe_version=fastqe_version,
    )
    raise typer.Exit(run(options))
