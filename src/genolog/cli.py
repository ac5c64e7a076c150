"""The `genolog` command line: parses arguments and calls into the package, nothing more."""

from __future__ import annotations

import typer

from genolog import __version__
from genolog.qc.cli import qc

app = typer.Typer(help="genolog: metadata service, SDK, analysis runner and read QC.", no_args_is_help=True)


@app.callback()
def main() -> None:
    """genolog: metadata service, SDK, analysis runner and read QC."""


@app.command()
def version() -> None:
    """Print genolog's version."""
    typer.echo(__version__)


app.command("qc")(qc)
