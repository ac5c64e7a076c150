"""Where the metadata server is and how to authenticate to it."""

from __future__ import annotations

import os
from dataclasses import dataclass

from genolog.config import DEFAULT_SERVER_URL as DEFAULT_URL


@dataclass(frozen=True)
class ServerSettings:
    url: str
    token: str | None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


def server_settings() -> ServerSettings:
    """``GENOLOG_URL``/``GENOLOG_TOKEN``, else ``[metadata] url/token`` from the config, else the local default."""
    from genolog.config import ConfigError, config_retrieve

    def from_config(key: str) -> str | None:
        try:
            value = config_retrieve(["metadata", key], default=None)
        except ConfigError:
            return None
        return str(value) if value else None

    url = os.environ.get("GENOLOG_URL") or from_config("url") or DEFAULT_URL
    token = os.environ.get("GENOLOG_TOKEN") or from_config("token")
    return ServerSettings(url=url.rstrip("/"), token=token)
