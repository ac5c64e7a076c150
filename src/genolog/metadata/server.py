"""Starting the metadata service: migrate the database, optionally load the sandbox, serve with uvicorn."""

from __future__ import annotations

import gc
import sys

import sqlalchemy as sa
import uvicorn
from rich.console import Console

from genolog.metadata.app import create_app
from genolog.metadata.db import driver_reason, shown_url
from genolog.metadata.errors import Unavailable
from genolog.metadata.sandbox import load_sandbox
from genolog.metadata.service import Service
from genolog.metadata.settings import ServerSettings, check_dev_user_host


def prepare(settings: ServerSettings) -> Service:
    """Open the database and bring its schema up to date; ``Unavailable``, in one sentence, when the
    database cannot be reached or opened."""
    svc: Service | None = None
    try:
        svc = Service.create(settings)
        svc.db.migrate()
    except (sa.exc.DBAPIError, sa.exc.ArgumentError, OSError, ImportError) as error:
        # unreachable, refused, missing, unwritable, or a URL of a database genolog has no driver for
        if svc is not None:
            svc.db.dispose()
        raise Unavailable(
            f"Cannot open the database {shown_url(settings.database_url)}: {driver_reason(error)}"
        ) from None
    return svc


def serve(settings: ServerSettings, *, sandbox: bool = False, console: Console | None = None) -> None:
    console = console or Console()
    check_dev_user_host(settings)
    svc = prepare(settings)
    if sandbox:
        owner = settings.dev_user or "genolog"
        if load_sandbox(svc, owner):
            console.print(
                f"Loaded the [bold]sandbox[/] and [bold]sandbox-test[/] projects (members: {owner})."
            )
    base = f"http://{settings.host}:{settings.port}"
    where = settings.db if settings.db else f"{settings.database_url} (embedded SQLite)"
    console.print(f"[bold green]genolog[/] metadata service on [link={base}]{base}[/link], database {where}")
    console.print(
        f"  GraphiQL  {base}/graphql   API docs {base}/docs   OpenAPI {base}/openapi.json   health {base}/health"
    )
    console.print(f"  REST      {base}/api/v1/project/all")
    console.print(f"  web       {base}/web/<project>/...  (local web storage under {settings.data_dir})")
    if settings.dev_user:
        console.print(
            f"  [yellow]development mode:[/] unauthenticated requests act as admin user {settings.dev_user!r}; "
            f"for the metamist client: SM_ENVIRONMENT=local SM_URL={base}"
        )
    app = create_app(svc)
    tune_interpreter()
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")


def tune_interpreter() -> None:
    """Garbage collection and thread switching for a server process (``serve`` calls it; benchmarks that
    host the app do too).

    A bulk ingest or a 100,000-row GraphQL answer makes millions of short-lived objects; with Python's
    default threshold (700) the young-generation collector runs thousands of times per request. Freeze
    what startup made, and collect the young far less often (every 100,000 allocations), trading some
    peak memory for time (benchmarks/README.md has the figures)."""
    gc.freeze()
    gc.set_threshold(100_000, 20, 10)
    # A request thread that waits on the database wakes to the interpreter lock held by another thread
    # for up to the switch interval: 5 ms by default, during which the database sits idle. A bulk ingest
    # hands each COPY or many-row INSERT to a thread that waits so (queued_writes), once per write: a
    # tenth of the default keeps the database busy.
    sys.setswitchinterval(0.0005)
