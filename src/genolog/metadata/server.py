"""Starting the metadata service: migrate the database, optionally load the sandbox, serve with uvicorn."""

from __future__ import annotations

import gc
import os
import secrets
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI
from rich.console import Console

from genolog.metadata.app import create_app
from genolog.metadata.db import SERVER_THREADS, driver_reason, shown_url
from genolog.metadata.errors import Unavailable
from genolog.metadata.metrics import MULTIPROC_ENV, start_worker_metrics
from genolog.metadata.observability import uvicorn_logging
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
            svc.close()
        raise Unavailable(
            f"Cannot open the database {shown_url(settings.database_url)}: {driver_reason(error)}"
        ) from None
    return svc


def serve(settings: ServerSettings, *, sandbox: bool = False, console: Console | None = None) -> None:
    if settings.log_format == "json":  # stdout holds the JSON lines alone: the banner goes to stderr
        console = Console(stderr=True, soft_wrap=True)
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
    logging_options = uvicorn_logging(settings.log_format)
    if settings.workers > 1:
        console.print(f"  {settings.workers} worker processes")
        _warn_of_connection_limit(svc, console)
        svc.close()  # the workers open their own connections
        with worker_run_dir(settings):
            uvicorn.run(
                f"{__name__}:worker_app",
                factory=True,
                workers=settings.workers,
                host=settings.host,
                port=settings.port,
                log_level="info",
                **logging_options,
            )
        return
    app = create_app(svc)
    tune_interpreter()
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info", **logging_options)


def _warn_of_connection_limit(svc: Service, console: Console) -> None:
    """Each worker may open a connection per request thread (``db.SERVER_THREADS``); say so when all of
    them together could pass PostgreSQL's ``max_connections``, where requests would fail under load."""
    if svc.db.is_sqlite:
        return
    with svc.db.read() as conn:
        limit = int(conn.exec_driver_sql("SHOW max_connections").scalar_one())
    wanted = svc.settings.workers * SERVER_THREADS
    if wanted > limit:
        console.print(
            f"  [yellow]warning:[/] {svc.settings.workers} workers may open up to {wanted} database "
            f"connections under load, beyond this PostgreSQL server's max_connections ({limit})"
        )


#: The environment variable that tells a worker process where ``serve`` left its settings.
RUN_DIR_ENV = "GENOLOG_SERVE_RUN_DIR"
SETTINGS_FILE = "settings.json"


@contextmanager
def worker_run_dir(settings: ServerSettings) -> Iterator[Path]:
    """A private folder (mode 0700) for the worker processes of one ``serve``: the settings the parent
    read, in a file rather than in the environment, where any process the server starts would inherit
    them (a database password, the seqr token); and, as ``PROMETHEUS_MULTIPROC_DIR``, the metrics files
    each worker writes, so that ``/metrics`` sums all of them. Removed when the server stops."""
    run_dir = Path(tempfile.mkdtemp(prefix="genolog-serve-"))
    saved = {name: os.environ.get(name) for name in (RUN_DIR_ENV, MULTIPROC_ENV)}
    try:
        with os.fdopen(os.open(run_dir / SETTINGS_FILE, os.O_WRONLY | os.O_CREAT, 0o600), "w") as file:
            file.write(shared_by_workers(settings).model_dump_json())
        (run_dir / "metrics").mkdir()
        # the workers are spawned (uvicorn), so they start from this environment
        os.environ[RUN_DIR_ENV] = str(run_dir)
        os.environ[MULTIPROC_ENV] = str(run_dir / "metrics")
        yield run_dir
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(run_dir, ignore_errors=True)


def shared_by_workers(settings: ServerSettings) -> ServerSettings:
    """The settings every worker reads: with a sign-in flow key made here when single sign-on has none
    (a public client), so that a flow started on one worker finishes on another."""
    auth = settings.auth
    if auth.issuer and not (auth.flow_secret or auth.client_secret):
        return settings.model_copy(
            update={"auth": auth.model_copy(update={"flow_secret": secrets.token_urlsafe(32)})}
        )
    return settings


def worker_app() -> FastAPI:
    """The application of one worker process of ``serve --workers N`` (uvicorn's factory): the Service
    rebuilt from the parent's settings. The parent has migrated the database and loaded the sandbox."""
    settings = ServerSettings.model_validate_json((Path(os.environ[RUN_DIR_ENV]) / SETTINGS_FILE).read_text())
    start_worker_metrics()
    app = create_app(Service.create(settings))
    tune_interpreter()
    return app


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
