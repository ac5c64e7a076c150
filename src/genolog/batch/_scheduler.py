"""The parallel scheduler: runs ready jobs as soon as their parents finish and resources allow.

It knows nothing about bash or Python: a job is an index with parents, a cpu and memory request,
and an `always_run` flag; `execute(i)` runs it (in a worker thread) and returns its result.
"""

from __future__ import annotations

import heapq
import queue
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from genolog.batch._report import JobRunResult


@dataclass
class Task:
    parents: list[int]
    cpu: float
    memory: int
    always_run: bool


def schedule(
    tasks: Sequence[Task],
    execute: Callable[[int], JobRunResult],
    cancelled: Callable[[int, str], JobRunResult],
    *,
    cpus: float,
    memory: int,
    max_parallel: int,
    cancel_after_n_failures: int | None,
    on_done: Callable[[JobRunResult], None],
    on_abort: Callable[[], None] = lambda: None,
) -> list[JobRunResult]:
    """Run every task once its parents are done; returns results in task order.

    A task whose parent failed or was cancelled is cancelled, unless it is `always_run`. After
    `cancel_after_n_failures` failures every task not yet started is cancelled, again except
    `always_run` ones. Tasks run in parallel while their cpu and memory requests fit the budget
    (a request larger than the budget is clamped so the task can run alone). If the scheduler
    itself is interrupted (Ctrl-C), `on_abort` must stop the running tasks so their threads end.
    """
    n = len(tasks)
    results: list[JobRunResult | None] = [None] * n
    children: list[list[int]] = [[] for _ in range(n)]
    waiting = [0] * n
    blocked = [False] * n
    for i, task in enumerate(tasks):
        for p in task.parents:
            children[p].append(i)
            waiting[i] += 1
    ready = [i for i in range(n) if waiting[i] == 0]
    heapq.heapify(ready)
    done: queue.SimpleQueue[tuple[int, JobRunResult]] = queue.SimpleQueue()
    free_cpu, free_mem = cpus, memory
    running = 0
    finished = 0
    failures = 0
    stop = False

    def need(i: int) -> tuple[float, int]:
        return min(tasks[i].cpu, cpus), min(tasks[i].memory, memory)

    def finish(i: int, result: JobRunResult) -> None:
        nonlocal finished
        results[i] = result
        finished += 1
        on_done(result)
        for c in children[i]:
            waiting[c] -= 1
            if not result.succeeded:
                blocked[c] = True
            if waiting[c] == 0:
                heapq.heappush(ready, c)

    def run(i: int) -> None:
        try:
            result = execute(i)
        except BaseException as e:  # a bug in execution must not hang the scheduler
            result = cancelled(i, f"internal error: {e!r}")
            result.status = "failed"
        done.put((i, result))

    with ThreadPoolExecutor(max_workers=max(1, max_parallel), thread_name_prefix="genolog-job") as pool:
        try:
            while finished < n:
                skipped: list[int] = []
                while ready and running < max_parallel:
                    i = heapq.heappop(ready)
                    if (blocked[i] or stop) and not tasks[i].always_run:
                        reason = (
                            "a parent failed or was cancelled"
                            if blocked[i]
                            else "too many failures in the batch"
                        )
                        finish(i, cancelled(i, reason))
                        continue
                    cpu, mem = need(i)
                    if cpu > free_cpu + 1e-9 or mem > free_mem:
                        skipped.append(i)
                        if free_cpu <= 1e-9:
                            break
                        continue
                    free_cpu -= cpu
                    free_mem -= mem
                    running += 1
                    pool.submit(run, i)
                for i in skipped:
                    heapq.heappush(ready, i)
                if finished == n:
                    break
                if running == 0 and not ready:  # pragma: no cover - guarded by the dependency counts
                    raise RuntimeError("scheduler stalled: no job running and none ready")
                i, result = done.get()
                running -= 1
                cpu, mem = need(i)
                free_cpu += cpu
                free_mem += mem
                if not result.succeeded:
                    failures += 1
                    if cancel_after_n_failures is not None and failures >= cancel_after_n_failures:
                        stop = True
                finish(i, result)
        except BaseException:
            on_abort()
            raise

    return [r for r in results if r is not None]
