"""FastAPI dependencies of the REST routes: the service, the caller, and the request's sessions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import Depends, Request

from genolog.metadata.http import audit_info, caller_of, request_service
from genolog.metadata.permissions import Caller
from genolog.metadata.service import Service, Session, reading, writing

# ``service`` and ``request_context`` only look things up, so they are ``async def``: FastAPI runs a plain
# ``def`` dependency in its threadpool, a hop (and a thread wake-up) per dependency on every request.
# ``authenticate`` reads the database and stays a ``def``.
service = request_service


def authenticate(request: Request, svc: Service = Depends(service)) -> Caller:
    """The caller: the owner of the bearer token, or the development user when that mode is on."""
    with svc.db.read() as conn:
        return caller_of(conn, request, svc)


class RequestContext:
    """One request: who is calling, and sessions whose writes record the caller in the audit log."""

    def __init__(self, svc: Service, caller: Caller, request: Request) -> None:
        self.svc = svc
        self.caller = caller
        self.request = request

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with reading(self.svc, self.caller) as session:
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """All or nothing: the changes, their history and the audit entry commit together."""
        with writing(self.svc, self.caller, audit_info(self.request, self.caller)) as session:
            yield session


async def request_context(
    request: Request, svc: Service = Depends(service), caller: Caller = Depends(authenticate)
) -> RequestContext:
    return RequestContext(svc, caller, request)
