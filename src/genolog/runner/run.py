"""One analysis-runner run: check, configure, record, drive, record the outcome.

The order is the upstream one: the server decides whether the caller may run on the dataset at that
access level, then the code is checked out (a clean checkout of one commit in the run's scratch folder,
`genolog.runner.checkout`) behind the git gate, then the config is built and stored, the run is recorded
as ``running``, the driver runs in the checkout, its outcome (succeeded, failed or cancelled, exit code,
duration) is recorded, and the scratch folder is removed.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genolog.config import CONFIG_PATH_ENV_VARS
from genolog.runner import checkout, container, detach, detach_hail, driver, gitinfo, runconfig
from genolog.runner.errors import RunnerError
from genolog.runner.service import MetadataServer
from genolog.runner.spec import RunSpec

Say = Callable[[str], None]
#: The record's repository and commit of a run without a repository (--skip-repo-checkout): CPG leaves
#: them empty, but a record needs both.
NO_REPOSITORY = "(none)"


@dataclass(frozen=True)
class Prepared:
    spec: RunSpec  # as it runs: its command's script path relative to the checkout
    ar_guid: str
    checkout: gitinfo.Checkout  # the driver runs in ``checkout.workdir``
    user: str
    config: dict[str, Any]
    config_path: str
    log_path: str
    scratch: Path  # the run's own folder, holding the checkout; `remove_scratch` deletes it


def config_for(spec: RunSpec, server: MetadataServer | None = None) -> dict[str, Any]:
    """The config a run would use (``config`` mode): nothing is checked against the server or git."""
    url = server.url if server is not None else MetadataServer().url
    return runconfig.build(spec, runconfig.new_ar_guid(), url)


def prepare(
    spec: RunSpec, server: MetadataServer, cwd: Path | None = None, say: Say | None = None
) -> Prepared:
    """Every check, the checkout in the run's scratch folder, then the stored config; raises `RunnerError`
    with the first refusal (and leaves no scratch folder behind). ``cwd`` stands for the caller's folder."""
    access = server.check_access(spec.dataset, spec.access_level)
    ar_guid = runconfig.new_ar_guid()
    scratch = checkout.scratch_for(ar_guid)
    try:
        code, spec = checkout.make(spec, scratch, cwd, say)
        config = runconfig.build(spec, ar_guid, server.url)
        config_path, log_path = runconfig.run_files(config, spec.dataset, ar_guid)
        config_path = runconfig.write(config, config_path)
    except BaseException:
        checkout.remove(scratch)
        raise
    return Prepared(spec, ar_guid, code, str(access["user"]), config, config_path, log_path, scratch)


def remove_scratch(prepared: Prepared) -> None:
    """Delete the run's scratch folder (its checkout); call it once the driver has ended."""
    checkout.remove(prepared.scratch)


