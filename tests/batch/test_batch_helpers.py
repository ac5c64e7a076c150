"""cpg_utils.hail_batch-style helpers."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from genolog.batch import Batch, BatchException, JobFailedError, LocalBackend, ServiceBackend, helpers
from genolog.batch.helpers import (
    authenticate_cloud_credentials_in_job,
    command,
    copy_common_env,
    fasta_res_group,
    get_batch,
    init_batch,
    remote_tmpdir,
    reset_batch,
)
from genolog.config import ConfigError, set_config_paths

Toml = Callable[[str, str], str]


@pytest.fixture
def configured(toml_file: Toml, tmp_path: Path) -> Callable[[str], str]:
    """Write a config (base workflow/storage plus `extra` TOML) and activate it; returns its path.

    Each call writes a new file: set_config_paths ignores a list it already has (as cpg_utils does).
    """
    written: list[str] = []

    def configure(extra: str = "") -> str:
        text = (
            f'[workflow]\nname = "from-config"\ndataset = "fewgenomes"\naccess_level = "test"\n'
            f'output_prefix = "out"\n"ar-guid" = "guid-1"\n'
            f'[storage.default]\ndefault = "{tmp_path}/main"\ntmp = "{tmp_path}/tmp"\n' + extra
        )
        path = toml_file(f"config{len(written)}.toml", text)
        written.append(path)
        set_config_paths([path])
        return path

    return configure


def test_command_wraps_with_strict_bash_and_collapses_spaces() -> None:
    script = command(["echo   'a    b'", "   ls"])
    lines = script.split("\n")
    assert lines[:2] == ["set -o pipefail", "set -ex"]
    assert lines[-2:] == ["echo 'a b'", "ls"]
    kept = command("echo   'a    b'", rm_leading_space=False)
    assert kept.endswith("echo   'a    b'")


def test_command_options(tmp_path: Path) -> None:
    script_file = tmp_path / "s.py"
    script_file.write_text("print('from script')\n")
    script = command("python3 script.py", define_retry_function=True, monitor_space=True,
                     python_script_path=script_file)  # fmt: skip
    assert "function retry {" in script and "function retry_gs_cp {" in script
    assert "gcloud -q auth activate-service-account" in script  # implied setup_gcp
    assert script.index("cat <<'EOT' >> script.py") < script.index("python3 script.py")
    assert script.count("df -h") == 2


def test_command_makes_pipelines_fail_in_jobs(configured: Callable[[str], str]) -> None:
    configured('[hail]\nbackend = "local"\n')
    b = get_batch()
    j = b.new_job("pipefail")
    j.command(command("false | cat\necho unreachable"))
    with pytest.raises(JobFailedError) as err:
        b.run()
    assert err.value.job.log_path is not None
    assert "unreachable" not in err.value.job.log_path.read_text().replace("+ echo unreachable", "")


def test_get_batch_is_a_configured_singleton(configured: Callable[[str], str]) -> None:
    configured(
        '[hail]\nbackend = "local"\ncancel_after_n_failures = 2\n'
        'default_timeout = 60\ndefault_memory = "1Gi"\n'
    )
    b = get_batch()
    assert get_batch() is b
    assert b.name == "from-config"
    assert b.attributes["ar-guid"] == "guid-1"
    j = b.new_job("j")
    assert (j._timeout, j._memory, b._cancel_after_n_failures) == (60.0, "1Gi", 2)
    reset_batch()
    assert get_batch("other") is not b


def test_run_names_jobs_copies_env_and_drops_wait(configured: Callable[[str], str], tmp_path: Path) -> None:
    config_path = configured('[hail]\nbackend = "local"\n')
    b = get_batch()
    j = b.new_job(
        "align", {"dataset": "fewgenomes", "sequencing_group": "CPG1", "part": "1/2", "tool": "bwa"}
    )
    j.attributes["sequencing_groups"] = ["CPG2", "CPG1"]  # type: ignore[assignment]
    j.command(f'echo "$CPG_CONFIG_PATH" > {j.ofile}')
    b.write_output(j.ofile, str(tmp_path / "env.txt"))
    assert b.job_by_tool == {"bwa": 1}
    result = b.run(wait=False)
    assert result is not None
    assert result.jobs[0].name == "fewgenomes/CPG1: align, 1/2"
    assert j.attributes["sequencing_groups"] == "['CPG1', 'CPG2']"
    assert j.attributes["ar-guid"] == "guid-1"
    assert (tmp_path / "env.txt").read_text().strip() == config_path


def test_run_requires_job_names_and_skips_empty_batches(configured: Callable[[str], str]) -> None:
    configured('[hail]\nbackend = "local"\n')
    b = get_batch()
    assert b.run() is None
    b.new_job().command("true")
    with pytest.raises(ValueError, match="job name must be defined"):
        b.run()


def test_backend_defaults_to_local_and_refuses_unknown_names(configured: Callable[[str], str]) -> None:
    configured("")
    assert isinstance(get_batch()._backend, LocalBackend)
    reset_batch()
    configured('[hail]\nbackend = "spark"\n')
    with pytest.raises(ConfigError, match="'spark'; expected 'local', 'slurm' or 'batch'"):
        get_batch()


def test_service_backend_without_hail_says_how_to_install_it(configured: Callable[[str], str]) -> None:
    """The dev environment has no hail (its rich pin clashes with test tools); tests/batch/
    test_batch_hailtop.py runs the service backend in a venv with ``genolog[hail]``."""
    if importlib.util.find_spec("hailtop") is not None:
        pytest.skip("hail is installed here")
    configured('[hail]\nbackend = "batch"\nbilling_project = "bp"\n')
    with pytest.raises(BatchException, match=re.escape("pip install 'genolog[hail]'")):
        get_batch()
    with pytest.raises(BatchException, match="need hail"):
        Batch(backend=ServiceBackend(billing_project="bp"))
    with pytest.MonkeyPatch.context() as env:  # hailtop's own switch, for a Batch() without a backend
        env.setenv("HAIL_BATCH_BACKEND", "service")
        with pytest.raises(BatchException, match="need hail"):
            Batch()


def test_copy_common_env_and_authentication_run_locally(configured: Callable[[str], str]) -> None:
    configured('[hail]\nbackend = "local"\n')
    b = get_batch()
    j = b.new_job("auth")
    copy_common_env(j)
    assert "CPG_CONFIG_PATH" in j._env and "GENOLOG_CONFIG_PATH" in j._env
    authenticate_cloud_credentials_in_job(j)
    assert "activate-service-account" in j._command[0]
    result = b.run()  # no key file here: the activation is skipped, not failed
    assert result is not None and result.succeeded


def test_remote_tmpdir(configured: Callable[[str], str], tmp_path: Path) -> None:
    configured()
    assert remote_tmpdir("my-bucket") == "gs://my-bucket/batch-tmp"
    assert remote_tmpdir("s3://b/x/") == "s3://b/x/batch-tmp"
    assert remote_tmpdir() == f"{tmp_path}/tmp/batch-tmp"
    configured('[hail]\nbucket = "/scratch/hail"\n')
    assert remote_tmpdir() == "/scratch/hail/batch-tmp"


def test_init_batch_without_hail_is_a_clear_no_op(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(helpers.importlib.util, "find_spec", lambda name: None)
    init_batch()
    assert "Hail Query is not installed" in capsys.readouterr().err


def test_fasta_res_group(configured: Callable[[str], str], tmp_path: Path) -> None:
    configured(f'[references.broad]\nref_fasta = "{tmp_path}/ref/hg38.fasta"\n')
    b = get_batch()
    group = fasta_res_group(b, ["amb"])
    assert set(group._resources) == {"base", "fai", "dict", "amb"}
    assert group.dict._input_path == f"{tmp_path}/ref/hg38.dict"


def test_query_command_runs_a_module_function_in_a_job(
    configured: Callable[[str], str], tmp_path: Path
) -> None:
    import importlib.util
    import sys

    module_path = tmp_path / "qc_module.py"
    module_path.write_text("def report(n, path):\n    open(path, 'w').write('n=%d' % n)\n")
    spec = importlib.util.spec_from_file_location("qc_module", module_path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    script = helpers.query_command(module, "report", 7, str(tmp_path / "q.txt"), setup_hail=False)
    assert script.startswith("set -o pipefail\nset -ex")
    configured('[hail]\nbackend = "local"\n')
    b = get_batch()
    b.new_job("query").command(script.replace("python3 ", f"{sys.executable} "))
    b.run()
    assert (tmp_path / "q.txt").read_text() == "n=7"
