"""A detached run's job: run the driver, append its output to the run's log, record the outcome.

    python -m genolog.runner._detached --ar-guid G --log LOG --workdir DIR -- DRIVER ARGV...

Started by `genolog.runner.detach` (a background process or a Slurm job) with the driver's environment,
which holds the server and the token: the outcome is recorded as the submitting user. SIGTERM (``kill``,
``scancel``) stops the driver as Ctrl-C stops a foreground one, and the run is recorded ``cancelled``.
What goes wrong here is printed to this job's output, which is the run's log when that is local.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from types import FrameType

from genolog.runner import checkout, driver
from genolog.runner.errors import RunnerError
from genolog.runner.service import MetadataServer


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m genolog.runner._detached")
    parser.add_argument("--ar-guid", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--workdir", required=True, type=Path)
    parser.add_argument("--scratch", required=True, type=Path)
    parser.add_argument("command", nargs="+")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    server = MetadataServer()
    try:
        with open(os.devnull, "wb") as nowhere:
            result = driver.run(args.command, args.workdir, os.environ, args.log, echo=nowhere)
    except RunnerError as e:
        print(f"analysis-runner: {e}", flush=True)
        result = driver.DriverResult("failed", None, 0.0)
    finally:
        checkout.remove(args.scratch)
    try:
        server.finish_record(args.ar_guid, result.status, result.exit_code, result.duration_seconds)
    except RunnerError as e:
        print(f"analysis-runner: the run ended ({result.status}) but its outcome was not recorded: {e}")
        return 1
    return driver.exit_status(result.status, result.exit_code)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
