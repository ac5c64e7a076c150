"""Parent side of the Python-job workers: a small pool of `_pyworker.py` processes."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

_WORKER_SCRIPT = str(Path(__file__).with_name("_pyworker.py"))


class _Worker:
    def __init__(self, preload: list[str]) -> None:
        self.base_env = dict(os.environ)
        self.proc = subprocess.Popen(
            [sys.executable, _WORKER_SCRIPT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=self.base_env,
            text=True,
            bufsize=1,
        )
        self.send({"sys_path": sys.path, "preload": preload})

    def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message) + "\n")
        self.proc.stdin.flush()

    def receive(self) -> dict[str, Any] | None:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        return json.loads(line) if line else None

    def stop(self) -> None:
        # The worker holds no state worth a graceful exit; killing it skips interpreter shutdown.
        self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


class PythonWorkerPool:
    """Runs Python jobs in forked children of up to `size` persistent worker processes."""

    def __init__(self, size: int, preload: list[str]) -> None:
        self._size = max(1, size)
        self._preload = preload
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()
        # Start them all now: their interpreters boot while the first jobs are being prepared.
        for _ in range(self._size):
            worker = _Worker(preload)
            self._workers.append(worker)
            self._idle.put(worker)

    def _acquire(self) -> _Worker:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if len(self._workers) < self._size:
                worker = _Worker(self._preload)
                self._workers.append(worker)
                return worker
        return self._idle.get()

    def run(
        self, payload: Path, log: Path, cwd: Path, env: dict[str, str], timeout: float | None
    ) -> tuple[int, bool]:
        """Run one job; returns (exit code, timed out). A crashed worker is replaced."""
        worker = self._acquire()
        base = worker.base_env
        request = {
            "payload": str(payload),
            "log": str(log),
            "cwd": str(cwd),
            "env": {k: v for k, v in env.items() if base.get(k) != v},
            "unset": [k for k in base if k not in env],
            "timeout": timeout,
        }
        try:
            worker.send(request)
            answer = worker.receive()
        except OSError:
            answer = None
        if answer is None:
            with self._lock:
                if worker in self._workers:  # not when close() took them all (a stopped run)
                    self._workers.remove(worker)
            worker.stop()
            with open(log, "a") as f:
                f.write("genolog: the Python job worker process died while running this job\n")
            return 1, False
        self._idle.put(worker)
        return int(answer["exit"]), bool(answer["timed_out"])

    def close(self) -> None:
        with self._lock:
            workers, self._workers = self._workers, []
        for worker in workers:
            worker.stop()

    def __enter__(self) -> PythonWorkerPool:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