def driver_env(
    prepared: Prepared, server: MetadataServer, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The caller's environment, the user's ``-e`` values, then the runner's: config path, server, guid.

    The local driver's "image" is this installation: its interpreter's folder leads ``PATH``, so the
    script's ``python3`` imports genolog even from a shell that has not activated genolog's venv."""
    env = dict(os.environ if base is None else base)
    interpreter_bin = os.path.dirname(sys.executable)
    env["PATH"] = os.pathsep.join([interpreter_bin, *(p for p in env.get("PATH", "").split(os.pathsep) if p)])
    env.update(prepared.spec.env)
    for var in CONFIG_PATH_ENV_VARS:
        env[var] = prepared.config_path
    env["GENOLOG_URL"] = server.url
    if server.settings.token:
        env["GENOLOG_TOKEN"] = server.settings.token
    else:
        env.pop("GENOLOG_TOKEN", None)
    env["GENOLOG_AR_GUID"] = prepared.ar_guid
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def record_of(prepared: Prepared, backend: str = "local") -> tuple[dict[str, Any], dict[str, Any]]:
    """The analysis-runner record's fields and its meta, for a driver run on ``backend``."""
    spec, checkout = prepared.spec, prepared.checkout
    script = " ".join(driver.driver_command(spec.command, checkout.workdir))
    record = {
        "ar_guid": prepared.ar_guid,
        "access_level": spec.access_level,
        "repository": checkout.repository or NO_REPOSITORY,
        "commit": checkout.commit or NO_REPOSITORY,
        "script": script,
        "description": spec.description,
        "driver_image": spec.driver_image,
        "config_path": prepared.config_path,
        "cwd": checkout.cwd if checkout.commit else None,
        "environment": backend,
        "batch_url": prepared.log_path if "://" in prepared.log_path else f"file://{prepared.log_path}",
        "submitting_user": prepared.user,
        "output_path": os.path.join(runconfig.storage_prefix(prepared.config, spec.dataset), spec.output_dir),
        "status": "running",
    }
    meta = {
        "branch": checkout.branch,
        "dirty": checkout.dirty,
        "diff_sha256": checkout.diff_sha256,
        "uncommitted_files": list(checkout.changed) or None,
        "skip_repo_checkout": spec.skip_repo_checkout or None,
        "log_path": prepared.log_path,
        "command": list(spec.command),
        "cpu": spec.cpu,
        "memory": spec.memory,
        "storage": spec.storage,
        "preemptible": spec.preemptible,
        "env": spec.env,
        "local_user": getpass.getuser(),
        "backend": backend,
    }
    return record, {k: v for k, v in meta.items() if v is not None}


def code_line(code: gitinfo.Checkout) -> str:
    """What runs, for the caller: the commit, its repository and folder, and whether it is dirty."""
    if not code.commit:
        return "no repository (--skip-repo-checkout): an empty folder"
    line = f"commit {code.commit[:12]} of {code.repository}, cwd {code.cwd}"
    if code.dirty:
        line += f", with uncommitted changes (diff sha256 {code.diff_sha256})"
    return line


def _start(
    spec: RunSpec, server: MetadataServer, tell: Say, cwd: Path | None, backend: str | None
) -> tuple[Prepared, container.Placement]:
    """Every check, the checkout, the driver's placement (and the detached run's backend), then the record
    as running. On any refusal the scratch folder is removed before the error goes on."""
    prepared = prepare(spec, server, cwd, tell)
    try:
        if backend == "hail":  # what the service's workers could not do is refused before the record
            code = prepared.checkout
            detach_hail.check(prepared.spec, code, prepared.config_path, prepared.log_path, server.url)
        return prepared, _record_start(prepared, server, tell, backend)
    except BaseException:
        remove_scratch(prepared)
        raise


def _record_start(
    prepared: Prepared, server: MetadataServer, tell: Say, backend: str | None
) -> container.Placement:
    spec = prepared.spec
    workdir = prepared.checkout.workdir
    command = driver.driver_command(spec.command, workdir)
    if backend == "hail":  # the service runs the driver in its image: nothing starts a container here
        placement = container.Placement(command, workdir, None, spec.driver_image, container.limits_of(spec))
    else:
        placement = container.place(
            spec, prepared.ar_guid, command, workdir, prepared.config, prepared.config_path
        )
    record, meta = record_of(prepared, backend or "local")
    meta.update({"detached": backend is not None, **placement.meta()})
    if backend == "hail":
        meta["in_container"] = True
    if backend is None:  # the runner itself runs the driver: `logs --follow` notices if it is killed
        meta.update(detach.this_process())
    project = spec.record_project
    server.create_record(project, record, meta)
    tell(f"analysis-runner: run {prepared.ar_guid} on {project} ({spec.access_level} access)")
    tell(f"  {code_line(prepared.checkout)}")
    tell(f"  config {prepared.config_path}")
    tell(f"  log    {prepared.log_path}")
    if placement.in_container:
        tell(f"  image  {placement.image} ({meta['container_runtime']}, host network)")
    elif backend == "hail":
        tell(f"  image  {placement.image} (on the Hail Batch service)")
    if placement.notice:
        tell(placement.notice)
    return placement


def execute(
    spec: RunSpec, server: MetadataServer | None = None, say: Say | None = None, cwd: Path | None = None
) -> int:
    """Run ``spec`` to its end and return the driver's exit code (130 when cancelled)."""
    server = server or MetadataServer()
    tell: Say = say or (lambda text: print(text, file=sys.stderr))
    prepared, placement = _start(spec, server, tell, cwd, None)
    try:
        result = driver.run(
            placement.argv, placement.workdir, driver_env(prepared, server), prepared.log_path
        )
    finally:
        remove_scratch(prepared)
    try:
        server.finish_record(prepared.ar_guid, result.status, result.exit_code, result.duration_seconds)
    except RunnerError as e:
        tell(f"analysis-runner: the run ended ({result.status}) but its outcome was not recorded: {e}")
    tell(
        f"analysis-runner: {result.status} (exit code {result.exit_code}) in {result.duration_seconds:.1f} s; "
        f"see `genolog analysis-runner logs {prepared.ar_guid}`"
    )
    return driver.exit_status(result.status, result.exit_code)


def execute_detached(
    spec: RunSpec, server: MetadataServer | None = None, say: Say | None = None, cwd: Path | None = None
) -> str:
    """Submit ``spec``'s driver as a job on the configured backend (`genolog.runner.detach`) and return the
    run's ar-guid at once; the job records the outcome when the driver ends."""
    server = server or MetadataServer()
    tell: Say = say or (lambda text: print(text, file=sys.stderr))
    backend = detach.backend_name(runconfig.user_config(spec))
    prepared, placement = _start(spec, server, tell, cwd, backend)
    env = driver_env(prepared, server)
    try:
        if backend == "hail":  # the job clones the code itself: the checkout here is not needed
            submission = detach_hail.submit_driver(
                prepared.spec,
                prepared.ar_guid,
                prepared.checkout,
                placement.argv,
                prepared.log_path,
                prepared.config,
                env,
            )
            remove_scratch(prepared)
        else:
            submission = detach.submit(
                backend, prepared.ar_guid, prepared.log_path, placement, env, prepared.scratch
            )
    except RunnerError as e:
        remove_scratch(prepared)
        with contextlib.suppress(RunnerError):  # the submission's error is the one to show
            server.finish_record(prepared.ar_guid, "failed", None, 0.0)
        raise RunnerError(f"The run {prepared.ar_guid} was not submitted: {e}") from None
    try:
        server.update_meta(prepared.ar_guid, submission.meta())
    except RunnerError as e:
        tell(f"analysis-runner: the job's id was not recorded: {e}")
    what = {"local": "local process", "hail": "Hail batch"}.get(
        submission.backend, f"{submission.backend} job"
    )
    tell(f"analysis-runner: submitted as {what} {submission.job_id}; follow it with")
    if submission.backend == "hail":
        tell(f"  {submission.output} (the job's own output), or")
    tell(f"  genolog analysis-runner logs {prepared.ar_guid} --follow")
    return prepared.ar_guid
