"""The driver in its ``--image``: genolog's FastQE image under podman, with its limits visible inside; on
the host with a notice when no runtime is configured; refusals before anything is recorded."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from genolog.runner import container
from genolog.runner.errors import RunnerError
from genolog.runner.spec import make_spec
from tests.containers.images import BuiltImages
from tests.runner.conftest import DATASET, Server, cli, git, run_args

# What a driver sees inside its container; the image has genolog's QC but not its HTTP client, so the
# server is reached with urllib, as any script in any image could.
PROBE = """\
import json, os, tomllib, urllib.request
from pathlib import Path
from typing import Any

def first(*paths):
    for path in paths:
        if Path(path).exists():
            return Path(path).read_text().strip()
    return None

config_path = os.environ["GENOLOG_CONFIG_PATH"]
config = tomllib.loads(Path(config_path).read_text())
out = Path(config["storage"]["default"]["default"]) / "in-container.txt"
out.write_text("written from the container\\n")
request = urllib.request.Request(
    os.environ["GENOLOG_URL"] + "/api/v1/analysis-runner/runs?ar_guid=" + os.environ["GENOLOG_AR_GUID"],
    headers={"Authorization": "Bearer " + os.environ["GENOLOG_TOKEN"]},
)
[run] = json.load(urllib.request.urlopen(request))
print(json.dumps({
    "memory_limit": first("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"),
    "cpu_quota": first("/sys/fs/cgroup/cpu.max", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us"),
    "in_podman": Path("/run/.containerenv").exists(),
    "fastqe": os.path.exists("/usr/local/bin/fastqe"),
    "cwd": os.getcwd(),
    "home_visible": Path("/work").exists(),
    "config_path": config_path,
    "output": str(out),
    "own_record_status": run["status"],
    "extra": os.environ.get("EXTRA"),
    "path_var": os.environ.get("PATH"),
}))
"""


def commit(repo: Path, name: str, text: str) -> None:
    (repo / "scripts" / name).write_text(text)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", f"add {name}")


def seen(stdout: str) -> dict[str, Any]:
    return dict(json.loads(next(line for line in stdout.splitlines() if line.startswith("{"))))


@pytest.fixture
def podman(monkeypatch: pytest.MonkeyPatch) -> str:
    if shutil.which("podman") is None:
        pytest.skip("podman is not installed")
    monkeypatch.setenv("GENOLOG_CONTAINER_RUNTIME", "podman")
    return "podman"


@pytest.mark.slow
def test_the_driver_runs_in_the_fastqe_image_with_its_limits(
    server: Server, repo: Path, built_images: BuiltImages, podman: str, tmp_path: Path
) -> None:
    commit(repo, "probe.py", PROBE)
    args = run_args(
        "python3",
        "scripts/probe.py",
        image=built_images.fastqe,
        memory="300Mi",
        cpu="1.5",
        env="EXTRA=inside",
    )
    result = cli(*args)
    assert result.exit_code == 0, result.stdout + result.stderr
    driver = seen(result.stdout)
    assert driver["memory_limit"] == str(300 * 2**20)  # --memory became the container's limit
    assert driver["cpu_quota"].split()[0] == "150000"  # --cpu 1.5: 150 ms of every 100 ms
    assert driver["in_podman"] and driver["fastqe"]  # the image's files, not the host's
    assert driver["home_visible"] is False  # only what the runner mounts
    # the run's clean checkout, mounted at its host path (removed once the driver ended)
    ran_in = Path(driver["cwd"])
    assert ran_in.name == "checkout" and ran_in.parent.parent == tmp_path / "data" / "analysis-runner-scratch"
    assert not ran_in.exists()
    assert driver["extra"] == "inside" and "/opt/genolog/bin" in driver["path_var"]  # the image's PATH
    assert driver["own_record_status"] == "running"  # host network: it reached the server on 127.0.0.1
    assert Path(driver["output"]).read_text() == "written from the container\n"
    assert Path(driver["output"]).is_relative_to(tmp_path / "data" / f"{DATASET}-test")
    assert f"image  {built_images.fastqe} (podman, host network)" in result.stderr
    [run] = server.runs(f"{DATASET}-test")
    assert run["status"] == "succeeded" and run["driver_image"] == built_images.fastqe
    assert run["meta"]["in_container"] is True and run["meta"]["container_runtime"] == "podman"
    assert run["meta"]["memory"] == "300Mi" and run["meta"]["cpu"] == "1.5"


@pytest.mark.slow
def test_a_detached_driver_runs_in_its_image_too(
    server: Server, repo: Path, built_images: BuiltImages, podman: str
) -> None:
    commit(repo, "probe.py", PROBE)
    args = run_args("python3", "scripts/probe.py", image=built_images.fastqe, memory="200Mi")
    submitted = cli("analysis-runner", "--detach", *args[1:])
    assert submitted.exit_code == 0, submitted.stderr
    ar_guid = submitted.stdout.strip()
    followed = cli("analysis-runner", "logs", ar_guid, "--follow")
    assert followed.exit_code == 0, followed.stdout + followed.stderr
    driver = seen(followed.stdout)
    assert driver["memory_limit"] == str(200 * 2**20) and driver["in_podman"]
    [run] = server.runs(f"{DATASET}-test")
    assert run["status"] == "succeeded" and run["meta"]["backend"] == "local"
    assert run["meta"]["in_container"] is True


@pytest.mark.slow
def test_a_driver_over_its_memory_limit_is_killed_and_recorded_failed(
    server: Server, repo: Path, built_images: BuiltImages, podman: str
) -> None:
    commit(repo, "hog.py", "block = bytearray(400 * 2**20)\nprint('allocated', len(block))\n")
    result = cli(*run_args("python3", "scripts/hog.py", image=built_images.fastqe, memory="100Mi"))
    assert result.exit_code == 137, result.stdout + result.stderr  # the kernel's OOM kill
    assert "allocated" not in result.stdout
    [run] = server.runs(f"{DATASET}-test")
    assert run["status"] == "failed" and run["exit_code"] == 137


def test_without_a_runtime_the_driver_runs_on_the_host_with_a_notice(
    server: Server, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GENOLOG_CONTAINER_RUNTIME", raising=False)
    commit(repo, "where.py", "import sys\nprint(sys.executable)\n")
    result = cli(*run_args("python3", "scripts/where.py", image="example.org/some/image:1"))
    assert result.exit_code == 0, result.stderr
    notices = [line for line in result.stderr.splitlines() if "runs on this host" in line]
    assert notices == [
        "analysis-runner: no container runtime configured (set GENOLOG_CONTAINER_RUNTIME=podman or docker); "
        "the driver runs on this host, not in example.org/some/image:1."
    ]
    [run] = server.runs(f"{DATASET}-test")
    assert run["status"] == "succeeded" and run["meta"]["in_container"] is False
    assert run["driver_image"] == "example.org/some/image:1"


def test_an_image_the_runtime_lacks_is_refused_before_anything_is_recorded(
    server: Server, repo: Path, podman: str
) -> None:
    result = cli(*run_args("python3", "scripts/hello.py", image="localhost/genolog/no-such-image:0"))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: podman has no image localhost/genolog/no-such-image:0: build it")
    assert server.runs(f"{DATASET}-test") == []


@pytest.mark.parametrize(
    ("option", "value", "problem"),
    [("memory", "lots", "invalid size: 'lots'"), ("cpu", "-2", "invalid value for cpu: '-2'")],
)
def test_a_bad_resource_is_one_sentence(
    server: Server, repo: Path, option: str, value: str, problem: str
) -> None:
    result = cli(*run_args("python3", "scripts/hello.py", **{option: value}))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: The driver's resources are not valid: {problem}")
    assert result.stderr.count("\n") == 1 and server.runs(f"{DATASET}-test") == []


def test_the_container_command_passes_the_token_by_name_and_mounts_what_the_driver_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command line (visible to every user in ``ps``) names the variables, never their values."""
    runtime = tmp_path / "bin" / "docker"
    runtime.parent.mkdir()
    runtime.write_text(
        '#!/bin/sh\n[ "$1" = image ] && echo sha256:0 && exit 0\necho xfs\n'
    )  # has every image
    runtime.chmod(0o755)
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "sub").mkdir()
    spec = make_spec(
        dataset="ds",
        access_level="test",
        output_dir="o",
        image="img:1",
        memory="2Gi",
        storage="1Gi",
        env=["EXTRA=1"],
    )
    storage = {"ds": {"default": str(tmp_path / "ds-test"), "web_url": "http://x/web", "tmp": "gs://b/t"}}
    placement = container.place(
        spec,
        "guid",
        ["./run.sh", "--secret-free"],
        repo / "sub",
        {"storage": storage},
        str(tmp_path / "ds-test" / "c.toml"),
        str(runtime),
    )
    argv = placement.argv
    assert argv[argv.index("run") :][:3] == ["run", "--rm", "--name"] and "genolog-driver-guid" in argv
    assert (
        "--network=host" in argv and ["-m", str(2 * 2**30)] == argv[argv.index("-m") : argv.index("-m") + 2]
    )
    assert ["--storage-opt", f"size={2**30}"] == argv[argv.index("--storage-opt") :][
        :2
    ]  # the engine said xfs
    mounts = [argv[i + 1] for i, a in enumerate(argv) if a == "-v"]
    storage_dir = tmp_path / "ds-test"
    assert sorted(mounts) == sorted(
        [f"{repo}:{repo}", f"{storage_dir}:{storage_dir}"]
    )  # the config is inside
    assert (tmp_path / "ds-test").is_dir()  # created to be mounted
    names = [argv[i + 1] for i, a in enumerate(argv) if a == "-e"]
    assert {"GENOLOG_TOKEN", "GENOLOG_URL", "GENOLOG_CONFIG_PATH", "CPG_CONFIG_PATH", "EXTRA"} <= set(names)
    assert all("=" not in name for name in names)
    assert argv[-3:] == ["img:1", "./run.sh", "--secret-free"] and argv[argv.index("-w") + 1] == str(
        repo / "sub"
    )
    assert placement.meta() == {"in_container": True, "container_runtime": "docker", "storage_enforced": True}


def test_a_runtime_that_cannot_limit_disk_says_so(tmp_path: Path) -> None:
    runtime = tmp_path / "docker"
    runtime.write_text('#!/bin/sh\n[ "$1" = image ] && echo sha256:0 && exit 0\necho extfs\n')
    runtime.chmod(0o755)
    spec = make_spec(dataset="ds", access_level="test", output_dir="o", image="img:1", storage="5Gi")
    placement = container.place(spec, "g", ["x"], tmp_path, {}, "gs://b/c.toml", str(runtime))
    assert "--storage-opt" not in placement.argv and placement.meta()["storage_enforced"] is False
    assert placement.notice == (
        "analysis-runner: --storage is recorded but not enforced: docker's storage here (extfs) cannot "
        "limit a container's disk (it needs overlay on XFS)."
    )
    with pytest.raises(RunnerError, match="invalid size"):
        container.limits_of(make_spec(dataset="ds", access_level="test", output_dir="o", storage="big"))
