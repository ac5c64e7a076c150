"""The job side of the Slurm backend: what a submitted job script runs with the submitting interpreter.

    python -m genolog.batch._slurmjob python PAYLOAD SYS_PATH_JSON   # a Python job's calls
    python -m genolog.batch._slurmjob copy-out SPEC_JSON             # a finished job's outputs

Python jobs run their cloudpickled calls exactly as the local backend's workers do (``_pyworker``), with
the submitter's ``sys.path`` so user modules sent by reference import the same way. Outputs are copied
by the job itself, before it reports success, so a job whose output cannot be written fails and its
dependants never start.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def run_python(payload: str, sys_path_file: str) -> int:
    sys.path[:] = json.loads(Path(sys_path_file).read_text())
    from genolog.batch._pyworker import _run_calls

    return _run_calls(payload)


def copy_outputs(spec_file: str) -> int:
    from genolog.batch._transfer import TransferError, copy_out

    for source, dest in json.loads(Path(spec_file).read_text()):
        try:
            copy_out(Path(source), dest)
        except TransferError as e:
            print(f"genolog: {e}", file=sys.stderr)
            return 1
    return 0


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "python":
        return run_python(argv[1], argv[2])
    if len(argv) == 2 and argv[0] == "copy-out":
        return copy_outputs(argv[1])
    print(f"usage: python -m genolog.batch._slurmjob python PAYLOAD SYS_PATH | copy-out SPEC ({argv})")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
