"""Facts about this machine and running processes on it, for the local backend."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import threading
from pathlib import Path
from types import ModuleType
from typing import Any


def available_cpus() -> float:
    try:
        return float(len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return float(os.cpu_count() or 1)


def available_memory() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 1 << 62


def remove_in_background(folder: Path) -> None:
    """Delete a scratch folder without making `run()` wait (rmdir is slow on some disks).

    The folder is first renamed out of the way; the thread is not a daemon, so the interpreter
    finishes the deletion before it exits.
    """
    trash = folder.with_name(f".deleting-{folder.name}")
    try:
        folder.rename(trash)
    except OSError:
        trash = folder
    threading.Thread(
        target=shutil.rmtree, args=(trash,), kwargs={"ignore_errors": True}, daemon=False
    ).start()


def defining_module(value: Any) -> ModuleType | None:
    """The imported module that defines ``value`` (a function, a class, an instance's class), or None for
    ``__main__``, ``builtins`` and values with no module: what decides how a Python job pickles it."""
    name = getattr(value, "__module__", None)
    module = sys.modules.get(name) if name else None
    if module is None or module.__name__ in ("__main__", "builtins"):
        return None
    return module


def is_installed(module: ModuleType) -> bool:
    """True for the standard library and installed packages, False for user code."""
    path = getattr(module, "__file__", None)
    if path is None:
        return True  # builtin or namespace module
    real = os.path.realpath(path)
    return any(real.startswith(prefix + os.sep) for prefix in _INSTALL_PREFIXES)


_INSTALL_PREFIXES = tuple(
    {
        os.path.realpath(p)
        for key in ("stdlib", "platstdlib", "purelib", "platlib")
        if (p := sysconfig.get_paths().get(key))
    }
)


def run_process(
    argv: list[str], cwd: Path, log: Path, timeout: float | None, kill: list[str] | None
) -> tuple[int, bool]:
    """Run one attempt of a bash job; output goes to the log. Returns (exit code, timed out).

    The environment is inherited (the script exports the job's variables), which keeps the spawn
    cheap; only jobs with a timeout get their own session, so the whole process group can be killed.
    """
    with open(log, "ab") as out:
        try:
            proc = subprocess.Popen(
                argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=timeout is not None,
            )  # fmt: skip
        except OSError as e:
            out.write(f"genolog: cannot run {argv[0]!r}: {e}\n".encode())
            return 127, False
        with _live_lock:
            _live.add(proc)
        try:
            return proc.wait(timeout), False
        except subprocess.TimeoutExpired:
            if kill:
                subprocess.run(kill, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return proc.returncode, True
        finally:
            with _live_lock:
                _live.discard(proc)


_live: set[subprocess.Popen[bytes]] = set()
_live_lock = threading.Lock()


def kill_running_processes() -> None:
    """Kill every job process still running (after Ctrl-C, so `run()` can return at once)."""
    with _live_lock:
        procs = list(_live)
    for proc in procs:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if os.getpgid(proc.pid) == proc.pid:  # a job with a timeout leads its own group
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
