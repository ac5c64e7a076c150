"""Layered TOML configuration, compatible with `cpg_utils.config`.

Config files come from a comma-separated list in ``GENOLOG_CONFIG_PATH`` (or, for existing scripts,
``CPG_CONFIG_PATH``). Files are folded left to right: later files win, tables merge, anything else
(lists included) replaces. When no file is configured at all, genolog falls back to a built-in
default that maps the ``sandbox`` dataset to local folders, so a script runs on a laptop unchanged.

As `cpg_utils.config` does, this module also offers the path helpers (`dataset_path`, `output_path`,
`web_url`, `image_path`, `reference_path`, `cpg_test_dataset_path`) and `to_path` and `Path`: they are
`genolog.paths`' own objects, looked up there on first use (`genolog.paths` imports this module).
"""

from __future__ import annotations

import logging
import os
import pathlib
import threading
import tomllib
from collections.abc import Iterable, Mapping
from shlex import quote
from typing import TYPE_CHECKING, Any, NoReturn

from genolog._frozen import FrozenDict

if TYPE_CHECKING:
    from genolog.paths import (
        Path,
        cpg_test_dataset_path,
        dataset_path,
        image_path,
        output_path,
        reference_path,
        to_path,
        web_url,
    )

__all__ = [
    "AR_GUID_NAME",
    "CONFIG_PATH_ENV_VARS",
    "DEFAULT_IMAGES",
    "DEFAULT_SERVER_URL",
    "FASTQE_IMAGE",
    "ConfigError",
    "FrozenDict",
    "Path",
    "append_config_paths",
    "config_json",
    "config_retrieve",
    "cpg_test_dataset_path",
    "dataset_for_access_level",
    "dataset_path",
    "default_config",
    "default_data_dir",
    "genome_build",
    "get_access_level",
    "get_config",
    "get_config_paths",
    "get_cpg_namespace",
    "get_driver_image",
    "get_gcloud_set_project",
    "get_gcp_project",
    "image_path",
    "output_path",
    "prepend_config_paths",
    "read_configs",
    "reference_path",
    "set_config_paths",
    "to_path",
    "try_get_ar_guid",
    "update_dict",
    "web_url",
]

#: The names `cpg_utils.config` offers that live in `genolog.paths` (see `__getattr__`).
_FROM_PATHS = frozenset(
    {
        "Path",
        "cpg_test_dataset_path",
        "dataset_path",
        "image_path",
        "output_path",
        "reference_path",
        "to_path",
        "web_url",
    }
)

#: Read in this order; the first one that is set wins. `set_config_paths` rewrites both, so child
#: processes (and jobs, via `copy_common_env`) see the same list whichever name they read.
CONFIG_PATH_ENV_VARS = ("GENOLOG_CONFIG_PATH", "CPG_CONFIG_PATH")
ACCESS_LEVELS = ("test", "standard", "full")
#: The ``[workflow]`` key of the analysis-runner guid.
AR_GUID_NAME = "ar-guid"
#: The metadata server when neither ``GENOLOG_URL`` nor ``[metadata] url`` says otherwise.
DEFAULT_SERVER_URL = "http://127.0.0.1:8000"
#: genolog's FastQE image. Without a container runtime the local backend runs jobs using it on the
#: host, with a ``fastqe`` command on their PATH that runs genolog's QC (``genolog-fastqe``).
FASTQE_IMAGE = "localhost/genolog/fastqe:0.5.2"
#: The ``[images]`` table of the local default config (and of analysis-runner's baseline).
DEFAULT_IMAGES: Mapping[str, str] = {"fastqe": FASTQE_IMAGE}

_log = logging.getLogger(__name__)


class ConfigError(Exception):
    """The configuration is missing, unreadable, or lacks a required key."""


class _Unsupplied:
    def __repr__(self) -> str:
        return "<unsupplied>"


_UNSUPPLIED: Any = _Unsupplied()

_config_paths: list[str] = []
_config: FrozenDict | None = None
_config_source: str = ""


def _paths_from_env() -> list[str]:
    for var in CONFIG_PATH_ENV_VARS:
        value = os.environ.get(var, "")
        paths = [p.strip() for p in value.split(",") if p.strip()]
        if paths:
            return paths
    return []


def get_config_paths() -> list[str]:
    """The configured TOML paths, lowest precedence first; re-reads the environment while empty."""
    global _config_paths
    if not _config_paths:
        _config_paths = _paths_from_env()
    if not _config_paths:
        raise ConfigError(
            "Either set the GENOLOG_CONFIG_PATH (or CPG_CONFIG_PATH) environment variable "
            "or call set_config_paths"
        )
    return list(_config_paths)


_reading = threading.local()


def reading_config_file() -> bool:
    """True while this thread reads a config file: a storage client made for it (a config file in a
    bucket) must not look up the config that is being read."""
    return bool(getattr(_reading, "active", False))


