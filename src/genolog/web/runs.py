"""The tail of an analysis-runner run's driver log, for the run's page (its record and analyses come from
``service.runs``).

The runner (`genolog.runner.run`) writes the driver's log beside the run's config, in the dataset's tmp
storage: ``<tmp>/analysis-runner/<ar-guid>.log``, and records that path as ``meta.log_path``; `genolog
analysis-runner logs` reads it from there. The server shows a log only when that recorded path (or, for a
record without one, the one its config path implies) is exactly where a local run on this server's data
dir puts it: ``<data_dir>/<dataset>-<test|main>-tmp/analysis-runner/<ar-guid>.log``. Nothing from the
request names a file, and no other path in the database is ever opened.
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genolog.paths import is_cloud_path
from genolog.runner.runconfig import RUNNER_FOLDER
from genolog.web.storage import resolve_inside

#: How much of a log's end the run page shows.
LOG_TAIL_BYTES = 200_000
#: An ar-guid that can be a file name: no separators, no dot first (the runner's are uuids).
_SAFE_GUID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*")


@dataclass
class RunLog:
    """The end of a run's driver log, or why it is not shown."""

    recorded: str | None  # the path the run recorded (or its config implies)
    text: str | None = None
    size: int = 0
    truncated: bool = False
    problem: str | None = None


def log_folder(data_dir: Path, project: str, access_level: str) -> Path:
    """Where a local run recorded on ``project`` keeps its config and log under ``data_dir``: the
    dataset's tmp storage as `genolog.paths.local_storage_config` lays it out (test runs are recorded on
    ``<dataset>-test`` and use the test namespace), then the runner's folder."""
    test = access_level == "test"
    dataset = project.removesuffix("-test") if test else project
    namespace = "test" if test else "main"
    return Path(os.path.abspath(data_dir)) / f"{dataset}-{namespace}-tmp" / RUNNER_FOLDER


def recorded_log_path(record: Mapping[str, Any]) -> str | None:
    """The log path the runner recorded (``meta.log_path``), else the one beside its config."""
    meta = record.get("meta") or {}
    path = meta.get("log_path") if isinstance(meta, Mapping) else None
    if isinstance(path, str) and path:
        return path
    config = str(record.get("config_path") or "")
    suffix = f"{record['ar_guid']}.toml"
    if config.endswith(suffix):
        return config.removesuffix(suffix) + f"{record['ar_guid']}.log"
    return None


def read_log(data_dir: Path, project: str, record: Mapping[str, Any], limit: int = LOG_TAIL_BYTES) -> RunLog:
    """The last ``limit`` bytes of the run's log, when it is a local file where this server's runs keep
    their logs; otherwise the reason it is not shown."""
    guid = str(record["ar_guid"])
    recorded = recorded_log_path(record)
    if recorded is None:
        return RunLog(None, problem="The run recorded no log file.")
    if is_cloud_path(recorded):
        return RunLog(
            recorded,
            problem=f"The log is in remote storage ({recorded}), which this server does not read: "
            f"use `genolog analysis-runner logs {guid}` where that storage is readable.",
        )
    local = recorded.removeprefix("file://")
    folder = log_folder(data_dir, project, str(record.get("access_level") or ""))
    name = f"{guid}.log"
    # compared as real paths, so a data dir spelled through a symbolic link still matches; the file
    # opened is always ``folder/name``, and only when it really is inside ``folder``
    if not _SAFE_GUID.fullmatch(guid) or os.path.realpath(local) != os.path.realpath(folder / name):
        return RunLog(
            recorded,
            problem=f"The log was recorded at {recorded}, outside the run logs of this server's data "
            f"({folder}): it is not read from here.",
        )
    target = resolve_inside(folder, name)
    if target is None:
        return RunLog(recorded, problem=f"The log file {recorded} is not on this server (or is gone).")
    try:
        with open(target, "rb") as f:
            size = f.seek(0, os.SEEK_END)
            start = max(0, size - limit)
            f.seek(start)
            data = f.read(limit)
    except OSError as e:
        return RunLog(recorded, problem=f"The log file {recorded} cannot be read ({e.strerror}).")
    if start:  # begin at a whole line
        newline = data.find(b"\n")
        if 0 <= newline < len(data) - 1:
            data = data[newline + 1 :]
    return RunLog(recorded, data.decode("utf-8", errors="replace"), size, bool(start))


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f} s"
    return str(datetime.timedelta(seconds=round(seconds)))
