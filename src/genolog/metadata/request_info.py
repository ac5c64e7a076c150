"""What the access log says of the request being served that only code deep inside it learns: who the
caller is. The observability middleware opens a ``RequestInfo`` for each request; authentication
(``service.identity``) writes the caller into it. The one object is shared by the request's threads
(a context variable's value is copied into the thread an endpoint runs in; the object it names is not)."""

from __future__ import annotations

from contextvars import ContextVar, Token
from dataclasses import dataclass


@dataclass
class RequestInfo:
    request_id: str
    user: str | None = None


_current: ContextVar[RequestInfo | None] = ContextVar("genolog_request_info", default=None)


def current() -> RequestInfo | None:
    return _current.get()


def begin(info: RequestInfo) -> Token[RequestInfo | None]:
    """Make ``info`` the current request's; the returned token ends it (``end``)."""
    return _current.set(info)


def end(token: Token[RequestInfo | None]) -> None:
    _current.reset(token)


def note_caller(user: str) -> None:
    """Record the authenticated caller of the current request (nothing outside a request)."""
    info = _current.get()
    if info is not None:
        info.user = user
