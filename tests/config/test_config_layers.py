from __future__ import annotations

import copy
import os
import pickle
from collections.abc import Callable

import pytest

from genolog import config
from genolog.config import (
    ConfigError,
    append_config_paths,
    config_retrieve,
    dataset_for_access_level,
    get_access_level,
    get_config,
    get_config_paths,
    get_cpg_namespace,
    prepend_config_paths,
    read_configs,
    set_config_paths,
    try_get_ar_guid,
    update_dict,
)

Toml = Callable[[str, str], str]


def test_update_dict_merges_tables_and_replaces_everything_else() -> None:
    d1 = {"a": 1, "b": {"c": 1, "l": [1, 2]}}
    out = update_dict(d1, {"b": {"c": 2, "d": 2, "l": [3]}})
    assert out is d1
    assert d1 == {"a": 1, "b": {"c": 2, "d": 2, "l": [3]}}


def test_later_files_win_tables_merge_lists_replace(toml_file: Toml) -> None:
    base = toml_file("base.toml", '[workflow]\ndataset = "a"\nname = "x"\n[images]\nlist = [1, 2]\n')
    over = toml_file("over.toml", '[workflow]\ndataset = "b"\n[images]\nlist = [3]\n')
    set_config_paths([base, over])
    cfg = get_config()
    assert cfg["workflow"] == {"dataset": "b", "name": "x"}
    assert cfg["images"]["list"] == [3]


def test_env_var_comma_separated_list_is_read(toml_file: Toml, monkeypatch: pytest.MonkeyPatch) -> None:
    a = toml_file("a.toml", "x = 1\ny = 1\n")
    b = toml_file("b.toml", "y = 2\n")
    monkeypatch.setenv("CPG_CONFIG_PATH", f"{a}, {b}")
    assert get_config_paths() == [a, b]
    assert dict(get_config()) == {"x": 1, "y": 2}


def test_genolog_variable_wins_over_cpg_variable(toml_file: Toml, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CPG_CONFIG_PATH", toml_file("cpg.toml", "who = 'cpg'\n"))
    monkeypatch.setenv("GENOLOG_CONFIG_PATH", toml_file("gl.toml", "who = 'genolog'\n"))
    assert config_retrieve("who") == "genolog"


def test_set_config_paths_rewrites_both_env_vars_and_clears_cache(toml_file: Toml) -> None:
    a = toml_file("a.toml", "v = 1\n")
    b = toml_file("b.toml", "v = 2\n")
    set_config_paths([a])
    assert config_retrieve("v") == 1
    set_config_paths([b])
    assert config_retrieve("v") == 2
    assert os.environ["CPG_CONFIG_PATH"] == b == os.environ["GENOLOG_CONFIG_PATH"]


def test_prepend_is_lowest_and_append_is_highest_precedence(toml_file: Toml) -> None:
    mid = toml_file("mid.toml", "v = 'mid'\nonly_mid = 1\n")
    low = toml_file("low.toml", "v = 'low'\nonly_low = 1\n")
    high = toml_file("high.toml", "v = 'high'\n")
    set_config_paths([mid])
    prepend_config_paths([low])
    assert get_config_paths() == [low, mid]
    assert config_retrieve("v") == "mid"
    append_config_paths([high])
    assert get_config_paths() == [low, mid, high]
    assert config_retrieve("v") == "high"
    assert config_retrieve("only_low") == 1


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("bad.txt", "a = 1", "does not end in .toml"),
        ("broken.toml", "a = [", "is not valid TOML"),
    ],
)
def test_set_config_paths_rejects_bad_files_naming_them(
    toml_file: Toml, name: str, text: str, message: str
) -> None:
    path = toml_file(name, text)
    with pytest.raises(ConfigError, match=message) as err:
        set_config_paths([path])
    assert path in str(err.value)


def test_set_config_paths_rejects_missing_file(tmp_path: os.PathLike[str]) -> None:
    missing = os.path.join(tmp_path, "nope.toml")
    with pytest.raises(ConfigError, match="does not exist") as err:
        set_config_paths([missing])
    assert missing in str(err.value)


def test_get_config_paths_without_anything_set_says_how_to_fix() -> None:
    with pytest.raises(ConfigError, match=r"GENOLOG_CONFIG_PATH.*set_config_paths"):
        get_config_paths()


def test_read_configs_has_no_side_effects(toml_file: Toml) -> None:
    a = toml_file("a.toml", "[t]\nx = 1\n")
    cfg = read_configs([a])
    assert cfg == {"t": {"x": 1}}
    assert config._config_paths == []


