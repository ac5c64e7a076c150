"""The `genolog` command line: parses arguments and calls into the package, nothing more."""

from __future__ import annotations

import typer

from genolog import __version__

app = typer.Typer(help="genolog: metadata service, SDK, analysis runner and read QC.", no_args_is_help=True)


@app.callback()
def main() -> None:
    """genolog: metadata service, SDK, analysis runner and read QC."""


@app.command()
def version() -> None:
    """Print genolog's version."""
    typer.echo(__version__)


@app.command("config")
def show_config() -> None:
    """Print the merged config (GENOLOG_CONFIG_PATH / CPG_CONFIG_PATH, else the local default) as JSON."""
    from genolog.config import ConfigError, config_json

    try:
        typer.echo(config_json())
    except ConfigError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from None


@app.command("run-status")
def run_status(run_dir: str = typer.Argument(..., help="A run directory printed by Batch.run().")) -> None:
    """Show each job of a local batch run: status, exit code, duration, attempts and log file."""
    from rich.console import Console

    from genolog.batch import load_run, run_table

    try:
        record = load_run(run_dir)
    except ValueError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from None
    Console(soft_wrap=True).print(run_table(record))
