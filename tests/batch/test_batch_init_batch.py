"""Which Hail Query `init_batch()` starts, and with what, for each config; Hail itself is stood in for by
a recording module (the real thing runs in test_batch_hail_query.py, in the venv with genolog[hail])."""

from __future__ import annotations

import asyncio
import importlib.machinery
import os
import sys
import tempfile
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from genolog.batch import helpers
from genolog.batch.helpers import init_batch
from genolog.config import ConfigError, set_config_paths

Toml = Callable[[str, str], str]


class RecordingHail(types.ModuleType):
    """What `init_batch` uses of `hail`: init, the init_batch coroutine, default_reference,
    current_backend and utils.java.Env."""

    def __init__(self) -> None:
        super().__init__("hail")
        self.__spec__ = importlib.machinery.ModuleSpec("hail", None)
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.env = type("Env", (), {"_hc": None, "is_fully_initialized": staticmethod(lambda: False)})
        self.utils = types.SimpleNamespace(java=types.SimpleNamespace(Env=self.env))
        self.backend: Any = type(
            "ServiceBackend", (), {"jar_spec": property(lambda _: {"value": "installed"})}
        )()

    def _started(self) -> None:
        self.env.is_fully_initialized = staticmethod(lambda: True)  # type: ignore[attr-defined]

    def init(self, **kwargs: Any) -> None:
        self.calls.append(("init", kwargs))
        self._started()

    async def init_batch(self, **kwargs: Any) -> None:
        await asyncio.sleep(0)
        self.calls.append(("init_batch", kwargs))  # recorded only once the coroutine has run
        self._started()

    def default_reference(self, name: str) -> None:
        self.calls.append(("default_reference", {"name": name}))

    def current_backend(self) -> Any:
        return self.backend


@pytest.fixture
def hail(monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordingHail]:
    fake = RecordingHail()
    loop = asyncio.new_event_loop()
    event_loop = types.ModuleType("hailtop.hail_event_loop")
    event_loop.hail_event_loop = lambda: loop  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "hail", fake)
    monkeypatch.setitem(sys.modules, "hailtop", types.ModuleType("hailtop"))
    monkeypatch.setitem(sys.modules, "hailtop.hail_event_loop", event_loop)
    monkeypatch.setattr(helpers, "_hail_query_initialised", False)
    # init_batch binds Spark to loopback unless told otherwise: leave the variable as it was found
    monkeypatch.setenv("SPARK_LOCAL_IP", "")
    monkeypatch.delenv("SPARK_LOCAL_IP")
    yield fake
    loop.close()


