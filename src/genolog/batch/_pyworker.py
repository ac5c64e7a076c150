"""Python-job worker: a long-lived process that forks one child per job.

Run as a script (``python _pyworker.py``) by the local backend, so starting it imports nothing of
genolog. The first stdin line is ``{"sys_path": [...], "preload": [...]}``; each further line is a
job request ``{"payload", "log", "cwd", "env", "unset", "timeout"}`` (environment changes
relative to the worker's own) answered on stdout with
``{"exit": code, "timed_out": bool}``. Forking from this single-threaded process is far cheaper than
a fresh interpreter per job, and the child inherits everything preloaded, including the modules the
jobs' functions live in.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import select
import signal
import sys
import time
import traceback
from typing import Any


def _resolve(arg: tuple[str, Any]) -> Any:
    import cloudpickle

    kind, value = arg
    if kind == "value":
        return value
    if kind == "path":
        return value
    if kind == "py_path":
        with open(value, "rb") as f:
            return cloudpickle.load(f)
    if kind == "dict_path":
        return dict(value)
    if kind == "list":
        return [_resolve(x) for x in value]
    if kind == "tuple":
        return tuple(_resolve(x) for x in value)
    if kind == "dict":
        return {k: _resolve(v) for k, v in value.items()}
    raise ValueError(f"unknown argument kind {kind!r}")


def _write_text(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def _run_calls(payload_path: str) -> int:
    """Run every call of one job; 0 on success. Each result is pickled next to the job's files."""
    import inspect  # already imported by cloudpickle

    import cloudpickle

    with open(payload_path, "rb") as f:
        calls = cloudpickle.load(f)
    for call in calls:
        try:
            func = call["func"]
            args = [_resolve(a) for a in call["args"]]
            kwargs = {k: _resolve(v) for k, v in call["kwargs"].items()}
            value = func(*args, **kwargs)
            if inspect.isawaitable(value):
                import asyncio

                value = asyncio.run(value)  # type: ignore[arg-type]
        except BaseException as e:
            tb = traceback.format_exc()
            sys.stderr.write(tb)
            try:
                with open(call["result"], "wb") as f:
                    cloudpickle.dump((e, tb), f)
            except Exception:  # the exception itself may not pickle; the log has the traceback
                pass
            return 1
        with open(call["result"], "wb") as f:
            cloudpickle.dump(value, f)
        # one line each, newline-terminated, as hailtop writes them
        if call.get("str"):
            _write_text(call["str"], str(value) + "\n")
        if call.get("repr"):
            _write_text(call["repr"], repr(value) + "\n")
        if call.get("json"):
            _write_text(call["json"], json.dumps(value) + "\n")
    return 0


_libc: Any = None  # set in main(); None where ctypes or prctl is unavailable


def _die_with_parent() -> None:
    """Ask Linux to kill this child if the worker dies (it is killed when a run is interrupted)."""
    if _libc is not None:
        with contextlib.suppress(Exception):
            _libc.prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG


def _child(request: dict[str, Any], log_fd: int) -> None:
    code = 1
    try:
        _die_with_parent()
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        os.chdir(request["cwd"])
        for key in request["unset"]:
            os.environ.pop(key, None)
        os.environ.update(request["env"])
        code = _run_calls(request["payload"])
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _wait(pid: int, timeout: float | None) -> tuple[int, bool]:
    """Wait for the child; kill its process group after `timeout` seconds."""
    deadline = None if timeout is None else time.monotonic() + timeout
    timed_out = False
    pidfd = os.pidfd_open(pid) if hasattr(os, "pidfd_open") else None
    try:
        while True:
            if pidfd is not None:
                remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
                select.select([pidfd], [], [], remaining)
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status), timed_out
            if deadline is not None and time.monotonic() >= deadline and not timed_out:
                timed_out = True
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
                _, status = os.waitpid(pid, 0)
                return os.waitstatus_to_exitcode(status), timed_out
            if pidfd is None:
                time.sleep(0.001)
    finally:
        if pidfd is not None:
            os.close(pidfd)


def main() -> None:
    # Answers go to a private copy of stdout; fd 1 becomes stderr, so anything a preloaded module
    # prints cannot corrupt the protocol.
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    init = json.loads(sys.stdin.readline())
    sys.path[:] = init["sys_path"]
    # Preloaded once here, so each forked child starts with it imported (asyncio, only needed for
    # coroutine functions, is left to the children that need it: it costs more than the rest).
    import cloudpickle  # noqa: F401

    global _libc
    with contextlib.suppress(Exception):
        import ctypes

        _libc = ctypes.CDLL(None)

    for module in init.get("preload", []):
        with contextlib.suppress(Exception):  # the job that needs it reports the error in its log
            importlib.import_module(module)
    # Objects made so far are never freed: keeping the collector off them avoids copy-on-write
    # page faults in every forked child (halves the fork cost).
    gc.freeze()
    for line in sys.stdin:
        request = json.loads(line)
        log_fd = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        pid = os.fork()
        if pid == 0:
            os.close(answers.fileno())  # the child must not hold the worker's answer pipe
            _child(request, log_fd)
        os.close(log_fd)
        code, timed_out = _wait(pid, request.get("timeout"))
        answers.write(json.dumps({"exit": code, "timed_out": timed_out}) + "\n")
        answers.flush()


if __name__ == "__main__":
    main()
