"""Hail Query for `genolog.batch.helpers.init_batch`: Spark local mode on this machine, or Query on Batch.

The config picks: ``[hail] query_backend`` (``local`` or ``spark``: Spark local mode; ``batch`` or
``service``: Query on Batch, the Hail Batch service), else the one that goes with ``[hail] backend``:
Query on Batch for ``batch``, Spark local mode for ``local`` and ``slurm`` (whose jobs each run on a
machine of their own). So a Hail Query script runs on a laptop with the code it runs with on the service.

Spark local mode uses every cpu this process may run on and half the machine's memory (``spark_conf``
or ``PYSPARK_SUBMIT_ARGS`` say otherwise), listens on loopback only, writes Hail's
temporary files under `remote_tmpdir()` (the dataset's tmp storage + ``/batch-tmp``) when that is a local
folder, else under the system's temporary folder, and keeps Hail's log in ``logs/`` there; Spark's own
scratch stays Hail's default (``TMPDIR`` or ``/tmp``; ``init_batch(local_tmpdir=...)`` moves it). Hail's Spark runs on Java 11 and
on Java 17 with no extra JVM options: Spark's launcher opens the JDK modules it needs (hail 0.2.133 and
0.2.139 checked; 0.2.139 warns that it was tested with Java 11 only).
"""

from __future__ import annotations

import importlib
import inspect
import logging
import os
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from genolog.batch._host import available_cpus, available_memory
from genolog.config import ConfigError, config_retrieve, genome_build
from genolog.paths import is_cloud_path

__all__ = [
    "LOCAL_QUERY_BACKENDS",
    "SERVICE_QUERY_BACKENDS",
    "hail_query_running",
    "query_backend",
    "start_hail_query",
]

_log = logging.getLogger(__name__)

LOCAL_QUERY_BACKENDS = ("local", "spark")
SERVICE_QUERY_BACKENDS = ("batch", "service")
#: `init_batch` arguments that only Query on Batch takes: Spark local mode leaves them out, so that one
#: script runs on both.
_SERVICE_ONLY = frozenset(
    {
        "billing_project",
        "remote_tmpdir",
        "token",
        "regions",
        "driver_cores",
        "driver_memory",
        "worker_cores",
        "worker_memory",
        "batch_id",
        "name_prefix",
        "gcs_bucket_allow_list",
        "max_read_parallelism",
    }
)


def query_backend() -> str:
    """``local`` (Spark local mode) or ``batch`` (Query on Batch), as the module docstring says."""
    configured = config_retrieve(["hail", "query_backend"], default=None)
    if configured is None:
        batch_backend = str(config_retrieve(["hail", "backend"], default="local"))
        return "batch" if batch_backend in SERVICE_QUERY_BACKENDS else "local"
    name = str(configured)
    if name in LOCAL_QUERY_BACKENDS:
        return "local"
    if name in SERVICE_QUERY_BACKENDS:
        return "batch"
    raise ConfigError(
        f"[hail] query_backend is {name!r}; expected 'local' (Spark on this machine) or 'batch' (Query on Batch)"
    )


def hail_query_running(hl: Any) -> bool:
    """Whether Hail Query already runs in this process (the script called ``hl.init`` itself)."""
    env = hl.utils.java.Env
    check = getattr(env, "is_fully_initialized", None)
    return bool(check()) if check is not None else getattr(env, "_hc", None) is not None


def start_hail_query(hl: Any, tmpdir: Callable[[], str], **kwargs: Any) -> str:
    """Start Hail Query with the `hail` module `hl` on the configured backend, `kwargs` over genolog's
    defaults; returns what was started, for the caller to tell. `tmpdir` is `remote_tmpdir`."""
    reference = str(kwargs.pop("default_reference", None) or genome_build())
    if query_backend() == "batch":
        _start_on_batch(hl, tmpdir(), reference, kwargs)
        return "Hail Query on Batch"
    return _start_spark_locally(hl, tmpdir, reference, kwargs)


