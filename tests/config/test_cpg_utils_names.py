"""The names cpg_utils offers where it offers them: the path helpers also in genolog.config (as in
cpg_utils.config), and the path type `Path` (cpg_utils.Path) beside `to_path`."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
from collections.abc import Callable

import pytest
from cloudpathlib import CloudPath

import genolog.config
import genolog.paths
from genolog.config import ConfigError, get_gcloud_set_project, set_config_paths

Toml = Callable[[str, str], str]

PATH_HELPERS = (
    "dataset_path",
    "cpg_test_dataset_path",
    "output_path",
    "web_url",
    "image_path",
    "reference_path",
    "to_path",
    "Path",
)


@pytest.mark.parametrize("name", PATH_HELPERS)
def test_config_offers_the_path_helpers_of_paths(name: str) -> None:
    assert getattr(genolog.config, name) is getattr(genolog.paths, name)
    assert name in genolog.config.__all__ and name in genolog.paths.__all__


def test_star_import_and_unknown_names() -> None:
    names: dict[str, object] = {}
    exec("from genolog.config import *", names)
    assert names["output_path"] is genolog.paths.output_path and names["Path"] is genolog.paths.Path
    with pytest.raises(AttributeError, match="has no attribute 'no_such_helper'"):
        _ = genolog.config.no_such_helper
    with pytest.raises(ImportError):
        exec("from genolog.config import no_such_helper", {})


def test_the_reexports_read_the_config(toml_file: Toml) -> None:
    from genolog.config import output_path, reference_path, web_url

    set_config_paths(
        [
            toml_file(
                "c.toml",
                '[workflow]\noutput_prefix = "pca/v1"\n'
                '[storage.default]\ndefault = "gs://cpg-x-test"\nweb_url = "https://web.example/x"\n'
                '[references.broad]\nref_fasta = "gs://ref/hg38.fasta"\n',
            )
        ]
    )
    assert output_path("scores.ht") == "gs://cpg-x-test/pca/v1/scores.ht"
    assert web_url("report.html") == "https://web.example/x/report.html"
    assert reference_path("broad/ref_fasta") == "gs://ref/hg38.fasta"


@pytest.mark.usefixtures("fake_buckets")
def test_path_is_the_type_of_what_to_path_returns() -> None:
    from genolog.paths import Path, to_path

    assert Path == CloudPath | pathlib.Path
    cloud, local = to_path("gs://bucket/a.txt"), to_path("/data/a.txt")
    assert isinstance(cloud, Path) and isinstance(cloud, CloudPath)
    assert isinstance(local, Path) and isinstance(local, pathlib.Path)
    assert not isinstance("gs://bucket/a.txt", Path)


@pytest.mark.usefixtures("fake_buckets")
def test_to_path_keeps_a_cloud_path_as_it_is() -> None:
    """Not its os.fspath(), which would download the object and name the local copy."""
    from genolog.paths import to_path

    cloud = to_path("gs://bucket/kept.txt")
    cloud.write_text("in the bucket")
    again = to_path(cloud)
    assert again is cloud and str(again) == "gs://bucket/kept.txt"


def test_importing_config_and_paths_does_not_import_cloudpathlib() -> None:
    """cloudpathlib takes about a second to import: only scripts that use `Path` or a bucket pay it."""
    code = (
        "import sys, json, genolog.config, genolog.paths, genolog.existence_checks\n"
        "before = 'cloudpathlib' in sys.modules\n"
        "from genolog.paths import Path\n"
        "print(json.dumps([before, 'cloudpathlib' in sys.modules, str(Path)]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == [False, True, "cloudpathlib.cloudpath.CloudPath | pathlib.Path"]


def test_get_gcloud_set_project(toml_file: Toml) -> None:
    assert get_gcloud_set_project("my-project") == "gcloud config set project my-project"
    assert get_gcloud_set_project("odd name;") == "gcloud config set project 'odd name;'"
    with pytest.raises(ConfigError, match="dataset_gcp_project"):
        get_gcloud_set_project()
    set_config_paths([toml_file("p.toml", '[workflow]\ndataset_gcp_project = "cpg-x"\n')])
    assert get_gcloud_set_project() == "gcloud config set project cpg-x"


def test_the_package_offers_path_and_to_path_as_cpg_utils_does() -> None:
    import genolog
    from genolog import Path, to_path

    assert Path is genolog.paths.Path and to_path is genolog.paths.to_path
    assert genolog.__version__
