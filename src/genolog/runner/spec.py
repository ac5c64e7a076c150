"""What the caller asked for: the dataset, access level, output folder, driver settings and the script."""

from __future__ import annotations

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
    return RunSpec(
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
    )
