"""Ctrl-C during run(): every job process, bash or Python, is stopped and the run returns at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

SCRIPT = """
import sys, time
import genolog.batch as hb

pids = sys.argv[1]

def sleeper():
    import os, time
    with open(os.path.join(pids, "python"), "w") as f:
        f.write(str(os.getpid()))
    time.sleep(60)

b = hb.Batch(backend=hb.LocalBackend(tmp_dir=sys.argv[2], cpus=4))
b.new_job("plain").command(f"echo $$ > {pids}/plain; exec sleep 60")
b.new_job("own session").timeout(120).command(f"echo $$ > {pids}/session; exec sleep 60")
b.new_python_job("python").call(sleeper)
b.run()
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0); it is dead for our purposes
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(")")[-1].split()[0] != "Z"


def test_interrupt_stops_all_job_processes(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    pids.mkdir()
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    proc = subprocess.Popen(
        [sys.executable, str(script), str(pids), str(tmp_path / "scratch")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # our own group, so the signal reaches only this run
    )
    deadline = time.monotonic() + 30
    while len(list(pids.iterdir())) < 3:
        assert time.monotonic() < deadline, "jobs did not start"
        time.sleep(0.05)
    job_pids = {f.name: int(f.read_text()) for f in pids.iterdir()}
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    _, err = proc.communicate(timeout=20)
    assert b"KeyboardInterrupt" in err
    time.sleep(0.2)
    assert {name: _alive(pid) for name, pid in job_pids.items()} == {
        "plain": False,
        "session": False,
        "python": False,
    }
