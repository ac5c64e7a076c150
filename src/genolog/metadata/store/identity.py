"""Users' API tokens (stored as SHA-256 hashes, each with an optional expiry) and site-wide roles."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from genolog.metadata import tables as t
from genolog.metadata.context import stored_utc, utcnow
from genolog.metadata.errors import BadRequest, NotFound, Unauthenticated
from genolog.metadata.permissions import SITE_ROLES

TOKEN_PREFIX = "glt_"
#: The label of the tokens a browser signed in with the OpenID provider holds (``service.oidc``): only
#: those are revoked on signing out, and ``genolog token create`` may not use it.
WEB_SESSION_LABEL = "OpenID Connect web session"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_LIFETIME = re.compile(r"(\d{1,7})([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}
_LONGEST = timedelta(days=100 * 365)


def parse_lifetime(text: str) -> timedelta | None:
    """``90d``, ``12h``, ``30m`` or ``never`` (None) as a token's lifetime."""
    text = text.strip().lower()
    if text == "never":
        return None
    match = _LIFETIME.fullmatch(text)
    if match is None:
        raise BadRequest(
            f"A token's lifetime is a whole number of days, hours or minutes (90d, 12h, 30m) or 'never', "
            f"not {text!r}"
        )
    lifetime = timedelta(**{_UNITS[match[2]]: int(match[1])})
    if not timedelta(0) < lifetime <= _LONGEST:
        raise BadRequest(f"A token's lifetime must be more than 0 and at most 100 years, not {text!r}")
    return lifetime


def create_token(
    conn: Connection, user: str, label: str | None = None, lifetime: timedelta | None = None
) -> tuple[int, str]:
    """A new token for ``user``, expiring after ``lifetime`` (never when None); returns (id, token)."""
    user = user.strip()
    if not user:
        raise BadRequest("A token needs a user name")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token_id = conn.execute(
        t.api_token.insert()
        .values(
            user=user,
            label=label,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=None if lifetime is None else now + lifetime,
        )
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


def revoke_token_value(conn: Connection, token: str, label_prefix: str) -> None:
    """Revoke the token ``token`` if its label starts with ``label_prefix`` (nothing otherwise)."""
    conn.execute(
        t.api_token.update()
        .where(
            t.api_token.c.token_hash == hash_token(token),
            t.api_token.c.revoked_at.is_(None),
            t.api_token.c.label.startswith(label_prefix, autoescape=True),
        )
        .values(revoked_at=utcnow())
    )


def list_tokens(conn: Connection) -> list[RowMapping]:
    columns = [c for c in t.api_token.c if c.name != "token_hash"]
    return list(conn.execute(sa.select(*columns).order_by(t.api_token.c.id)).mappings())


def user_for_token(conn: Connection, token: str) -> str:
    """The user a token authenticates; Unauthenticated, saying why, for an unknown, revoked or expired one."""
    return token_holder(conn, token)[0]


def token_holder(conn: Connection, token: str) -> tuple[str, str | None]:
    """The user a token authenticates and the token's label; Unauthenticated, as ``user_for_token``."""
    row = conn.execute(
        sa.select(t.api_token.c.user, t.api_token.c.label, t.api_token.c.expires_at).where(
            t.api_token.c.token_hash == hash_token(token), t.api_token.c.revoked_at.is_(None)
        )
    ).first()
    if row is None:
        raise Unauthenticated("The API token is unknown or revoked")
    expires = stored_utc(row.expires_at)
    if expires is not None and expires <= utcnow():
        raise Unauthenticated(f"The API token expired on {expires:%Y-%m-%d %H:%M} UTC")
    return str(row.user), row.label


def site_roles(conn: Connection, user: str) -> set[str]:
    return set(conn.execute(sa.select(t.site_role.c.role).where(t.site_role.c.user == user)).scalars())


def grant_site_role(conn: Connection, user: str, role: str) -> None:
    if role not in SITE_ROLES:
        raise BadRequest(f"Unknown site role {role!r}; choose one of {', '.join(SITE_ROLES)}")
    if role not in site_roles(conn, user):
        conn.execute(t.site_role.insert().values(user=user, role=role))


def revoke_site_role(conn: Connection, user: str, role: str) -> None:
    conn.execute(t.site_role.delete().where(t.site_role.c.user == user, t.site_role.c.role == role))
