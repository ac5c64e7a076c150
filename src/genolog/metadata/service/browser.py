"""Who calls from a browser, and the sessions the pages run in.

A page's caller is the owner of the API token kept in the session cookie (``web.session``); without a
cookie, a bearer token or the development user, as the API takes them. A cookie whose token is unknown,
revoked or expired, or bad API credentials, ask to sign in again (``SignedOut(expired=True)``); no
credentials at all ask to sign in (``SignedOut()``). The web storage's caller is the cookie's owner when
the cookie is valid, else the API's rules (``Unauthenticated``).

A page authenticates in the transaction it then reads or writes in: one connection per page.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from genolog.metadata import request_info
from genolog.metadata.context import AuditInfo
from genolog.metadata.errors import Unauthenticated
from genolog.metadata.permissions import READ, WRITE, Caller
from genolog.metadata.service._service import Service
from genolog.metadata.service.identity import authenticate, caller_for_token
from genolog.metadata.service.session import Session, session_on


class SignedOut(Exception):
    """No session (and no development user): the page asks to sign in. ``expired`` when the cookie's
    token (or the request's API credentials) is no longer valid."""

    def __init__(self, expired: bool = False) -> None:
        super().__init__("sign in")
        self.expired = expired


@dataclass(frozen=True)
class Credentials:
    """What a browser's request presents."""

    session_token: str | None  # the session cookie's API token
    bearer_token: str | None = None  # from the Authorization header
    bad_header: Unauthenticated | None = None  # why the Authorization header is not a bearer token

    @property
    def api_credentials(self) -> bool:
        return self.bearer_token is not None or self.bad_header is not None


def _token_owner(conn: Connection, token: str) -> Caller | None:
    try:
        return caller_for_token(conn, token)
    except Unauthenticated:
        return None


def _api_caller(conn: Connection, credentials: Credentials, svc: Service) -> Caller:
    if credentials.bad_header is not None:
        raise credentials.bad_header
    return authenticate(conn, credentials.bearer_token, svc.settings.dev_user, svc.oidc)


def page_caller(conn: Connection, credentials: Credentials, svc: Service) -> Caller:
    """The session's user; else a bearer token or the development user, as the API takes them."""
    if credentials.session_token:
        caller = _token_owner(conn, credentials.session_token)
        if caller is None:
            raise SignedOut(expired=True)
        request_info.note_caller(caller.user)  # for the access log
        return caller
    if credentials.api_credentials or svc.settings.dev_user:
        try:
            return _api_caller(conn, credentials, svc)
        except Unauthenticated:
            raise SignedOut(expired=True) from None
    raise SignedOut()


@contextmanager
def page_reading(svc: Service, credentials: Credentials) -> Iterator[Session]:
    """The page's caller reading in one transaction."""
    with svc.db.read() as conn:
        yield session_on(conn, svc.codecs, page_caller(conn, credentials, svc))


@contextmanager
def page_writing(svc: Service, credentials: Credentials, meta: dict[str, Any]) -> Iterator[Session]:
    """The page's caller writing in one transaction, all or nothing, recorded in the audit log as the
    caller's with ``meta``."""
    with svc.db.write() as conn:
        caller = page_caller(conn, credentials, svc)
        session = session_on(conn, svc.codecs, caller, AuditInfo(author=caller.user, meta=meta))
        yield session
        session.tx.finish()


@dataclass(frozen=True)
class PageProject:
    """The project of an entity's page, which the caller may read."""

    id: int
    name: str  # as stored
    can_write: bool  # the caller may write it: the page shows its edit forms


def page_project(session: Session, name: str) -> PageProject:
    """The named project if the caller may read it (else its 404), and whether it may write it."""
    row = session.project(name, READ)
    return PageProject(row["id"], row["name"], bool(session.caller.roles_on(row["id"]) & WRITE))


def token_owner(svc: Service, token: str) -> Caller | None:
    """The owner of an API token (signing in); None for a token that is unknown, revoked or expired."""
    with svc.db.read() as conn:
        return _token_owner(conn, token)


def require_file_reader(svc: Service, credentials: Credentials, project: str) -> None:
    """For the web storage: the caller (the cookie's owner when the cookie is valid, else the API's rules)
    must be able to read ``project``, else the 404 of a project it cannot see."""
    with svc.db.read() as conn:
        token = credentials.session_token
        caller = _token_owner(conn, token) if token else None
        if caller is None:
            caller = _api_caller(conn, credentials, svc)
        session_on(conn, svc.codecs, caller).project(project, READ)
