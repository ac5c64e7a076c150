"""A real single-node Slurm cluster for the tests: munge, slurmctld and slurmd from Debian's packages,
started in a private folder with the scheduler settings of REFERENCE 7.1, and stopped afterwards.

The packages never start their daemons on these machines (no systemd), so this does it by hand:
``munged`` as the munge user, then ``slurmctld`` and ``slurmd -N localhost``. Clients find the cluster
through ``$SLURM_CONF``, which ``start`` sets for this process and its children.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

DAEMONS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "sinfo")

CONF = """\
ClusterName=genologci
SlurmctldHost=localhost
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc={root}/log/jobcomp.log
MinJobAge=300
MessageTimeout=30
NodeName=localhost NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory} TmpDisk=100000
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
"""


def missing() -> list[str]:
    """The Slurm and munge programs not on this machine (``.ci/run`` installs them)."""
    return [d for d in DAEMONS if shutil.which(d) is None and not Path("/usr/sbin", d).exists()]


def _sbin(name: str) -> str:
    return shutil.which(name) or f"/usr/sbin/{name}"


def _wait_for(what: str, check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise RuntimeError(f"Slurm test cluster: {what} did not come up within {timeout:.0f} s")


def _munge_running() -> bool:
    probe = subprocess.run(["munge", "-n"], capture_output=True, check=False)
    return probe.returncode == 0


def _node_ready(env: dict[str, str]) -> bool:
    answer = subprocess.run(
        ["sinfo", "-h", "-N", "-o", "%t"], capture_output=True, text=True, env=env, check=False
    )
    return answer.returncode == 0 and answer.stdout.strip().rstrip("*") in ("idle", "mix", "alloc")


@contextlib.contextmanager
def cluster(root: Path, ctld_port: int, d_port: int) -> Iterator[dict[str, str]]:
    """Start munge (unless running), slurmctld and slurmd under ``root``; yield the environment
    (``SLURM_CONF``) that clients need. Every job is cancelled and the daemons started here are stopped
    at the end."""
    for sub in ("state", "spool", "log"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1 << 20) - 1024
    conf = root / "slurm.conf"
    conf.write_text(
        CONF.format(root=root, ctld_port=ctld_port, d_port=d_port, cpus=os.cpu_count() or 1, memory=memory)
    )
    env = {**os.environ, "SLURM_CONF": str(conf)}
    started_munge = not _munge_running()
    if started_munge:
        Path("/run/munge").mkdir(parents=True, exist_ok=True)
        shutil.chown("/run/munge", "munge", "munge")
        subprocess.run(["runuser", "-u", "munge", "--", _sbin("munged")], check=True)
        _wait_for("munged", _munge_running)
    subprocess.run([_sbin("slurmctld"), "-f", str(conf)], env=env, check=True)
    subprocess.run([_sbin("slurmd"), "-f", str(conf), "-N", "localhost"], env=env, check=True)
    try:
        _wait_for("the node", lambda: _node_ready(env))
        yield env
    finally:
        subprocess.run(["scancel", "--full", "-u", "root"], env=env, capture_output=True, check=False)
        time.sleep(0.5)  # linuxproc job steps outlive slurmd: let the cancellation reach them first
        pids = []
        for pid_file in ("slurmd.pid", "slurmctld.pid"):
            with contextlib.suppress(OSError, ValueError):
                pid = int((root / pid_file).read_text().strip())
                os.kill(pid, signal.SIGTERM)
                pids.append(pid)
        _wait_for("the daemons' exit", lambda: not any(Path(f"/proc/{pid}").exists() for pid in pids), 20)
        if started_munge:
            subprocess.run(["pkill", "-u", "munge", "-x", "munged"], capture_output=True, check=False)
            # gone before returning: a session started next would otherwise find it still answering, rely
            # on it and lose it
            _wait_for("munged's exit", lambda: not _munge_running(), 20)