def test_config_is_read_only_at_top_level_but_copies_freely(toml_file: Toml) -> None:
    set_config_paths([toml_file("a.toml", "[t]\nx = 1\n")])
    cfg = get_config()
    with pytest.raises(TypeError, match="read-only"):
        cfg["t"] = {}  # type: ignore[index]
    assert copy.deepcopy(cfg) == cfg
    assert pickle.loads(pickle.dumps(cfg)) == cfg
    assert dict(cfg) == {"t": {"x": 1}}


def test_empty_config_files_are_an_error(toml_file: Toml) -> None:
    set_config_paths([toml_file("empty.toml", "")])
    with pytest.raises(ConfigError, match="No config found"):
        get_config()


class TestConfigRetrieve:
    @pytest.fixture(autouse=True)
    def _config(self, toml_file: Toml) -> None:
        set_config_paths([toml_file("c.toml", '"a/b" = 1\n[a]\nb = 2\n[a.c]\nd = false\n')])

    def test_string_key_is_one_top_level_key(self) -> None:
        assert config_retrieve("a/b") == 1
        assert config_retrieve(["a", "b"]) == 2
        assert config_retrieve(["a", "c", "d"]) is False

    def test_missing_key_names_key_path_and_file(self, toml_file: Toml) -> None:
        with pytest.raises(ConfigError) as err:
            config_retrieve(["a", "c", "zz"])
        text = str(err.value)
        assert text.startswith('Key "zz" not found in')
        assert "(path: a -> c -> zz)" in text
        assert "c.toml" in text

    def test_any_default_including_none_is_returned(self) -> None:
        assert config_retrieve(["a", "nope"], default=None) is None
        assert config_retrieve("nope", default=3) == 3
        assert config_retrieve(["a", "b", "deeper"], default="d") == "d"

    def test_empty_key_list_is_a_value_error(self) -> None:
        with pytest.raises(ValueError, match="must not be empty"):
            config_retrieve([])

    def test_explicit_config_mapping(self) -> None:
        assert config_retrieve(["x"], config={"x": 5}) == 5


def test_default_is_returned_when_no_config_can_be_loaded(
    toml_file: Toml, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = toml_file("gone.toml", "a = 1\n")
    monkeypatch.setenv("GENOLOG_CONFIG_PATH", path)
    os.remove(path)
    assert config_retrieve("a", default="fallback") == "fallback"
    with pytest.raises(ConfigError, match="does not exist"):
        config_retrieve("a")


def test_default_config_maps_sandbox_to_local_folders(tmp_path: os.PathLike[str]) -> None:
    cfg = get_config()
    data = os.path.join(tmp_path, "data")
    assert cfg["workflow"]["dataset"] == "sandbox"
    assert cfg["hail"]["backend"] == "local"
    assert cfg["storage"]["default"]["default"] == os.path.join(data, "sandbox-test")
    assert cfg["storage"]["sandbox"]["web"] == os.path.join(data, "sandbox-test-web")
    local = {k: v for k, v in cfg["storage"]["default"].items() if k != "web_url"}
    assert all("://" not in v for v in local.values())
    assert cfg["storage"]["default"]["web_url"] == "http://127.0.0.1:8000/web/sandbox-test"
    assert cfg["images"]["fastqe"] == config.FASTQE_IMAGE


class TestGetters:
    @pytest.fixture
    def level(self, toml_file: Toml) -> Callable[[str], None]:
        def set_level(level: str) -> None:
            text = f'[workflow]\naccess_level = "{level}"\ndriver_image = "drv:1"\n"ar-guid" = "g-1"\n'
            set_config_paths([toml_file(f"{level}.toml", text)])

        return set_level

    def test_namespace_and_dataset_names(self, level: Callable[[str], None]) -> None:
        level("test")
        assert get_cpg_namespace() == "test"
        assert dataset_for_access_level("fewgenomes") == "fewgenomes-test"
        assert dataset_for_access_level("fewgenomes-test") == "fewgenomes-test"
        level("standard")
        assert get_cpg_namespace() == "main"
        assert dataset_for_access_level("fewgenomes") == "fewgenomes"
        assert get_cpg_namespace("full") == "main"
        assert config.get_driver_image() == "drv:1"
        assert try_get_ar_guid() == "g-1"

    def test_unknown_access_level_is_rejected(self, level: Callable[[str], None]) -> None:
        level("root")
        with pytest.raises(ConfigError, match="access_level is 'root'"):
            get_access_level()
