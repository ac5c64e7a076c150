"""Server settings: defaults, then a TOML file, then ``GENOLOG_*`` environment variables, then the command line."""

from __future__ import annotations

import ipaddress
import os
import socket
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from genolog.config import default_data_dir
from genolog.metadata.inputs import MIB

CONFIG_ENV = "GENOLOG_SERVER_CONFIG"


class SeqrSettings(BaseModel):
    """The seqr server that ``POST /api/v1/web/{project}/{type}/sync-dataset`` and the family GUID map
    talk to: the ``[seqr]`` table of the config file, or ``GENOLOG_SEQR__<NAME>`` variables."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, description="Base URL of the seqr server; unset: no seqr calls")
    token: str | None = Field(default=None, description="Bearer token sent to seqr with every call")
    map_location: str | None = Field(
        default=None,
        description="Folder (local, gs:// or s3://) for the sample-to-individual maps an ES-index sync writes",
    )
    timeout: float = Field(default=60.0, gt=0, le=600, description="Seconds to wait for one seqr call")


class ServerSettings(BaseSettings):
    """How ``genolog serve`` runs. In a TOML file these keys live in a ``[server]`` table (and the seqr
    server's in a ``[seqr]`` table)."""

    model_config = SettingsConfigDict(env_prefix="GENOLOG_", env_nested_delimiter="__", extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    workers: int = Field(
        default=1, ge=1, le=64, description="Server processes sharing the port (uvicorn workers)"
    )
    log_format: Literal["text", "json"] = Field(
        default="text", description="Access log: uvicorn's text lines, or one JSON object per request"
    )
    metrics_token: str | None = Field(
        default=None,
        description="Bearer token that may read /metrics from anywhere; without it only loopback callers may",
    )
    db: str | None = Field(default=None, description="Database URL; default: SQLite in data_dir")
    data_dir: Path = Field(
        default_factory=default_data_dir, description="Embedded database and local buckets"
    )
    dev_user: str | None = Field(default=None, description="Unauthenticated requests act as this admin user")
    allow_dev_user_on_network: bool = Field(
        default=False, description="Allow dev_user on a non-loopback host (anyone reaching it is admin)"
    )
    sample_prefix: str = "XPG"
    sample_check_offset: int = Field(default=0, ge=0, le=9)
    sequencing_group_prefix: str = "CPG"
    sequencing_group_check_offset: int = Field(default=0, ge=0, le=9)
    cohort_prefix: str = "COH"
    graphql_max_tokens: int = Field(
        default=10_000, ge=100, description="GraphQL documents with more tokens are refused unparsed"
    )
    graphql_time_limit: float = Field(
        default=30.0, gt=0, description="Seconds a GraphQL request may run (also each of its SQL statements)"
    )
    max_request_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=1024,
        description="Largest request body accepted (413 beyond); the streamed ingest is bounded per record",
    )
    max_ingest_record_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=1024,
        description="Largest NDJSON record (one line) of POST /api/v1/ingest/{project} (413 beyond)",
    )
    meta_max_bytes: int = Field(
        default=MIB, ge=1024, description="Largest meta of one entity, in bytes of JSON (a 413 beyond)"
    )
    max_list_items: int = Field(
        default=10_000,
        ge=1,
        le=30_000,  # below the bound parameters one statement may take (SQLite 32,766, PostgreSQL 65,535)
        description="Most ids or filter values in one list of a request (a 400 beyond)",
    )
    seqr: SeqrSettings = Field(default_factory=SeqrSettings)

    @property
    def database_url(self) -> str:
        return self.db or f"sqlite:///{self.data_dir / 'genolog.sqlite'}"


class SettingsError(Exception):
    pass


def check_dev_user_host(settings: ServerSettings) -> None:
    """Development mode makes every unauthenticated caller an admin: only on a loopback address, unless
    ``allow_dev_user_on_network`` says otherwise."""
    if settings.dev_user and not settings.allow_dev_user_on_network and not is_loopback(settings.host):
        raise SettingsError(
            f"--dev-user makes anyone who can reach the server admin {settings.dev_user!r}, so it is only "
            f"allowed on a loopback host (127.0.0.1, ::1, localhost), not {settings.host!r}; pass "
            f"--allow-dev-user-on-network to serve it there anyway"
        )


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or a name) is only ever this machine's loopback interface."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        return False
    addresses = {str(info[4][0]).partition("%")[0] for info in found}
    return bool(addresses) and all(ipaddress.ip_address(a).is_loopback for a in addresses)


def load_settings(config_file: Path | None = None, **overrides: Any) -> ServerSettings:
    """Read settings; ``overrides`` (from the command line) win over the environment and the file."""
    path = config_file or (Path(os.environ[CONFIG_ENV]) if os.environ.get(CONFIG_ENV) else None)
    from_file: dict[str, Any] = {}
    if path is not None:
        try:
            document = tomllib.loads(path.read_text())
        except FileNotFoundError:
            raise SettingsError(f"Config file {path} does not exist") from None
        except tomllib.TOMLDecodeError as e:
            raise SettingsError(f"Config file {path} is not valid TOML: {e}") from None
        from_file = dict(document.get("server", document))
        if "server" in document and "seqr" in document:
            from_file["seqr"] = document["seqr"]
    try:
        # Only GENOLOG_* variables here: pydantic-settings would rank init values above the environment.
        env = ServerSettings().model_dump(exclude_defaults=True)
        merged = {**from_file, **env, **{k: v for k, v in overrides.items() if v is not None}}
        if isinstance(from_file.get("seqr"), dict) and "seqr" in env:  # the [seqr] table, key by key
            merged["seqr"] = {**from_file["seqr"], **env["seqr"]}
        return ServerSettings.model_validate(merged)
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors())
        raise SettingsError(f"Invalid server settings: {problems}") from None
