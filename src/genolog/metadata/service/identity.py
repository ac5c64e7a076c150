"""Who is calling: the owner of an API token (with its site and project roles), the user an OpenID
Connect token names (``oidc``), or the development user."""

from __future__ import annotations

import contextlib

from sqlalchemy.engine import Connection

from genolog.metadata import request_info
from genolog.metadata.errors import Unauthenticated, Unavailable
from genolog.metadata.permissions import Caller
from genolog.metadata.service import oidc
from genolog.metadata.service._service import Service
from genolog.metadata.service.oidc_provider import NOT_CONFIGURED, OidcProvider, looks_like_jwt
from genolog.metadata.store import identity, projects

AUTHENTICATION_REQUIRED = "Authentication required: send 'Authorization: Bearer <token>'"


def caller_for_token(conn: Connection, token: str) -> Caller:
    """The token's owner; ``Unauthenticated`` for a token that is unknown, revoked or expired."""
    user, label = identity.token_holder(conn, token)
    return Caller(
        user=user,
        site_roles=identity.site_roles(conn, user) | oidc.session_site_roles(label),
        project_roles=projects.roles_by_project(conn, user),
    )


def authenticate(
    conn: Connection, token: str | None, dev_user: str | None, provider: OidcProvider | None = None
) -> Caller:
    """The caller of a request: the bearer ``token``'s owner (the user a JWT of the OpenID ``provider``
    names, or a genolog API token's owner), else the development user (a site admin, when the server
    runs with one), else ``Unauthenticated``."""
    if token is not None and looks_like_jwt(token):
        if provider is None:
            raise Unauthenticated(NOT_CONFIGURED)
        caller = oidc.caller_for_claims(conn, provider.verify(token), provider.settings)
    elif token is not None:
        caller = caller_for_token(conn, token)
    elif dev_user:
        caller = Caller(
            user=dev_user, site_roles={"admin"}, project_roles=projects.roles_by_project(conn, dev_user)
        )
    else:
        raise Unauthenticated(AUTHENTICATION_REQUIRED)
    request_info.note_caller(caller.user)  # for the access log
    return caller


def check_token(svc: Service, token: str) -> None:
    """Nothing for a valid token; ``Unauthenticated`` saying why for one unknown, revoked or expired (or
    an OpenID Connect token refused). A provider that cannot be reached passes here: the route that
    authenticates the request answers its 503."""
    if looks_like_jwt(token):
        if svc.oidc is None:
            raise Unauthenticated(NOT_CONFIGURED)
        with contextlib.suppress(Unavailable):
            svc.oidc.verify(token)
        return
    with svc.db.read() as conn:
        identity.user_for_token(conn, token)
