"""The run's config: the baseline, the templates, then the user's files (later files win), and its TOML."""

from __future__ import annotations

import datetime
import json
import tomllib
from pathlib import Path

import pytest

from genolog.config import to_toml
from genolog.runner import runconfig
from genolog.runner.spec import make_spec
from tests.runner.conftest import cli


def config_mode(*args: str) -> dict:  # type: ignore[type-arg]
    result = cli("analysis-runner", "config", "--dataset", "fewgenomes", "-o", "1kg_pca/v42/", *args)
    assert result.exit_code == 0, result.stderr
    return tomllib.loads(result.stdout)


def test_config_mode_prints_the_baseline_storage_and_templates(tmp_path: Path) -> None:
    config = config_mode()
    workflow = config["workflow"]
    assert workflow["dataset"] == "fewgenomes" and workflow["access_level"] == "test"
    assert workflow["output_prefix"] == "1kg_pca/v42"  # trailing slash stripped
    assert workflow["status_reporter"] == "metamist" and workflow["driver_image"]
    assert workflow["ar-guid"][0].isalpha() and len(workflow["ar-guid"]) == 36
    base = tmp_path / "data" / "fewgenomes-test"
    assert config["storage"]["fewgenomes"]["default"] == str(base)
    assert config["storage"]["default"]["tmp"] == f"{base}-tmp"
    assert config["hail"]["backend"] == "local"
    assert config["images"]["driver"] == workflow["driver_image"]
    assert config["references"]["genome_build"] == "GRCh38"
    assert config["metadata"]["url"].startswith("http")


def test_web_urls_point_at_the_callers_server_even_when_set_only_in_its_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GENOLOG_URL", raising=False)
    settings = tmp_path / "caller.toml"
    settings.write_text('[metadata]\nurl = "http://metadata.example:9000"\n')
    monkeypatch.setenv("GENOLOG_CONFIG_PATH", str(settings))
    config = config_mode()
    assert config["metadata"]["url"] == "http://metadata.example:9000"
    assert config["storage"]["fewgenomes"]["web_url"] == "http://metadata.example:9000/web/fewgenomes-test"


def test_standard_access_uses_the_main_namespace_with_a_test_table(tmp_path: Path) -> None:
    config = config_mode("--access-level", "standard", "--image", "my/driver:1")
    section = config["storage"]["fewgenomes"]
    assert section["default"] == str(tmp_path / "data" / "fewgenomes-main")
    assert section["test"]["default"] == str(tmp_path / "data" / "fewgenomes-test")
    assert config["workflow"]["driver_image"] == "my/driver:1"


def test_the_users_files_win_over_everything_and_later_files_over_earlier(tmp_path: Path) -> None:
    first = tmp_path / "first.toml"
    first.write_text(
        '[workflow]\nname = "pca"\noutput_prefix = "from-first"\n'
        '[storage.fewgenomes]\nweb_url = "https://web.example/fewgenomes"\n'
        '[hail]\nbackend = "batch"\n[images]\nfastqe = "fastqe:1"\n'
    )
    second = tmp_path / "second.toml"
    second.write_text('[workflow]\noutput_prefix = "from-second"\n[images]\nfastqe = "fastqe:2"\n')
    config = config_mode("--config", str(first), "--config", str(second))
    assert config["workflow"]["output_prefix"] == "from-second"  # later file wins, over the baseline too
    assert config["workflow"]["name"] == "pca" and config["workflow"]["dataset"] == "fewgenomes"
    assert config["images"]["fastqe"] == "fastqe:2"
    assert config["images"]["driver"] == config["workflow"]["driver_image"]
    assert config["hail"]["backend"] == "batch"  # the user's files win over the hail baseline
    section = config["storage"]["fewgenomes"]
    assert section["web_url"] == "https://web.example/fewgenomes"  # tables merge: one key replaced
    assert section["web"] == str(tmp_path / "data" / "fewgenomes-test-web")


def test_config_mode_json_and_a_bad_user_file(tmp_path: Path) -> None:
    result = cli("analysis-runner", "config", "--dataset", "d", "-o", "x", "--json")
    assert json.loads(result.stdout)["workflow"]["dataset"] == "d"
    bad = tmp_path / "bad.toml"
    bad.write_text("[workflow\n")
    result = cli("analysis-runner", "config", "--dataset", "d", "-o", "x", "--config", str(bad))
    assert result.exit_code == 1 and "is not valid TOML" in result.stderr and "Traceback" not in result.stderr


def test_the_stored_config_lives_under_the_datasets_tmp_storage(tmp_path: Path) -> None:
    spec = make_spec(dataset="d", access_level="test", output_dir="o")
    config = runconfig.build(spec, "a1", None)
    config_path, log_path = runconfig.run_files(config, "d", "a1")
    assert config_path == str(tmp_path / "data" / "d-test-tmp" / "analysis-runner" / "a1.toml")
    assert log_path.endswith("a1.log")
    assert tomllib.loads(Path(runconfig.write(config, config_path)).read_text()) == config


def test_ar_guids_always_start_with_a_letter() -> None:
    guids = {runconfig.new_ar_guid() for _ in range(200)}
    assert len(guids) == 200 and all(g[0] in "abcdef" for g in guids)


@pytest.mark.parametrize(
    "data",
    [
        {"a": 1, "b": {"c": 'x"y\\z\n', "d": [1, 2.5, True], "e": {"f": "ü😀"}}},
        {"workflow": {"ar-guid": "g", "key with space": "v", "empty": []}, "t": {}},
        {"list_of_tables": [{"k": 1}, {"k": 2}], "when": datetime.date(2026, 1, 2), "inf": float("inf")},
    ],
)
def test_the_config_toml_round_trips(data: dict) -> None:  # type: ignore[type-arg]
    assert tomllib.loads(to_toml(data)) == data


def test_none_is_left_out_of_the_config_toml() -> None:
    assert tomllib.loads(to_toml({"a": {"b": None, "c": [1, None]}, "d": None})) == {"a": {"c": [1]}}
