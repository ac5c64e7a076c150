"""Administration from the command line: API tokens and site roles, straight on the database."""

from __future__ import annotations

from typing import Any

from genolog.metadata.server import prepare
from genolog.metadata.settings import ServerSettings
from genolog.metadata.store import identity


def create_token(settings: ServerSettings, user: str, label: str | None) -> tuple[int, str]:
    svc = prepare(settings)
    with svc.db.write() as conn:
        return identity.create_token(conn, user, label)


def list_tokens(settings: ServerSettings) -> list[dict[str, Any]]:
    svc = prepare(settings)
    with svc.db.read() as conn:
        return [
            {**dict(r), "created_at": str(r["created_at"]), "revoked_at": str(r["revoked_at"] or "")}
            for r in identity.list_tokens(conn)
        ]


def revoke_token(settings: ServerSettings, token_id: int) -> None:
    svc = prepare(settings)
    with svc.db.write() as conn:
        identity.revoke_token(conn, token_id)


def set_site_role(settings: ServerSettings, user: str, role: str, grant: bool) -> None:
    svc = prepare(settings)
    with svc.db.write() as conn:
        if grant:
            identity.grant_site_role(conn, user, role)
        else:
            identity.revoke_site_role(conn, user, role)
