"""``logs AR_GUID --follow``: the driver's log as it grows, until the run's record leaves ``running``.

The log is read every `LOG_POLL_S` and the record every `RECORD_POLL_S`. The runner or the job running
the driver (meta ``pid`` or ``job_id``) is watched too (`genolog.runner.detach.job_alive`): one that ended
without recording an outcome (killed, or its node lost) ends the follow with a message instead of waiting
forever. A log in the cloud is written when
the driver ends, so it is shown then.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import IO, Any

from genolog.paths import is_cloud_path, to_path
from genolog.runner import detach
from genolog.runner.driver import exit_status
from genolog.runner.service import MetadataServer
from genolog.runner.views import duration

LOG_POLL_S = 0.5
RECORD_POLL_S = 2.0
#: How long a record may stay ``running`` after its job was seen to end (the job records its outcome last).
ENDED_GRACE_S = 10.0


class _LogReader:
    """The part of the log not shown yet."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.offset = 0

    def new(self, final: bool = False) -> bytes:
        if not self.path or (is_cloud_path(self.path) and not final):
            return b""
        try:
            if is_cloud_path(self.path):
                data = to_path(self.path).read_bytes()[self.offset :]
            else:
                with open(self.path, "rb") as log:
                    log.seek(self.offset)
                    data = log.read()
        except OSError:
            return b""
        self.offset += len(data)
        return data


def follow(
    server: MetadataServer,
    record: dict[str, Any],
    out: IO[bytes],
    say: Callable[[str], None],
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Any]:
    """Copy the run's log to ``out`` until its record is final; returns the last record read. When its
    job has ended without an outcome, the record returned is still ``running``."""
    reader = _LogReader((record.get("meta") or {}).get("log_path"))
    last_record = clock()
    ended_at: float | None = None
    while record.get("status") == "running":
        chunk = reader.new()
        if chunk:
            out.write(chunk)
            out.flush()
        if clock() - last_record >= RECORD_POLL_S:
            record, last_record = server.record(str(record["ar_guid"])), clock()
            if record.get("status") != "running":
                break
            alive = detach.job_alive(record.get("meta") or {})
            if alive is False:
                ended_at = ended_at or clock()
                if clock() - ended_at >= ENDED_GRACE_S:
                    say(
                        "analysis-runner: the process running the driver has ended without recording "
                        "an outcome."
                    )
                    break
        time.sleep(LOG_POLL_S)
    rest = reader.new(final=True)
    if rest:
        out.write(rest)
        out.flush()
    return record


def follow_run(server: MetadataServer, record: dict[str, Any], say: Callable[[str], None]) -> int:
    """``logs --follow``: the driver's output on stdout, the run's state through ``say``; returns the run's
    exit status (`driver.exit_status`), 1 when its job ended without an outcome, 130 on Ctrl-C."""
    meta = record.get("meta") or {}
    job = meta.get("job_id") or meta.get("pid")
    on = (
        f" ({meta.get('backend')} {'process' if 'pid' in meta else 'job'} {job})"
        if meta.get("detached")
        else ""
    )
    say(f"analysis-runner: run {record['ar_guid']} is {record.get('status')}{on}")
    try:
        record = follow(server, record, sys.stdout.buffer, say)
    except KeyboardInterrupt:
        say("analysis-runner: stopped following; the run goes on.")
        return 130
    status = str(record.get("status"))
    if status == "running":
        return 1
    say(f"analysis-runner: {status} (exit code {record.get('exit_code')}) in {duration(record)}")
    return exit_status(status, record.get("exit_code"))