def _read_toml(path: str) -> dict[str, Any]:
    from genolog.paths import to_path  # paths imports config: import lazily

    if not path.endswith(".toml"):
        raise ConfigError(f"Config file {path!r} does not end in .toml")
    outer = reading_config_file()
    _reading.active = True
    try:
        text = to_path(path).read_text()
    except FileNotFoundError:
        raise ConfigError(f"Config file {path!r} does not exist") from None
    except OSError as e:
        raise ConfigError(f"Config file {path!r} cannot be read: {e}") from None
    except Exception as e:  # a cloud client's error (credentials, endpoint): a message, not a traceback
        from genolog.paths import storage_problem

        raise ConfigError(f"Config file {path!r} cannot be read: {storage_problem(e).message}") from None
    finally:
        _reading.active = outer
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"Config file {path!r} is not valid TOML: {e}") from None


def set_config_paths(config_paths: Iterable[str | os.PathLike[str]]) -> None:
    """Use these TOML files (lowest precedence first). Checks each one exists and parses."""
    global _config_paths, _config
    paths = [os.fspath(p) for p in config_paths]
    if paths == _config_paths:
        return
    for path in paths:
        _read_toml(path)
    _config_paths = paths
    for var in CONFIG_PATH_ENV_VARS:
        os.environ[var] = ",".join(paths)
    _config = None


def _current_paths() -> list[str]:
    try:
        return get_config_paths()
    except ConfigError:
        return []


def prepend_config_paths(config_paths: Iterable[str | os.PathLike[str]]) -> None:
    """Add files at the lowest precedence."""
    set_config_paths([*(os.fspath(p) for p in config_paths), *_current_paths()])


def append_config_paths(config_paths: Iterable[str | os.PathLike[str]]) -> None:
    """Add files at the highest precedence."""
    set_config_paths([*_current_paths(), *(os.fspath(p) for p in config_paths)])


def update_dict(d1: dict[str, Any], d2: Mapping[str, Any]) -> dict[str, Any]:
    """Merge `d2` into `d1` in place and return `d1`: tables merge, anything else replaces."""
    for key, value in d2.items():
        if isinstance(value, Mapping) and isinstance(d1.get(key), Mapping):
            d1[key] = update_dict(dict(d1[key]), value)
        else:
            d1[key] = value
    return d1


def read_configs(config_paths: Iterable[str | os.PathLike[str]]) -> FrozenDict:
    """Fold these files left to right (later wins) without touching the global state."""
    merged: dict[str, Any] = {}
    for path in config_paths:
        update_dict(merged, _read_toml(os.fspath(path)))
    return FrozenDict(merged)


def default_data_dir() -> pathlib.Path:
    """Where genolog keeps local data (the embedded database, local buckets) unless told otherwise:
    ``GENOLOG_DATA_DIR``, else ``$XDG_DATA_HOME/genolog``, else ``~/.local/share/genolog``."""
    if os.environ.get("GENOLOG_DATA_DIR"):
        return pathlib.Path(os.environ["GENOLOG_DATA_DIR"])
    return (
        pathlib.Path(os.environ.get("XDG_DATA_HOME") or pathlib.Path.home() / ".local" / "share") / "genolog"
    )


def images_record_file(data_dir: pathlib.Path | None = None) -> pathlib.Path:
    """Where `genolog images build` records the images it built (``[images]`` and ``[images_built]``)."""
    return (data_dir or default_data_dir()) / "images.toml"


def built_images(data_dir: pathlib.Path | None = None) -> dict[str, str]:
    """genolog's images with the ones built on this machine over them: the ``[images]`` that genolog's
    default config and the analysis runner's configs give `image_path`."""
    path = images_record_file(data_dir)
    recorded: dict[str, str] = {}
    if path.is_file():
        try:
            recorded = dict(tomllib.loads(path.read_text()).get("images", {}))
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise ConfigError(f"{path} (written by `genolog images build`) cannot be read: {e}") from None
    return {**DEFAULT_IMAGES, **recorded}


def default_config() -> dict[str, Any]:
    """The config used when no file is configured: the `sandbox` dataset in local folders.

    The folders live under ``GENOLOG_DATA_DIR`` (default ``$XDG_DATA_HOME/genolog`` or
    ``~/.local/share/genolog``); nothing names a cloud bucket.
    """
    from genolog.paths import local_storage_config

    return {
        "workflow": {"dataset": "sandbox", "access_level": "test"},
        "storage": local_storage_config(default_data_dir(), ["sandbox"], access_level="test"),
        "images": built_images(),
        "hail": {"backend": "local"},
        "references": {"genome_build": "GRCh38"},
    }


