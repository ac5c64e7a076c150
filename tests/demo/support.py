"""Running `genolog demo` and `genolog serve` as subprocesses on a demo data dir, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.metadata.live import wait_until_healthy

GENOLOG = [sys.executable, "-m", "genolog.cli"]


def demo_env() -> dict[str, str]:
    """This environment for the demo's user, without any config or server of the caller's."""
    env = {**os.environ, "USER": "demo-tester", "COLUMNS": "200", "PYTHONUNBUFFERED": "1"}
    for var in ("GENOLOG_CONFIG_PATH", "CPG_CONFIG_PATH", "GENOLOG_URL", "GENOLOG_TOKEN"):
        env.pop(var, None)
    return env


def run_demo_headless(data: Path, port: int) -> subprocess.CompletedProcess[str]:
    """`genolog demo --no-serve` on ``data``, its URLs on ``port``; output captured."""
    return subprocess.run(
        [*GENOLOG, "demo", "--no-serve", "--data-dir", str(data), "--port", str(port)],
        env=demo_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


@contextmanager
def serve(data: Path, port: int, dev_user: str | None = None) -> Iterator[str]:
    """`genolog serve` on the demo's data dir; in development mode as ``dev_user`` if given, else the
    pages ask to sign in."""
    command = [*GENOLOG, "serve", "--data-dir", str(data), "--port", str(port)]
    if dev_user is not None:
        command += ["--dev-user", dev_user]
    proc = subprocess.Popen(command, env=demo_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, alive=lambda: proc.poll() is None)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
