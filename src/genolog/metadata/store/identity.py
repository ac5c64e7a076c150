"""Users' API tokens (stored as SHA-256 hashes) and site-wide roles."""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from genolog.metadata import tables as t
from genolog.metadata.context import utcnow
from genolog.metadata.errors import BadRequest, NotFound

TOKEN_PREFIX = "glt_"
# admin: everything; project-creator: creates projects (and owns those it creates); members-admin: manages
# every project's members. See ``permissions``.
SITE_ROLES = ("admin", "project-creator", "members-admin")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(conn: Connection, user: str, label: str | None = None) -> tuple[int, str]:
    user = user.strip()
    if not user:
        raise BadRequest("A token needs a user name")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = conn.execute(
        t.api_token.insert()
        .values(user=user, label=label, token_hash=hash_token(token), created_at=utcnow())
        .returning(t.api_token.c.id)
    ).scalar_one()
    return token_id, token


def revoke_token(conn: Connection, token_id: int) -> None:
    result = conn.execute(
        t.api_token.update()
        .where(t.api_token.c.id == token_id, t.api_token.c.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    if result.rowcount == 0:
        raise NotFound(f"No active token with id {token_id}")


def list_tokens(conn: Connection) -> list[RowMapping]:
    columns = [c for c in t.api_token.c if c.name != "token_hash"]
    return list(conn.execute(sa.select(*columns).order_by(t.api_token.c.id)).mappings())


def user_for_token(conn: Connection, token: str) -> str | None:
    return conn.execute(
        sa.select(t.api_token.c.user).where(
            t.api_token.c.token_hash == hash_token(token), t.api_token.c.revoked_at.is_(None)
        )
    ).scalar()


def site_roles(conn: Connection, user: str) -> set[str]:
    return set(conn.execute(sa.select(t.site_role.c.role).where(t.site_role.c.user == user)).scalars())


def grant_site_role(conn: Connection, user: str, role: str) -> None:
    if role not in SITE_ROLES:
        raise BadRequest(f"Unknown site role {role!r}; choose one of {', '.join(SITE_ROLES)}")
    if role not in site_roles(conn, user):
        conn.execute(t.site_role.insert().values(user=user, role=role))


def revoke_site_role(conn: Connection, user: str, role: str) -> None:
    conn.execute(t.site_role.delete().where(t.site_role.c.user == user, t.site_role.c.role == role))