def get_config(print_config: bool = False) -> FrozenDict:
    """The merged config of all configured files, cached until the paths change."""
    global _config, _config_source
    if _config is None:
        paths = _current_paths()
        if paths:
            _config = read_configs(paths)
            _config_source = ", ".join(paths)
            if not _config:
                raise ConfigError(f"No config found: the files {_config_source} are empty")
        else:
            _log.info("No GENOLOG_CONFIG_PATH or CPG_CONFIG_PATH set: using genolog's local default config")
            _config = FrozenDict(default_config())
            _config_source = "genolog's built-in default (no GENOLOG_CONFIG_PATH or CPG_CONFIG_PATH set)"
    if print_config:
        import pprint

        print(f"Config from {_config_source}:")
        pprint.pprint(dict(_config))
    return _config


def to_toml(config: Mapping[str, Any]) -> str:
    """The config as TOML text; ``None`` has no TOML form and is left out (a missing key reads the same
    through `config_retrieve` defaults)."""
    import tomli_w

    def without_none(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: without_none(v) for k, v in value.items() if v is not None}
        if isinstance(value, list | tuple):
            return [without_none(v) for v in value if v is not None]
        return value

    return str(tomli_w.dumps(without_none(config)))


def write_config(config: Mapping[str, Any], path: str) -> str:
    """Write the config as TOML to a local path or a gs:// or s3:// URL, making its folder; returns the
    path (absolute for local storage). Raises `OSError` when it cannot."""
    from genolog.paths import to_path

    target = to_path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(to_toml(config))
    return str(target)


def config_json() -> str:
    """The merged config as indented JSON, preceded by a comment line naming its source."""
    import json

    merged = get_config()
    return f"// {_config_source}\n" + json.dumps(merged, indent=2, default=str)


def _missing(key: str, section: Mapping[str, Any], trail: list[str]) -> NoReturn:
    where = f" (path: {' -> '.join(trail)})" if len(trail) > 1 else ""
    raise ConfigError(
        f'Key "{key}" not found in {dict(section)}{where}; config: {_config_source or "given mapping"}'
    )


def config_retrieve(
    key: str | list[str], default: Any = _UNSUPPLIED, config: Mapping[str, Any] | None = None
) -> Any:
    """Look up `key` (one top-level key, or a list of nested keys) in the config.

    With no `default`, a missing key raises `ConfigError` naming the key, its path and the config
    files. With any default (`None` included) the default is returned instead, also when no config
    can be loaded at all.
    """
    keys = [key] if isinstance(key, str) else list(key)
    if not keys:
        raise ValueError("config_retrieve: key must not be empty")
    if config is None:
        try:
            config = get_config()
        except ConfigError:
            if default is not _UNSUPPLIED:
                return default
            raise
    value: Any = config
    for k in keys:
        if not isinstance(value, Mapping) or k not in value:
            if default is not _UNSUPPLIED:
                return default
            _missing(k, value if isinstance(value, Mapping) else {}, keys)
        value = value[k]
    return value


def get_driver_image() -> str:
    return str(config_retrieve(["workflow", "driver_image"]))


def get_access_level() -> str:
    level = str(config_retrieve(["workflow", "access_level"]))
    if level not in ACCESS_LEVELS:
        raise ConfigError(f"workflow.access_level is {level!r}; expected one of {', '.join(ACCESS_LEVELS)}")
    return level


def get_gcp_project() -> str:
    return str(config_retrieve(["workflow", "dataset_gcp_project"]))


def get_cpg_namespace(access_level: str | None = None) -> str:
    """`test` for the test access level, `main` for standard and full."""
    level = access_level if access_level is not None else get_access_level()
    return "test" if level == "test" else "main"


def get_gcloud_set_project(gcp_project: str | None = None) -> str:
    """The shell command that sets gcloud's project: `gcp_project`, else ``workflow.dataset_gcp_project``."""
    return " ".join(
        quote(word) for word in ("gcloud", "config", "set", "project", gcp_project or get_gcp_project())
    )


def try_get_ar_guid() -> str | None:
    value = config_retrieve(["workflow", AR_GUID_NAME], default=None)
    return None if value is None else str(value)


def dataset_for_access_level(dataset_name: str) -> str:
    """Append `-test` at the test access level, never twice."""
    if get_access_level() == "test" and not dataset_name.endswith("-test"):
        return f"{dataset_name}-test"
    return dataset_name


def genome_build() -> str:
    return str(config_retrieve(["references", "genome_build"], default="GRCh38"))


def __getattr__(name: str) -> Any:
    """The path helpers of `genolog.paths`, offered here as `cpg_utils.config` offers them; looked up on
    first use because `genolog.paths` imports this module."""
    if name in _FROM_PATHS:
        import genolog.paths

        return getattr(genolog.paths, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _reset_for_tests() -> None:
    """Forget the cached config and paths (the next call re-reads the environment)."""
    global _config_paths, _config, _config_source
    _config_paths, _config, _config_source = [], None, ""


_config_paths = _paths_from_env()
