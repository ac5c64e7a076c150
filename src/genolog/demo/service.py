"""The demo's metadata service: `genolog serve`'s app in a background thread of the demo process."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

import uvicorn

from genolog.client import MetadataClient, ServerUnreachableError
from genolog.client._server import ServerSettings as ClientSettings
from genolog.metadata.app import create_app
from genolog.metadata.context import AuditInfo, Tx
from genolog.metadata.errors import MetadataError
from genolog.metadata.server import prepare
from genolog.metadata.service import Service
from genolog.metadata.settings import ServerSettings, SettingsError, check_dev_user_host
from genolog.metadata.store import projects


class DemoError(Exception):
    """A step of the demo could not be done; the message says which and why."""


@dataclass
class RunningServer:
    svc: Service
    server: uvicorn.Server
    thread: threading.Thread
    url: str

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.svc.close()

    def wait(self) -> None:
        """Until the server stops (Ctrl-C in the main thread raises KeyboardInterrupt here)."""
        while self.thread.is_alive():
            self.thread.join(0.5)


def port_free(host: str, port: int) -> bool:
    """Whether uvicorn can listen on the port: nothing listens there. Binding as uvicorn does (with
    SO_REUSEADDR) ignores the port's closed connections still in TIME_WAIT: clients keep connections
    alive and the server closes the idle ones, which leaves such entries for a minute after it stops."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def start(settings: ServerSettings) -> RunningServer:
    """Migrate the database and serve it on settings.host:port until `stop()`."""
    if not port_free(settings.host, settings.port):
        raise DemoError(
            f"port {settings.port} on {settings.host} is in use (another `genolog serve`?): "
            "stop it or pick another with --port"
        )
    try:
        check_dev_user_host(settings)  # the demo serves in development mode
        svc = prepare(settings)
    except (SettingsError, MetadataError) as error:
        raise DemoError(str(error)) from None
    config = uvicorn.Config(create_app(svc), host=settings.host, port=settings.port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="genolog-demo-server", daemon=True)
    thread.start()
    url = f"http://{settings.host}:{settings.port}"
    health = MetadataClient(ClientSettings(url=url, token=None))  # /health needs no token
    deadline = time.monotonic() + 30
    while True:
        try:
            if health.send("GET", "/health", timeout=1).status_code == 200:
                return RunningServer(svc, server, thread, url)
        except ServerUnreachableError:
            pass
        if not thread.is_alive() or time.monotonic() > deadline:
            svc.close()
            raise DemoError(f"the metadata service did not start on {url}")
        time.sleep(0.05)


def ensure_projects(svc: Service, dataset: str, owner: str) -> list[str]:
    """Create `dataset` and its `-test` twin when missing (`owner` a member of both); returns the
    names created."""
    created = []
    with svc.db.write() as conn:
        tx = Tx(conn, svc.codecs, AuditInfo(author=owner, comment="genolog demo"))
        if projects.get_by_name(conn, dataset) is None:
            projects.create(tx, dataset, dataset, create_test_project=True, owner=owner)
            created += [dataset, f"{dataset}-test"]
        elif projects.get_by_name(conn, f"{dataset}-test") is None:
            projects.create(tx, f"{dataset}-test", dataset, create_test_project=False, owner=owner)
            created.append(f"{dataset}-test")
        tx.finish()
    return created
