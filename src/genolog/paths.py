"""Dataset and output paths from the config, compatible with the path helpers of `cpg_utils.config`.

Storage locations come only from the ``[storage]`` config section: local folders, ``gs://`` or
``s3://`` URLs. `to_path` turns any of them into a path object (`pathlib.Path` or a cloudpathlib
path), so code can read and write them the same way.

``s3://`` paths use one S3 client, made by `s3_client`: credentials, region and profile as boto3
finds them (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``, ``~/.aws/``, instance
roles), never from genolog's code or config; the endpoint of an S3-compatible store (MinIO, Ceph)
from ``[storage.s3] endpoint_url``, else ``AWS_ENDPOINT_URL_S3``, else ``AWS_ENDPOINT_URL``.
"""

from __future__ import annotations

import functools
import os
import pathlib
import shutil
import sys
import tempfile
import weakref
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, TypeAlias, TypeGuard

from genolog.config import (
    DEFAULT_SERVER_URL,
    ConfigError,
    config_retrieve,
    genome_build,
    get_access_level,
    get_cpg_namespace,
    reading_config_file,
)

if TYPE_CHECKING:
    from cloudpathlib import CloudPath
    from cloudpathlib.s3 import S3Client

    #: What `to_path` returns: a cloudpathlib path for gs:// and s3://, else a `pathlib.Path`; for type
    #: hints, as `cpg_utils.Path`. Made on first use (``genolog.paths.Path``): importing cloudpathlib
    #: takes over a second, which a script that never touches a bucket should not pay.
    Path: TypeAlias = CloudPath | pathlib.Path

__all__ = [
    "CLOUD_SCHEMES",
    "STORAGE_CATEGORIES",
    "Path",
    "StorageProblem",
    "cpg_test_dataset_path",
    "dataset_path",
    "genome_build",
    "image_path",
    "is_cloud_path",
    "local_storage_config",
    "local_web_folder",
    "local_web_url",
    "output_path",
    "reference_path",
    "s3_client",
    "s3_endpoint_url",
    "storage_problem",
    "to_path",
    "web_url",
]

CLOUD_SCHEMES = ("gs://", "s3://")
#: The keys of a `[storage.<dataset>]` table.
STORAGE_CATEGORIES = ("default", "tmp", "web", "analysis", "upload", "web_url")


def is_cloud_path(path: str | os.PathLike[str]) -> bool:
    return str(path).startswith(CLOUD_SCHEMES)


#: The config key of the S3 endpoint (an S3-compatible store such as MinIO or Ceph).
S3_ENDPOINT_KEY = ["storage", "s3", "endpoint_url"]
#: The environment that boto3 reads when it makes a client (credentials, profile, region, retries, TLS):
#: a change makes a new client.
_AWS_ENVIRONMENT = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_MAX_ATTEMPTS",
    "AWS_RETRY_MODE",
    "AWS_CA_BUNDLE",
)


def s3_endpoint_url() -> str | None:
    """The S3 endpoint: ``[storage.s3] endpoint_url``, else ``AWS_ENDPOINT_URL_S3``, else
    ``AWS_ENDPOINT_URL``; None leaves it to boto3 (AWS itself, or a profile's ``endpoint_url``).

    While a config file is being read (a config file in a bucket), only the environment applies."""
    if not reading_config_file():
        configured = config_retrieve(S3_ENDPOINT_KEY, default=None)
        if configured:
            return str(configured)
    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None


def s3_client() -> S3Client:
    """The S3 client of ``s3://`` paths, made as the module docstring says and set as cloudpathlib's
    default; made again when the endpoint or the AWS environment changes."""
    settings = (s3_endpoint_url(), *(os.environ.get(var) for var in _AWS_ENVIRONMENT))
    client = _make_s3_client(settings)
    client.set_as_default_client()
    return client


@functools.lru_cache(maxsize=4)
def _make_s3_client(settings: tuple[str | None, ...]) -> S3Client:
    from cloudpathlib.enums import FileCacheMode
    from cloudpathlib.s3 import S3Client

    cache: dict[str, Any] = {}
    if not os.environ.get("CLOUDPATHLIB_LOCAL_CACHE_DIR"):
        # a folder of our own for downloads rather than cloudpathlib's TemporaryDirectory, which warns
        # (ResourceWarning) when a client replaced here is collected
        folder = tempfile.mkdtemp(prefix="genolog-s3-")
        cache = {
            "local_cache_dir": folder,
            "file_cache_mode": FileCacheMode.from_environment() or FileCacheMode.tmp_dir,
        }
    # boto3 reads the credentials itself; the endpoint is passed because cloudpathlib would otherwise
    # prefer AWS_ENDPOINT_URL to the S3-specific AWS_ENDPOINT_URL_S3
    client = S3Client(endpoint_url=settings[0], **cache)
    if cache:
        weakref.finalize(client, shutil.rmtree, cache["local_cache_dir"], ignore_errors=True)
    return client