def _local_folder(tmpdir: Callable[[], str]) -> Path:
    """The dataset's tmp folder for Hail when it is on this machine; else the system's temporary folder
    (Spark local mode reads and writes local files only, without cloud connectors)."""
    try:
        configured = tmpdir()
    except ConfigError:  # no [storage] in the config: Hail Query still runs
        configured = ""
    if configured and not is_cloud_path(configured):
        return Path(configured.removeprefix("file://")).expanduser()
    return Path(tempfile.gettempdir()) / f"genolog-hail-{os.getuid()}"


def _start_spark_locally(hl: Any, tmpdir: Callable[[], str], reference: str, kwargs: dict[str, Any]) -> str:
    dropped = sorted(_SERVICE_ONLY.intersection(kwargs))
    if dropped:
        _log.info("Spark local mode leaves out the Query on Batch arguments %s", ", ".join(dropped))
    arguments = {k: v for k, v in kwargs.items() if k not in _SERVICE_ONLY}
    folder = _local_folder(tmpdir)
    cores = max(1, int(available_cpus()))
    log = folder / "logs" / f"hail-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    defaults: dict[str, Any] = {
        "backend": "spark",
        "master": f"local[{cores}]",
        "app_name": config_retrieve(["workflow", "name"], default=None) or "genolog",
        "tmp_dir": str(folder / "hail-tmp"),
        "log": str(log),
        "quiet": True,
    }
    arguments = {**defaults, **arguments}
    arguments["spark_conf"] = {**_driver_memory(), **(arguments.get("spark_conf") or {})}
    Path(str(arguments["tmp_dir"]).removeprefix("file://")).mkdir(parents=True, exist_ok=True)
    Path(str(arguments["log"])).parent.mkdir(parents=True, exist_ok=True)
    # Spark in one process needs no network: bind it to loopback (this also spares the warning that the
    # host name resolves to a loopback address), unless the user has said otherwise
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    hl.init(**arguments)
    hl.default_reference(reference)  # rather than init(default_reference=...), which Hail deprecates
    return f"Hail Query in Spark local mode ({arguments['master']}), its log at {arguments['log']}"


def _driver_memory() -> dict[str, str]:
    """Half the machine's memory for Spark's one JVM (Spark's default, 1 GiB, is too little for most Hail
    queries); nothing when ``PYSPARK_SUBMIT_ARGS`` already sets it."""
    if "--driver-memory" in os.environ.get("PYSPARK_SUBMIT_ARGS", ""):
        return {}
    gibibytes = max(1, min(available_memory(), 1 << 45) // 2 // (1 << 30))
    return {"spark.driver.memory": f"{gibibytes}g"}


def _start_on_batch(hl: Any, tmpdir: str, reference: str, kwargs: dict[str, Any]) -> None:
    defaults: dict[str, Any] = {"default_reference": reference, "remote_tmpdir": tmpdir}
    billing = config_retrieve(["hail", "billing_project"], default=None)
    if billing is not None:
        defaults["billing_project"] = billing
    if os.environ.get("HAIL_TOKEN"):
        defaults["token"] = os.environ["HAIL_TOKEN"]
    started = hl.init_batch(**{**defaults, **kwargs})
    if inspect.iscoroutine(started):  # hail 0.2.13x: a coroutine, run on Hail's own event loop
        loop = importlib.import_module("hailtop.hail_event_loop").hail_event_loop()
        loop.run_until_complete(started)
    revision = config_retrieve(["workflow", "default_jar_spec_revision"], default=None)
    if revision:
        _use_jar_revision(hl, str(revision))


def _use_jar_revision(hl: Any, revision: str) -> None:
    """Run the service's Query driver from the JAR of this git revision rather than the installed hail's
    (``workflow.default_jar_spec_revision``, as cpg_utils)."""
    backend = hl.current_backend()
    spec: Mapping[str, str] = {"type": "git_revision", "value": revision}
    pinned = type(
        f"{type(backend).__name__}AtRevision", (type(backend),), {"jar_spec": property(lambda _: spec)}
    )
    backend.__class__ = pinned
