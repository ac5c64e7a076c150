"""Callers named by the OpenID Connect provider of ``[auth]`` (``oidc_provider`` verifies its tokens).

The user is the configured claim (``user_claim``, default ``email``) of a verified token; its project
roles are the ones recorded for that user name, as for an API token's owner; its site roles are the
recorded ones plus those ``group_roles`` gives the groups in the ``groups_claim``.

A browser signed in with the provider holds a genolog token minted for it (``start_web_session``): an
ordinary API token, stored hashed, labelled ``WEB_SESSION_LABEL`` (with the site roles its groups gave,
which the ID token no longer around on later requests cannot say), expiring after ``web_session_hours``
and revoked when the browser signs out. So the session cookie, its CSRF tokens and signing out work as
for a pasted API token, and the provider is asked nothing on the requests after sign-in.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Connection

from genolog.metadata.errors import Unauthenticated
from genolog.metadata.permissions import SITE_ROLES, Caller
from genolog.metadata.service._service import Service
from genolog.metadata.settings import AuthSettings
from genolog.metadata.store import identity, projects

_ROLES_MARK = "; site roles: "


def user_of(claims: dict[str, Any], settings: AuthSettings) -> str:
    user = claims.get(settings.user_claim)
    if not isinstance(user, str) or not user.strip():
        raise Unauthenticated(
            f"The OpenID Connect token has no {settings.user_claim!r} claim naming the user ([auth] user_claim)"
        )
    return user.strip()


def group_site_roles(claims: dict[str, Any], settings: AuthSettings) -> set[str]:
    """The site roles ``group_roles`` gives the token's groups (a list, or one space-separated string)."""
    if not settings.groups_claim:
        return set()
    groups = claims.get(settings.groups_claim)
    if isinstance(groups, str):
        groups = groups.split()
    if not isinstance(groups, list):
        return set()
    return {
        role for group in groups if isinstance(group, str) for role in settings.group_roles.get(group, [])
    }


def caller_for_claims(conn: Connection, claims: dict[str, Any], settings: AuthSettings) -> Caller:
    """The caller a verified token's claims name."""
    user = user_of(claims, settings)
    return Caller(
        user=user,
        site_roles=identity.site_roles(conn, user) | group_site_roles(claims, settings),
        project_roles=projects.roles_by_project(conn, user),
    )


def session_site_roles(label: str | None) -> set[str]:
    """The group-given site roles recorded in a web session token's label (none for other tokens)."""
    if not label or not label.startswith(identity.WEB_SESSION_LABEL + _ROLES_MARK):
        return set()
    named = label.removeprefix(identity.WEB_SESSION_LABEL + _ROLES_MARK).split(",")
    return {role for role in named if role in SITE_ROLES}


def start_web_session(svc: Service, id_token_claims: dict[str, Any]) -> tuple[str, str]:
    """A genolog token for the browser that signed in with the provider: (user, token)."""
    settings = svc.settings.auth
    user = user_of(id_token_claims, settings)
    roles = sorted(group_site_roles(id_token_claims, settings))
    label = identity.WEB_SESSION_LABEL + (_ROLES_MARK + ",".join(roles) if roles else "")
    with svc.db.write() as conn:
        _, token = identity.create_token(conn, user, label, timedelta(hours=settings.web_session_hours))
    return user, token


def end_web_session(svc: Service, token: str) -> None:
    """Revoke the session cookie's token if a sign-in with the provider minted it (a pasted API token
    stays valid: the browser only forgets it)."""
    with svc.db.write() as conn:
        identity.revoke_token_value(conn, token, identity.WEB_SESSION_LABEL)
