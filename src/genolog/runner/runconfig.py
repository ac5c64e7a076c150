"""The run's config, merged as CPG's analysis runner does (lowest precedence first):

1. the baseline: ``[workflow]`` (dataset, access_level, output_prefix, driver_image, ar-guid,
   status_reporter), ``[hail]`` (the local backend) and ``[metadata]`` (the caller's server);
2. the templates: ``[storage]`` for the dataset in its namespace (``test``, or ``main`` with a ``.test``
   table), local folders by default as `genolog.paths.local_storage_config` names them; ``[images]``;
   ``[references]``;
3. the user's ``--config`` files, folded left to right: they win over everything.

It is written to ``<dataset tmp storage>/analysis-runner/<ar-guid>.toml``; the driver's log goes next to it.
"""

from __future__ import annotations

import os
import string
import uuid
from collections.abc import Mapping
from typing import Any

from genolog.config import (
    ConfigError,
    built_images,
    default_data_dir,
    read_configs,
    update_dict,
    write_config,
)
from genolog.paths import local_storage_config
from genolog.runner.errors import RunnerError
from genolog.runner.spec import RunSpec

RUNNER_FOLDER = "analysis-runner"


def new_ar_guid() -> str:
    """A uuid4 whose first character is a letter (as CPG forces it), so it never reads as a number."""
    guid = str(uuid.uuid4())
    if guid[0] in string.digits:
        guid = "abcdef"[int(guid[0]) % 6] + guid[1:]
    return guid


def baseline(spec: RunSpec, ar_guid: str, server_url: str | None) -> dict[str, Any]:
    config: dict[str, Any] = {
        "workflow": {
            "dataset": spec.dataset,
            "access_level": spec.access_level,
            "dataset_gcp_project": spec.dataset,
            "output_prefix": spec.output_dir,
            "driver_image": spec.driver_image,
            "ar-guid": ar_guid,
            "status_reporter": "metamist",
        },
        "hail": {"billing_project": spec.dataset, "backend": "local", "query_backend": "local"},
    }
    if server_url:
        # the token travels in the driver's environment (GENOLOG_TOKEN), never in a stored file
        config["metadata"] = {"url": server_url}
    return config


def images(spec: RunSpec) -> dict[str, Any]:
    """genolog's images (``genolog.config.DEFAULT_IMAGES``, or as built here) and the driver."""
    return {**built_images(), "driver": spec.driver_image}


def templates(spec: RunSpec, server_url: str | None = None) -> dict[str, Any]:
    """Storage (web URLs on the caller's server), images and references."""
    storage = local_storage_config(
        default_data_dir(), [spec.dataset], access_level=spec.access_level, server_url=server_url
    )
    return {
        "storage": storage,
        "images": images(spec),
        "references": {"genome_build": "GRCh38"},
    }


def user_config(spec: RunSpec) -> dict[str, Any]:
    try:
        return dict(read_configs(spec.config_files))
    except ConfigError as e:
        raise RunnerError(str(e).rstrip(".") + ".") from None


def build(spec: RunSpec, ar_guid: str, server_url: str | None = None) -> dict[str, Any]:
    """The merged config of a run; the user's files win over the baseline and the templates."""
    merged = baseline(spec, ar_guid, server_url)
    update_dict(merged, templates(spec, server_url))
    update_dict(merged, user_config(spec))
    return merged


def storage_prefix(config: Mapping[str, Any], dataset: str, category: str = "default") -> str:
    """The dataset's storage of this category in this config (``[storage.<dataset>]``, else ``default``)."""
    storage = config.get("storage") or {}
    section = storage.get(dataset) or storage.get("default") or {}
    prefix = section.get(category) if isinstance(section, Mapping) else None
    if not prefix:
        raise RunnerError(
            f"The config has no {category} storage for dataset {dataset!r} ([storage.{dataset}] {category})."
        )
    return str(prefix)


def tmp_prefix(config: Mapping[str, Any], dataset: str) -> str:
    """The dataset's tmp storage, where the run's config and log are kept."""
    return storage_prefix(config, dataset, "tmp")


def run_files(config: Mapping[str, Any], dataset: str, ar_guid: str) -> tuple[str, str]:
    """Where the run's config and driver log are stored."""
    folder = os.path.join(tmp_prefix(config, dataset), RUNNER_FOLDER)
    return os.path.join(folder, f"{ar_guid}.toml"), os.path.join(folder, f"{ar_guid}.log")


def write(config: Mapping[str, Any], path: str) -> str:
    """Write the config as TOML; returns the path (absolute for local storage)."""
    try:
        return write_config(config, path)
    except OSError as e:
        raise RunnerError(f"Cannot write the run's config to {path} ({e}).") from None
