"""The driver: the user's script as a subprocess in its checkout (on the host, or its container runtime's
command: `genolog.runner.container`), its output streamed and kept in a log."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from genolog.paths import is_cloud_path, to_path
from genolog.runner.errors import RunnerError

#: How long a driver gets to stop after Ctrl-C before it is terminated, then killed.
STOP_GRACE_S = 10.0
#: How long the driver may take to stop on the Ctrl-C its terminal sent it before the runner passes it on.
FIRST_WAIT_S = 2.0


@dataclass(frozen=True)
class DriverResult:
    status: str  # succeeded, failed or cancelled
    exit_code: int | None
    duration_seconds: float


def driver_command(command: tuple[str, ...], workdir: Path) -> list[str]:
    """The command as run: a script given first (``scripts/x.py …``) runs as ``./scripts/x.py``, as CPG does."""
    first, *rest = command
    if os.sep not in first and (workdir / first).is_file() and shutil.which(first) is None:
        first = f"./{first}"
    return [first, *rest]


def _pump(source: IO[bytes], log: IO[bytes], echo: IO[bytes]) -> None:
    read = getattr(source, "read1", source.read)
    for chunk in iter(lambda: read(65536), b""):
        log.write(chunk)
        log.flush()
        echo.write(chunk)
        echo.flush()


def _stop(process: subprocess.Popen[bytes]) -> None:
    """After Ctrl-C: a terminal's Ctrl-C reaches the driver too, so first let it stop on its own; then
    pass the interrupt on (the runner alone may have been signalled), then terminate, then kill."""
    try:
        process.wait(timeout=FIRST_WAIT_S)
        return
    except subprocess.TimeoutExpired:
        pass
    for sig, wait in ((signal.SIGINT, STOP_GRACE_S), (signal.SIGTERM, 5.0)):
        try:
            process.send_signal(sig)
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue
    process.kill()
    process.wait()


def run(
    argv: Sequence[str],
    workdir: Path,
    env: Mapping[str, str],
    log_path: str,
    echo: IO[bytes] | None = None,
) -> DriverResult:
    """Run ``argv`` (`driver_command`, or a container runtime's command around it) in ``workdir`` to its
    end, streaming its output to ``echo`` (stdout) and appending it to ``log_path`` (a cloud log is
    written when the driver ends)."""
    local_log = log_path if not is_cloud_path(log_path) else tempfile.mkstemp(suffix=".log")[1]
    Path(local_log).parent.mkdir(parents=True, exist_ok=True)
    out = echo or sys.stdout.buffer
    argv = list(argv)
    started = time.monotonic()
    with open(local_log, "ab") as log:
        try:
            process = subprocess.Popen(
                argv, cwd=workdir, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
            )
        except OSError as e:
            raise RunnerError(f"Cannot start the driver {argv[0]!r} in {workdir} ({e.strerror}).") from None
        assert process.stdout is not None
        pump = threading.Thread(target=_pump, args=(process.stdout, log, out), daemon=True)
        pump.start()
        cancelled = False
        try:
            process.wait()
        except KeyboardInterrupt:
            cancelled = True
            _stop(process)
        pump.join(timeout=10)
        process.stdout.close()
    duration = time.monotonic() - started
    if local_log != log_path:
        try:
            to_path(log_path).write_bytes(Path(local_log).read_bytes())
        finally:
            os.unlink(local_log)
    code = process.returncode
    if cancelled:
        return DriverResult("cancelled", code, duration)
    return DriverResult("succeeded" if code == 0 else "failed", code, duration)


def exit_status(status: str, exit_code: int | None) -> int:
    """The runner's exit status for a run's outcome: the driver's exit code, 130 when cancelled, 1 when
    it has none, 128+N when signal N killed it."""
    if status == "cancelled":
        return 130
    if status == "succeeded":
        return 0
    if exit_code is None:
        return 1
    return exit_code if exit_code > 0 else (128 - exit_code if exit_code < 0 else 1)
