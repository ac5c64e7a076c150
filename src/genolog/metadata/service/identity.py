"""Who is calling: the owner of an API token (with its site and project roles), or the development user."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from genolog.metadata import request_info
from genolog.metadata.errors import Unauthenticated
from genolog.metadata.permissions import Caller
from genolog.metadata.service._service import Service
from genolog.metadata.store import identity, projects

AUTHENTICATION_REQUIRED = "Authentication required: send 'Authorization: Bearer <token>'"


def caller_for_token(conn: Connection, token: str) -> Caller:
    """The token's owner; ``Unauthenticated`` for a token that is unknown, revoked or expired."""
    user = identity.user_for_token(conn, token)
    request_info.note_caller(user)
    return Caller(
        user=user,
        site_roles=identity.site_roles(conn, user),
        project_roles=projects.roles_by_project(conn, user),
    )


def authenticate(conn: Connection, token: str | None, dev_user: str | None) -> Caller:
    """The caller of a request: the bearer ``token``'s owner, else the development user (a site admin,
    when the server runs with one), else ``Unauthenticated``."""
    if token is not None:
        return caller_for_token(conn, token)
    if dev_user:
        request_info.note_caller(dev_user)
        return Caller(
            user=dev_user, site_roles={"admin"}, project_roles=projects.roles_by_project(conn, dev_user)
        )
    raise Unauthenticated(AUTHENTICATION_REQUIRED)


def check_token(svc: Service, token: str) -> None:
    """Nothing for a valid token; ``Unauthenticated`` saying why for one unknown, revoked or expired."""
    with svc.db.read() as conn:
        identity.user_for_token(conn, token)
