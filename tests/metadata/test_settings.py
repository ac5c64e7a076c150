from pathlib import Path

import pytest

from genolog.metadata.settings import SettingsError, load_settings


def test_defaults_use_embedded_sqlite_in_the_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "GENOLOG_DB",
        "GENOLOG_PORT",
        "GENOLOG_DEV_USER",
        "GENOLOG_SERVER_CONFIG",
        "GENOLOG_DATA_DIR",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", "/srv/data")
    settings = load_settings()
    assert settings.dev_user is None and settings.port == 8000
    assert settings.database_url == "sqlite:////srv/data/genolog/genolog.sqlite"
    monkeypatch.setenv("GENOLOG_DATA_DIR", "/elsewhere")
    assert load_settings().database_url == "sqlite:////elsewhere/genolog.sqlite"


def test_file_then_environment_then_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "genolog.toml"
    config.write_text(
        '[server]\nport = 9000\nhost = "0.0.0.0"\ndev_user = "filey"\nsequencing_group_prefix = "CPGX"\n'
    )
    monkeypatch.setenv("GENOLOG_PORT", "9100")
    settings = load_settings(config)
    assert (settings.port, settings.host, settings.dev_user, settings.sequencing_group_prefix) == (
        9100,
        "0.0.0.0",
        "filey",
        "CPGX",
    )
    assert load_settings(config, port=9200, dev_user=None).port == 9200
    monkeypatch.setenv("GENOLOG_SERVER_CONFIG", str(config))
    assert load_settings().host == "0.0.0.0"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[server]\nport = 'abc'\n", "port"),
        ("[server]\ncolour = 1\n", "colour"),
        ("not toml [", "not valid TOML"),
        ("[server]\nworkers = 0\n", "workers: Input should be greater than or equal to 1"),
        ("[server]\nlog_format = 'xml'\n", "log_format: Input should be 'text' or 'json'"),
    ],
)
def test_bad_settings_are_named(tmp_path: Path, content: str, message: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(content)
    with pytest.raises(SettingsError, match=message):
        load_settings(config)


def test_missing_config_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_workers_log_format_and_metrics_token_from_file_environment_and_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "genolog.toml"
    config.write_text('[server]\nworkers = 3\nlog_format = "json"\nmetrics_token = "from-file"\n')
    for name in ("GENOLOG_WORKERS", "GENOLOG_LOG_FORMAT", "GENOLOG_METRICS_TOKEN", "GENOLOG_SERVER_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(config)
    assert (settings.workers, settings.log_format, settings.metrics_token) == (3, "json", "from-file")
    monkeypatch.setenv("GENOLOG_WORKERS", "2")
    monkeypatch.setenv("GENOLOG_METRICS_TOKEN", "from-env")
    assert (load_settings(config).workers, load_settings(config).metrics_token) == (2, "from-env")
    assert load_settings(config, workers=4, log_format="text").model_dump(
        include={"workers", "log_format"}
    ) == {
        "workers": 4,
        "log_format": "text",
    }
    monkeypatch.delenv("GENOLOG_WORKERS")
    monkeypatch.delenv("GENOLOG_METRICS_TOKEN")
    assert load_settings().workers == 1 and load_settings().log_format == "text"
