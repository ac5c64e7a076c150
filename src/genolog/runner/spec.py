"""What the caller asked for: the dataset, access level, output folder, driver settings, the code (which
repository, commit and folder) and the script."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from genolog.config import CONFIG_PATH_ENV_VARS
from genolog.runner.errors import RunnerError

ACCESS_LEVELS = ("test", "standard", "full")
#: Used when `--image` is not given. The local backend runs the driver on this machine, so the image is
#: recorded (and offered to scripts as `workflow.driver_image`) rather than pulled.
DEFAULT_DRIVER_IMAGE = "genolog/driver:local"
#: Set by the runner for the driver; `-e` may not replace them.
RESERVED_ENV = (*CONFIG_PATH_ENV_VARS, "GENOLOG_URL", "GENOLOG_TOKEN")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class RunSpec:
    dataset: str
    access_level: str
    output_dir: str
    description: str = ""
    image: str | None = None
    cpu: str | None = None
    memory: str | None = None
    storage: str | None = None
    preemptible: bool = True
    env: dict[str, str] = field(default_factory=dict)
    config_files: tuple[Path, ...] = ()
    command: tuple[str, ...] = ()
    repository: str | None = None  # another repository (a local path or a URL); None: the caller's
    commit: str | None = None  # a sha, branch or tag; None: HEAD
    cwd: str | None = None  # the folder to run from, relative to the repository's root
    allow_uncommitted: bool = False  # run the caller's uncommitted changes too (test access only)
    skip_repo_checkout: bool = False  # run without a repository

    @property
    def driver_image(self) -> str:
        return self.image or DEFAULT_DRIVER_IMAGE

    @property
    def record_project(self) -> str:
        """The project the run is recorded on: ``<dataset>-test`` at the test level, else ``<dataset>``."""
        if self.access_level == "test" and not self.dataset.endswith("-test"):
            return f"{self.dataset}-test"
        return self.dataset

    @property
    def namespace(self) -> str:
        return "test" if self.access_level == "test" else "main"


def clean_output_dir(value: str) -> str:
    """The output prefix: no bucket URL, no trailing slash, not empty."""
    if "://" in value:
        raise RunnerError(
            f"The output directory {value!r} must be a folder name inside the dataset's storage, not a URL "
            "(drop the gs:// part)."
        )
    cleaned = value.strip().rstrip("/")
    if not cleaned:
        raise RunnerError("The output directory must not be empty.")
    return cleaned


def parse_env(pairs: Iterable[str]) -> dict[str, str]:
    """``KEY=VAL`` strings as a dict; later pairs win."""
    env: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not _ENV_NAME.fullmatch(key):
            raise RunnerError(f"The environment variable {pair!r} must be given as KEY=VALUE.")
        if key in RESERVED_ENV:
            raise RunnerError(f"The environment variable {key} is set by the analysis runner; use --config.")
        env[key] = value
    return env


def clean_cwd(value: str) -> str:
    """``--cwd``: a folder inside the repository, relative to its root."""
    cleaned = os.path.normpath(value.strip() or ".")
    if os.path.isabs(cleaned) or cleaned == ".." or cleaned.startswith(f"..{os.sep}"):
        raise RunnerError(
            f"The working folder {value!r} must be a folder inside the repository, relative to its root."
        )
    return cleaned


def check_code_options(spec: RunSpec) -> None:
    """The options that say which code runs must agree with each other and with the access level."""
    reviewed = spec.access_level != "test"
    if spec.skip_repo_checkout:
        given = [
            name
            for name, value in (
                ("--repository", spec.repository),
                ("--commit", spec.commit),
                ("--cwd", spec.cwd),
                ("--allow-uncommitted", spec.allow_uncommitted),
            )
            if value
        ]
        if given:
            raise RunnerError(
                f"--skip-repo-checkout runs without a repository, so {' and '.join(given)} cannot be given "
                "with it."
            )
        if reviewed:
            raise RunnerError(
                f"--skip-repo-checkout is for test access only: {spec.access_level} access runs reviewed "
                "code from a repository."
            )
    if spec.allow_uncommitted:
        if reviewed:
            raise RunnerError(
                f"--allow-uncommitted is for test access only: {spec.access_level} access runs committed "
                "code from the default branch."
            )
        if spec.commit is not None or spec.repository is not None:
            raise RunnerError(
                "--allow-uncommitted runs the changes in your working tree, so it cannot be given with "
                "--commit or --repository."
            )


def make_spec(
    *,
    dataset: str,
    access_level: str,
    output_dir: str,
    description: str = "",
    image: str | None = None,
    cpu: str | None = None,
    memory: str | None = None,
    storage: str | None = None,
    preemptible: bool = True,
    env: Iterable[str] = (),
    config_files: Iterable[Path] = (),
    command: Iterable[str] = (),
    repository: str | None = None,
    commit: str | None = None,
    cwd: str | None = None,
    allow_uncommitted: bool = False,
    skip_repo_checkout: bool = False,
) -> RunSpec:
    """A checked `RunSpec` from the command line's values."""
    if not dataset.strip():
        raise RunnerError("The dataset must not be empty.")
    if access_level not in ACCESS_LEVELS:
        raise RunnerError(
            f"The access level must be one of {', '.join(ACCESS_LEVELS)}, not {access_level!r}."
        )
    for path in config_files:
        if not path.is_file():
            raise RunnerError(f"The config file {str(path)!r} does not exist.")
    if commit is not None and (not commit.strip() or commit.startswith("-")):
        raise RunnerError(f"The commit {commit!r} must be a commit sha, branch or tag.")
    if repository is not None and not repository.strip():
        raise RunnerError("The repository must not be empty (a local path or a git URL).")
    spec = RunSpec(
        dataset=dataset.strip(),
        access_level=access_level,
        output_dir=clean_output_dir(output_dir),
        description=description.strip(),
        image=image,
        cpu=cpu,
        memory=memory,
        storage=storage,
        preemptible=preemptible,
        env=parse_env(env),
        config_files=tuple(config_files),
        command=tuple(command),
        repository=repository.strip() if repository is not None else None,
        commit=commit.strip() if commit is not None else None,
        cwd=clean_cwd(cwd) if cwd is not None else None,
        allow_uncommitted=allow_uncommitted,
        skip_repo_checkout=skip_repo_checkout,
    )
    check_code_options(spec)
    return spec
