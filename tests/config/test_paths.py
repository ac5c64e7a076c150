from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from genolog.config import ConfigError, set_config_paths
from genolog.paths import (
    cpg_test_dataset_path,
    dataset_path,
    genome_build,
    image_path,
    local_storage_config,
    output_path,
    reference_path,
    to_path,
    web_url,
)

Toml = Callable[[str, str], str]


def _storage(ds: str, ns: str) -> str:
    base = f"gs://cpg-{ds}-{ns}"
    return (
        f'default = "{base}"\ntmp = "{base}-tmp"\nweb = "{base}-web"\nanalysis = "{base}-analysis"\n'
        f'web_url = "https://{ns}-web.populationgenomics.org.au/{ds}"\n'
    )


@pytest.fixture
def fewgenomes(toml_file: Toml) -> Callable[[str], None]:
    """The reference's worked example: --dataset fewgenomes --output-dir 1kg_pca/v42 at an access level."""

    def configure(level: str) -> None:
        ns = "test" if level == "test" else "main"
        text = (
            f'[workflow]\ndataset = "fewgenomes"\naccess_level = "{level}"\noutput_prefix = "1kg_pca/v42"\n'
            f"[storage.default]\n{_storage('fewgenomes', ns)}"
            f"[storage.default.test]\n{_storage('fewgenomes', 'test')}"
            f"[storage.other]\n{_storage('other', ns)}"
            '[images]\nfastqe = "registry.example/fastqe:0.3.1"\n[images.nested]\ntool = "reg/tool:2"\n'
            '[references]\ngenome_build = "GRCh37"\n[references.broad]\nref_fasta = "gs://ref/hg38.fasta"\n'
        )
        set_config_paths([toml_file(f"{level}.toml", text)])

    return configure


def test_reference_worked_examples_at_test_level(fewgenomes: Callable[[str], None]) -> None:
    fewgenomes("test")
    assert output_path("loadings.ht") == "gs://cpg-fewgenomes-test/1kg_pca/v42/loadings.ht"
    assert output_path("x", "tmp") == "gs://cpg-fewgenomes-test-tmp/1kg_pca/v42/x"
    assert output_path("x", "web") == "gs://cpg-fewgenomes-test-web/1kg_pca/v42/x"
    assert output_path("x", "analysis") == "gs://cpg-fewgenomes-test-analysis/1kg_pca/v42/x"
    assert (
        output_path("r.html", "web_url")
        == "https://test-web.populationgenomics.org.au/fewgenomes/1kg_pca/v42/r.html"
    )
    assert dataset_path("a/b.mt") == "gs://cpg-fewgenomes-test/a/b.mt"
    assert dataset_path("/abs") == "/abs"
    assert web_url("r.html") == "https://test-web.populationgenomics.org.au/fewgenomes/r.html"


def test_standard_level_uses_main_and_test_flag_reads_test_table(fewgenomes: Callable[[str], None]) -> None:
    fewgenomes("standard")
    assert output_path("loadings.ht") == "gs://cpg-fewgenomes-main/1kg_pca/v42/loadings.ht"
    assert dataset_path("a", test=True) == "gs://cpg-fewgenomes-test/a"
    assert cpg_test_dataset_path("a", "tmp") == "gs://cpg-fewgenomes-test-tmp/a"


def test_dataset_argument_picks_its_table_which_must_exist(fewgenomes: Callable[[str], None]) -> None:
    fewgenomes("test")
    assert dataset_path("x", dataset="other") == "gs://cpg-other-test/x"
    with pytest.raises(ConfigError, match=r'dataset "unknown" not found.*\[storage.unknown\]'):
        dataset_path("x", dataset="unknown")


def test_missing_category_and_missing_prefix_are_clear_errors(
    fewgenomes: Callable[[str], None], toml_file: Toml
) -> None:
    fewgenomes("test")
    with pytest.raises(ConfigError, match='Category "upload" not found in storage section'):
        dataset_path("x", "upload")
    set_config_paths([toml_file("np.toml", '[storage.default]\ndefault = "/data"\n')])
    with pytest.raises(ConfigError, match=r"not found.*\(path: workflow -> output_prefix\)"):
        output_path("x")
    set_config_paths([toml_file("nostore.toml", '[workflow]\nname = "x"\n')])
    with pytest.raises(ConfigError, match='Key "storage" not found'):
        dataset_path("x")


def test_image_and_reference_lookups(fewgenomes: Callable[[str], None]) -> None:
    fewgenomes("test")
    assert image_path("fastqe") == "registry.example/fastqe:0.3.1"
    assert image_path("nested/tool") == "reg/tool:2"
    assert image_path("fastqe", "0.5.2") == "registry.example/fastqe:0.5.2"
    assert reference_path("broad/ref_fasta") == "gs://ref/hg38.fasta"
    assert genome_build() == "GRCh37"
    with pytest.raises(ConfigError, match='Key "nothere" not found'):
        image_path("nothere")


def test_genome_build_defaults_to_grch38(toml_file: Toml) -> None:
    set_config_paths([toml_file("x.toml", "a = 1\n")])
    assert genome_build() == "GRCh38"


def test_local_storage_config_round_trip(tmp_path: Path, toml_file: Toml) -> None:
    storage = local_storage_config(tmp_path / "data", ["mine"], access_level="standard")
    assert storage["mine"]["default"] == str(tmp_path / "data" / "mine-main")
    assert storage["mine"]["test"]["tmp"] == str(tmp_path / "data" / "mine-test-tmp")
    assert storage["default"] == storage["mine"]
    lines = ['[workflow]\naccess_level = "standard"\noutput_prefix = "run1"\n[storage.mine]']
    lines += [f'{k} = "{v}"' for k, v in storage["mine"].items() if k != "test"]
    set_config_paths([toml_file("local.toml", "\n".join(lines) + "\n")])
    out = output_path("r.txt", dataset="mine")
    assert out == str(tmp_path / "data" / "mine-main" / "run1" / "r.txt")
    to_path(out).parent.mkdir(parents=True)
    to_path(out).write_text("ok")
    assert (tmp_path / "data" / "mine-main" / "run1" / "r.txt").read_text() == "ok"


def test_default_config_paths_are_local_and_writable(tmp_path: Path) -> None:
    target = to_path(dataset_path("hello.txt", "web"))
    assert isinstance(target, Path)
    assert str(target).startswith(str(tmp_path / "data" / "sandbox-test-web"))
    # the web category is published by `genolog serve` (data dir = GENOLOG_DATA_DIR) at the test project
    assert web_url("hello.txt") == "http://127.0.0.1:8000/web/sandbox-test/hello.txt"


def test_to_path_types() -> None:
    from cloudpathlib import GSPath, S3Path

    gs = to_path("gs://bucket/dir with space/a.txt")
    s3 = to_path("s3://bucket/x/a.txt")
    assert isinstance(gs, GSPath) and gs.name == "a.txt"
    assert isinstance(s3, S3Path) and str(s3) == "s3://bucket/x/a.txt"
    assert to_path("file:///tmp/x") == Path("/tmp/x")
    assert to_path("~/x") == Path.home() / "x"