#: S3 error codes that refuse the credentials themselves (and so every request alike)
_S3_CREDENTIAL_CODES = frozenset(
    {"InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "TokenRefreshRequired"}
)
_S3_CREDENTIALS_HINT = (
    "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE and ~/.aws/credentials)"
)
_S3_ENDPOINT_HINT = "check [storage.s3] endpoint_url, AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL"


class StorageProblem(NamedTuple):
    """A cloud storage client's error told in one line."""

    message: str
    #: the credentials or the endpoint are wrong: every other request would fail alike
    everywhere: bool


def storage_problem(error: BaseException) -> StorageProblem:
    """What a cloud client's error means for the user, with what to check (credentials, endpoint)."""
    from cloudpathlib.exceptions import CloudPathFileNotFoundError, CloudPathNotExistsError

    if isinstance(error, CloudPathNotExistsError | CloudPathFileNotFoundError):
        return StorageProblem("no such object", False)
    try:
        from botocore import exceptions as boto
    except ImportError:  # pragma: no cover - botocore comes with cloudpathlib[s3]
        return StorageProblem(f"{type(error).__name__}: {error}", False)
    if isinstance(error, boto.ClientError):
        details = error.response.get("Error", {})
        code = str(details.get("Code", ""))
        said = f"{code}: {details.get('Message') or error}"
        if code in _S3_CREDENTIAL_CODES:
            return StorageProblem(f"S3 refused the credentials ({said}); {_S3_CREDENTIALS_HINT}", True)
        if code in ("AccessDenied", "403", "AllAccessDisabled"):
            return StorageProblem(f"S3 denied access ({said}); {_S3_CREDENTIALS_HINT}", False)
        if code == "NoSuchBucket":
            bucket = f" {details['BucketName']}" if details.get("BucketName") else ""
            return StorageProblem(f"the bucket{bucket} does not exist (NoSuchBucket)", False)
        return StorageProblem(f"S3 error ({said})", False)
    if isinstance(error, boto.NoCredentialsError | boto.PartialCredentialsError | boto.ProfileNotFound):
        return StorageProblem(f"no usable S3 credentials ({error}); {_S3_CREDENTIALS_HINT}", True)
    if isinstance(error, boto.EndpointConnectionError | boto.ConnectTimeoutError):
        return StorageProblem(f"cannot reach S3 ({error}); {_S3_ENDPOINT_HINT}", True)
    return StorageProblem(f"{type(error).__name__}: {error}", False)


def to_path(path: str | os.PathLike[str] | Path) -> Path:
    """A `pathlib.Path` for a local path or ``file://`` URL, a cloudpathlib path for gs:// and s3://;
    a path object is returned as it is."""
    if isinstance(path, pathlib.Path) or _is_cloudpath(path):
        return path  # a CloudPath as is: its os.fspath() would download it
    text = os.fspath(path)
    if text.startswith("file://"):
        return pathlib.Path(text.removeprefix("file://"))
    if is_cloud_path(text):
        from cloudpathlib import AnyPath
        from cloudpathlib.exceptions import MissingDependenciesError

        try:
            if text.startswith("s3://"):
                s3_client()
            cloud: CloudPath = AnyPath(text)  # type: ignore[assignment]  # gs:// and s3:// make a CloudPath
            return cloud
        except MissingDependenciesError as e:
            raise ConfigError(
                f"{text!r} needs a cloud client library: pip install 'cloudpathlib[gs,s3]' ({e})"
            ) from None
    return pathlib.Path(text).expanduser()


def _is_cloudpath(path: object) -> TypeGuard[CloudPath]:
    """Whether `path` is a cloudpathlib path, without importing cloudpathlib (no object of it can exist
    before it is imported)."""
    module = sys.modules.get("cloudpathlib")
    return module is not None and isinstance(path, module.CloudPath)


def __getattr__(name: str) -> Any:
    """``Path``, the path type alias, made (and kept) on first use so that importing this module does not
    import cloudpathlib."""
    if name == "Path":
        from cloudpathlib import CloudPath

        alias = CloudPath | pathlib.Path
        globals()["Path"] = alias
        return alias
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _storage_section(dataset: str | None, test: bool) -> Mapping[str, Any]:
    storage = config_retrieve("storage")
    if not isinstance(storage, Mapping):
        raise ConfigError("The config's [storage] section is not a table")
    name = dataset if dataset is not None else "default"
    if name not in storage:
        raise ConfigError(
            f'Storage section for dataset "{name}" not found in config: there is no [storage.{name}] table '
            f"(tables: {', '.join(storage) or 'none'})"
        )
    section: Mapping[str, Any] = storage[name]
    if test and get_access_level() != "test":
        if "test" not in section:
            raise ConfigError(f"The config has no [storage.{name}.test] table for test=True")
        section = section["test"]
    return section


def dataset_path(
    suffix: str, category: str | None = None, dataset: str | None = None, test: bool = False
) -> str:
    """`suffix` under a dataset's storage location of this `category` (default: `default`).

    `dataset` names a `[storage.<dataset>]` table, which must exist; without it `[storage.default]`
    is used. As in cpg_utils, `workflow.dataset` is never read, and a suffix starting with `/`
    replaces the prefix.
    """
    category = category or "default"
    section = _storage_section(dataset, test)
    prefix = section.get(category)
    if not prefix:
        raise ConfigError(
            f'Category "{category}" not found in storage section for dataset "{dataset or "default"}" '
            f"(categories set: {', '.join(k for k in section if k != 'test' and section[k])})"
        )
    return os.path.join(str(prefix), suffix)


def cpg_test_dataset_path(suffix: str, category: str | None = None, dataset: str | None = None) -> str:
    return dataset_path(suffix, category, dataset, test=True)


def web_url(suffix: str = "", dataset: str | None = None, test: bool = False) -> str:
    return dataset_path(suffix, "web_url", dataset, test)


def output_path(
    suffix: str, category: str | None = None, dataset: str | None = None, test: bool = False
) -> str:
    """`dataset_path` under `workflow.output_prefix` (set by the analysis runner's `--output-dir`)."""
    prefix = config_retrieve(["workflow", "output_prefix"])
    return dataset_path(os.path.join(str(prefix), suffix), category, dataset, test)


def image_path(key: str, version: str | list[str] | None = None, repository: str | None = None) -> str:
    """The image URI configured under ``[images]`` for `key` (nested keys separated by `/`).

    With a `version` (a tag, or a list of config keys holding one), the tag replaces any tag of the
    configured image. Unlike cpg_utils, no registry is contacted, so a missing tag is not detected here.
    """
    if version is None:
        return str(config_retrieve(["images", *key.strip("/").split("/")]))
    tag = version if isinstance(version, str) else str(config_retrieve(version))
    section = f"images-{repository}" if repository else "images"
    base = config_retrieve([section, *key.strip("/").split("/")], default=None)
    if base is None:
        registry = config_retrieve([section, "registry"], default=None)
        if registry is None:
            raise ConfigError(
                f"No image {key!r} in [{section}] and no [{section}] registry to derive it from"
            )
        base = f"{str(registry).rstrip('/')}/{key.strip('/')}"
    base = str(base)
    name_part = base.rsplit("/", 1)[-1]
    if ":" in name_part:
        base = base[: base.rindex(":")]
    return f"{base}:{tag}"


def reference_path(key: str) -> str:
    """The value of ``references.<key>`` (nested keys separated by `/`), as a string."""
    return str(config_retrieve(["references", *key.strip("/").split("/")]))


#: Where `genolog serve` publishes local web storage: ``<server>/web/<project>/<path>``.
WEB_ROUTE = "/web"


def _project_namespace(project: str) -> tuple[str, str]:
    """``sandbox-test`` -> (``sandbox``, ``test``); ``sandbox`` -> (``sandbox``, ``main``)."""
    if project.endswith("-test"):
        return project.removesuffix("-test"), "test"
    return project, "main"


def local_web_folder(root: str | os.PathLike[str], project: str) -> pathlib.Path:
    """The local web folder of a metadata project: ``<root>/<dataset>-<test|main>-web``.

    The test project ``<dataset>-test`` holds the test namespace, the project ``<dataset>`` the main
    one, as `local_storage_config` lays them out (and as `genolog serve` looks them up)."""
    dataset, namespace = _project_namespace(project)
    return pathlib.Path(os.path.abspath(os.fspath(root))) / f"{dataset}-{namespace}-web"


def local_web_url(server_url: str, project: str) -> str:
    """Where `genolog serve` at `server_url` serves `local_web_folder(..., project)`."""
    return f"{server_url.rstrip('/')}{WEB_ROUTE}/{project}"


def local_storage_config(
    root: str | os.PathLike[str],
    datasets: Iterable[str],
    access_level: str = "test",
    server_url: str | None = None,
) -> dict[str, dict[str, Any]]:
    """A `[storage]` section mapping each dataset (and `default`, the first one) to local folders.

    Folders are named like the cloud buckets, ``<root>/<dataset>-<test|main>[-tmp|-web|...]``; in
    the main namespace each dataset also gets the `.test` table that `test=True` reads. `web_url`
    is where a metadata server whose data dir is `root` serves the web folder to the project's
    readers: ``<server_url>/web/<dataset>[-test]`` (`server_url` defaults to ``GENOLOG_URL``, else
    ``http://127.0.0.1:8000``).
    """
    root = os.path.abspath(os.fspath(root))
    server = server_url or os.environ.get("GENOLOG_URL") or DEFAULT_SERVER_URL

    def table(dataset: str, namespace: str) -> dict[str, Any]:
        base = os.path.join(root, f"{dataset}-{namespace}")
        project = dataset if namespace == "main" else f"{dataset}-test"
        return {
            "default": base,
            "tmp": f"{base}-tmp",
            "web": f"{base}-web",
            "analysis": f"{base}-analysis",
            "upload": f"{base}-upload",
            "web_url": local_web_url(server, project),
        }

    namespace = get_cpg_namespace(access_level)
    storage: dict[str, dict[str, Any]] = {}
    for dataset in datasets:
        section = table(dataset, namespace)
        if namespace == "main":
            section["test"] = table(dataset, "test")
        storage.setdefault("default", section)
        storage[dataset] = section
    return storage
