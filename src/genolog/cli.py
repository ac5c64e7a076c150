"""The `genolog` command line: parses arguments and calls into the package, nothing more."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from genolog import __version__
from genolog.containers.cli import images_app
from genolog.ingest.cli import ingest_app
from genolog.metadata.errors import MetadataError
from genolog.metadata.settings import ServerSettings, SettingsError, load_settings
from genolog.qc.cli import qc
from genolog.runner.cli import runner_app

# The server stack (FastAPI, SQLAlchemy, strawberry) is imported by the commands that need it, so
# that `genolog qc` and friends start in a fraction of a second.

app = typer.Typer(help="genolog: metadata service, SDK, analysis runner and read QC.", no_args_is_help=True)
token_app = typer.Typer(help="Create, list and revoke API tokens.", no_args_is_help=True)
user_app = typer.Typer(
    help="Grant or revoke site-wide roles (admin, project-creator, members-admin).", no_args_is_help=True
)
app.add_typer(token_app, name="token")
app.add_typer(user_app, name="user")
app.add_typer(ingest_app, name="ingest")
app.add_typer(runner_app, name="analysis-runner")
app.add_typer(images_app, name="images")
console = Console()
err_console = Console(stderr=True, soft_wrap=True)  # never break a message inside a path

ConfigOption = Annotated[Path | None, typer.Option("--config", help="TOML file with a [server] table")]
DbOption = Annotated[str | None, typer.Option("--db", help="Database URL (default: SQLite in the data dir)")]
DataDirOption = Annotated[Path | None, typer.Option("--data-dir", help="Folder for the embedded database")]
#: How long a token from `genolog token create` lives unless ``--expires`` says otherwise.
TOKEN_LIFETIME = "365d"
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts")]


@contextmanager
def _errors_as_messages() -> Iterator[None]:
    try:
        yield
    except (SettingsError, MetadataError) as e:
        err_console.print(f"[red]error:[/] {e}")
        raise typer.Exit(1) from None


def _settings(config: Path | None, **overrides: Any) -> ServerSettings:
    with _errors_as_messages():
        return load_settings(config, **overrides)


@app.callback()
def main() -> None:
    """genolog: metadata service, SDK, analysis runner and read QC."""


@app.command()
def version() -> None:
    """Print genolog's version."""
    typer.echo(__version__)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
    db: DbOption = None,
    data_dir: DataDirOption = None,
    dev_user: Annotated[
        str | None,
        typer.Option("--dev-user", help="Development mode: unauthenticated requests act as this admin"),
    ] = None,
    allow_dev_user_on_network: Annotated[
        bool | None,
        typer.Option(
            "--allow-dev-user-on-network",
            help="Allow --dev-user on a non-loopback --host: anyone who can reach the server is admin",
        ),
    ] = None,
    sandbox: Annotated[bool, typer.Option(help="Load the small sandbox projects if missing")] = False,
    workers: Annotated[
        int | None, typer.Option(help="Server processes sharing the port (default 1)", min=1, max=64)
    ] = None,
    log_format: Annotated[
        str | None,
        typer.Option(
            "--log-format", help="Access log: text (uvicorn's lines) or json (one object a request)"
        ),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Run the metadata service (REST API, GraphQL at /graphql, docs at /docs, metrics at /metrics)."""
    from genolog.metadata import server

    settings = _settings(
        config,
        host=host,
        port=port,
        db=db,
        data_dir=data_dir,
        dev_user=dev_user,
        allow_dev_user_on_network=allow_dev_user_on_network,
        workers=workers,
        log_format=log_format,
    )
    with _errors_as_messages():
        server.serve(settings, sandbox=sandbox, console=console)


@app.command()
def migrate(db: DbOption = None, data_dir: DataDirOption = None, config: ConfigOption = None) -> None:
    """Create or upgrade the database schema."""
    from genolog.metadata import server

    settings = _settings(config, db=db, data_dir=data_dir)
    with _errors_as_messages():
        server.prepare(settings)
    console.print(f"Database {settings.database_url} is up to date.")


@token_app.command("create")
def token_create(
    user: Annotated[str, typer.Option("--user", help="The user the token authenticates")],
    label: Annotated[str | None, typer.Option(help="A note on what the token is for")] = None,
    expires: Annotated[
        str,
        typer.Option(help="How long the token lives: days, hours or minutes (90d, 12h, 30m), or never"),
    ] = TOKEN_LIFETIME,
    db: DbOption = None,
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create an API token; it is shown once and stored only as a hash."""
    from genolog.metadata import admin

    settings = _settings(config, db=db, data_dir=data_dir)
    with _errors_as_messages():
        created = admin.create_token(settings, user, label, expires)
    if as_json:
        typer.echo(json.dumps(created))
    else:
        until = f"expires {created['expires_at']}" if created["expires_at"] else "never expires"
        console.print(f"Token {created['id']} for {created['user']}, {until} (shown once, keep it safe):")
        typer.echo(created["token"])


@token_app.command("list")
def token_list(
    db: DbOption = None,
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """List tokens (never their values)."""
    from genolog.metadata import admin

    settings = _settings(config, db=db, data_dir=data_dir)
    with _errors_as_messages():
        tokens = admin.list_tokens(settings)
    if as_json:
        typer.echo(json.dumps(tokens))
        return
    table = Table("id", "user", "label", "created", "expires", "revoked")
    for t in tokens:
        table.add_row(
            str(t["id"]),
            t["user"],
            t["label"] or "",
            t["created_at"],
            t["expires_at"] or "never",
            t["revoked_at"],
        )
    console.print(table)


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="The token's id (see `genolog token list`)")],
    db: DbOption = None,
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Revoke a token: requests with it are refused from now on."""
    from genolog.metadata import admin

    settings = _settings(config, db=db, data_dir=data_dir)
    with _errors_as_messages():
        admin.revoke_token(settings, token_id)
    console.print(f"Token {token_id} revoked.")


def _set_site_role(
    user: str, role: str, grant: bool, db: str | None, data_dir: Path | None, config: Path | None
) -> None:
    from genolog.metadata import admin

    settings = _settings(config, db=db, data_dir=data_dir)
    with _errors_as_messages():
        admin.set_site_role(settings, user, role, grant=grant)
    console.print(
        f"{user} now has the site role {role}." if grant else f"{user} no longer has the site role {role}."
    )


@user_app.command("grant")
def user_grant(
    user: str, role: str, db: DbOption = None, data_dir: DataDirOption = None, config: ConfigOption = None
) -> None:
    """Grant a site-wide role."""
    _set_site_role(user, role, True, db, data_dir, config)


@user_app.command("revoke")
def user_revoke(
    user: str, role: str, db: DbOption = None, data_dir: DataDirOption = None, config: ConfigOption = None
) -> None:
    """Revoke a site-wide role."""
    _set_site_role(user, role, False, db, data_dir, config)


@app.command("config")
def show_config() -> None:
    """Print the merged config (GENOLOG_CONFIG_PATH / CPG_CONFIG_PATH, else the local default) as JSON."""
    from genolog.config import ConfigError, config_json

    try:
        typer.echo(config_json())
    except ConfigError as e:
        err_console.print(f"[red]error:[/] {e}")
        raise typer.Exit(1) from None


@app.command("run-status")
def run_status(run_dir: str = typer.Argument(..., help="A run directory printed by Batch.run().")) -> None:
    """Show each job of a local batch run: status, exit code, duration, attempts and log file."""
    from genolog.batch import load_run, run_table

    try:
        record = load_run(run_dir)
    except ValueError as e:
        err_console.print(f"[red]error:[/] {e}")
        raise typer.Exit(1) from None
    Console(soft_wrap=True).print(run_table(record))


@app.command()
def demo(
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Where the database, files and reports go")
    ] = None,
    host: Annotated[str, typer.Option(help="Address to serve on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on")] = 8000,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Keep serving after the analysis (until Ctrl-C)")
    ] = True,
    force: Annotated[bool, typer.Option("--force", help="Run QC again where a report exists")] = False,
    allow_dev_user_on_network: Annotated[
        bool,
        typer.Option(
            "--allow-dev-user-on-network",
            help="Serve on a non-loopback --host though the demo's requests need no token",
        ),
    ] = False,
) -> None:
    """The seeds' FastQE tutorial end to end: service, project, FASTQs, ingest, analysis, reports."""
    from genolog.config import default_data_dir
    from genolog.demo.run import DemoOptions, run_demo
    from genolog.demo.service import DemoError

    options = DemoOptions(
        data_dir=data_dir or default_data_dir(),
        host=host,
        port=port,
        serve=serve,
        force=force,
        allow_dev_user_on_network=allow_dev_user_on_network,
    )
    try:
        run_demo(options, Console(soft_wrap=True))
    except DemoError as e:
        err_console.print(f"[red]error:[/] {e}")
        raise typer.Exit(1) from None


app.command("qc")(qc)


if __name__ == "__main__":
    app()
