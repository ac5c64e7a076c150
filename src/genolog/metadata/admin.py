"""Administration from the command line: API tokens and site roles, straight on the database."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from genolog.metadata.context import stored_utc
from genolog.metadata.errors import BadRequest
from genolog.metadata.server import prepare
from genolog.metadata.settings import ServerSettings
from genolog.metadata.store import identity


def create_token(settings: ServerSettings, user: str, label: str | None, expires: str) -> dict[str, Any]:
    """A new token: its id, user, value (shown once) and expiry (``expires``: 90d, 12h, 30m or never)."""
    lifetime = identity.parse_lifetime(expires)
    if label and label.startswith(identity.WEB_SESSION_LABEL):
        raise BadRequest(f"The label {identity.WEB_SESSION_LABEL!r} is kept for web sign-ins; choose another")
    svc = prepare(settings)
    with svc.db.write() as conn:
        token_id, token = identity.create_token(conn, user, label, lifetime)
        [row] = [r for r in identity.list_tokens(conn) if r["id"] == token_id]
    return {"id": token_id, "user": row["user"], "token": token, "expires_at": _shown(row["expires_at"])}


def list_tokens(settings: ServerSettings) -> list[dict[str, Any]]:
    svc = prepare(settings)
    with svc.db.read() as conn:
        return [
            {
                **dict(r),
                "created_at": str(r["created_at"]),
                "revoked_at": str(r["revoked_at"] or ""),
                "expires_at": _shown(r["expires_at"]),
            }
            for r in identity.list_tokens(conn)
        ]


def _shown(moment: datetime | None) -> str:
    """A token's expiry for people and scripts: ISO 8601 in UTC, or "" for never."""
    expires = stored_utc(moment)
    return "" if expires is None else expires.isoformat(timespec="seconds")


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