def test_the_default_config_starts_spark_locally(
    hail: RecordingHail, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    init_batch(global_seed=3, billing_project="cohort", token="secret", regions=["x"])
    (name, args), (_, reference) = hail.calls
    tmp = tmp_path / "data" / "sandbox-test-tmp" / "batch-tmp"  # GENOLOG_DATA_DIR is tmp_path/data
    log = Path(args.pop("log"))
    assert name == "init" and args == {
        "backend": "spark",
        "master": f"local[{len(os.sched_getaffinity(0))}]",
        "app_name": "genolog",
        "tmp_dir": str(tmp / "hail-tmp"),
        "quiet": True,
        "global_seed": 3,  # the caller's arguments go on; the service's are left out
        "spark_conf": {"spark.driver.memory": f"{max(1, _machine_memory() // 2 // 2**30)}g"},
    }
    assert log.parent == tmp / "logs" and log.name.startswith("hail-") and log.parent.is_dir()
    assert (tmp / "hail-tmp").is_dir()
    assert reference == {"name": "GRCh38"}
    assert os.environ["SPARK_LOCAL_IP"] == "127.0.0.1"
    assert f"started Hail Query in Spark local mode (local[{len(os.sched_getaffinity(0))}])" in (
        capsys.readouterr().err
    )
    init_batch()  # once per process
    assert len(hail.calls) == 2


def test_caller_arguments_win_and_the_genome_build_comes_from_the_config(
    hail: RecordingHail, toml_file: Toml, tmp_path: Path
) -> None:
    set_config_paths(
        [
            toml_file(
                "c.toml",
                f'[workflow]\nname = "pca"\n[storage.default]\ntmp = "{tmp_path}/scratch"\n'
                '[references]\ngenome_build = "GRCh37"\n',
            )
        ]
    )
    init_batch(
        master="local[1]", quiet=False, spark_conf={"spark.driver.memory": "3g", "spark.ui.enabled": "false"}
    )
    (_, args), (_, reference) = hail.calls
    assert args["master"] == "local[1]" and args["quiet"] is False and args["app_name"] == "pca"
    assert args["spark_conf"] == {"spark.driver.memory": "3g", "spark.ui.enabled": "false"}
    assert args["tmp_dir"] == f"{tmp_path}/scratch/batch-tmp/hail-tmp"
    assert reference == {"name": "GRCh37"}


def test_pyspark_submit_args_keep_their_driver_memory(
    hail: RecordingHail, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYSPARK_SUBMIT_ARGS", "--driver-memory 6g pyspark-shell")
    init_batch()
    assert hail.calls[0][1]["spark_conf"] == {}


def _machine_memory() -> int:
    return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def test_cloud_tmp_storage_keeps_hail_files_in_the_system_temporary_folder(
    hail: RecordingHail, toml_file: Toml
) -> None:
    set_config_paths([toml_file("c.toml", '[storage.default]\ntmp = "gs://cohort-tmp"\n')])
    init_batch()
    args = hail.calls[0][1]
    local = Path(tempfile.gettempdir()) / f"genolog-hail-{os.getuid()}"
    assert args["tmp_dir"] == str(local / "hail-tmp") and Path(args["log"]).parent == local / "logs"


def test_the_batch_backend_starts_query_on_batch(
    hail: RecordingHail, toml_file: Toml, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HAIL_TOKEN", "tok")
    set_config_paths(
        [
            toml_file(
                "c.toml",
                '[hail]\nbackend = "batch"\nbilling_project = "cohort"\n'
                '[storage.default]\ntmp = "gs://cohort-tmp"\n[workflow]\ndefault_jar_spec_revision = "abc123"\n',
            )
        ]
    )
    init_batch(driver_memory="highmem")
    assert hail.calls == [
        (
            "init_batch",
            {
                "default_reference": "GRCh38",
                "remote_tmpdir": "gs://cohort-tmp/batch-tmp",
                "billing_project": "cohort",
                "token": "tok",
                "driver_memory": "highmem",
            },
        )
    ]
    # the Query driver's JAR is the configured revision's, as cpg_utils does it
    assert hail.backend.jar_spec == {"type": "git_revision", "value": "abc123"}
    assert type(hail.backend).__name__ == "ServiceBackendAtRevision"


@pytest.mark.parametrize(
    ("hail_table", "started"),
    [
        ('backend = "batch"\nquery_backend = "local"\n', "init"),
        ('backend = "batch"\nquery_backend = "spark"\n', "init"),
        ('backend = "local"\nquery_backend = "batch"\n', "init_batch"),
        ('backend = "slurm"\n', "init"),
        ('backend = "service"\n', "init_batch"),
    ],
)
def test_query_backend_wins_over_backend(
    hail: RecordingHail, toml_file: Toml, tmp_path: Path, hail_table: str, started: str
) -> None:
    set_config_paths([toml_file("c.toml", f'[hail]\n{hail_table}[storage.default]\ntmp = "{tmp_path}"\n')])
    init_batch()
    assert hail.calls[0][0] == started


def test_a_bad_query_backend_is_named(hail: RecordingHail, toml_file: Toml) -> None:
    set_config_paths([toml_file("c.toml", '[hail]\nquery_backend = "dataproc"\n')])
    with pytest.raises(ConfigError, match=r"\[hail\] query_backend is 'dataproc'; expected 'local'"):
        init_batch()
    assert hail.calls == []


def test_hail_started_by_the_script_is_left_alone(hail: RecordingHail) -> None:
    hail.env.is_fully_initialized = staticmethod(lambda: True)  # type: ignore[attr-defined]
    init_batch()
    assert hail.calls == []
