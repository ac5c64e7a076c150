"""What every request needs: the database, the id formats and the settings, plus per-request context."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from sqlalchemy.engine import Connection, RowMapping

from genolog.metadata import access, inputs
from genolog.metadata.context import AuditInfo, IdCodecs, Tx
from genolog.metadata.db import Database
from genolog.metadata.errors import Unauthenticated
from genolog.metadata.permissions import Caller
from genolog.metadata.settings import ServerSettings
from genolog.metadata.store import identity, projects


@dataclass
class Service:
    settings: ServerSettings
    db: Database
    codecs: IdCodecs

    @classmethod
    def create(cls, settings: ServerSettings, db: Database | None = None) -> Service:
        inputs.configure(settings.meta_max_bytes, settings.max_list_items)
        return cls(
            settings=settings,
            db=db or Database(settings.database_url),
            codecs=IdCodecs.create(
                settings.sample_prefix,
                settings.sample_check_offset,
                settings.sequencing_group_prefix,
                settings.sequencing_group_check_offset,
                settings.cohort_prefix,
            ),
        )


# ``service`` and ``request_context`` only look things up, so they are ``async def``: FastAPI runs a plain
# ``def`` dependency in its threadpool, a hop (and a thread wake-up) per dependency on every request.
# ``authenticate`` reads the database and stays a ``def``.
async def service(request: Request) -> Service:
    check_request_text(request)
    svc: Service = request.app.state.service
    return svc


def check_request_text(request: Request) -> None:
    """Refuse a NUL or a lone surrogate in a parameter or in a JSON body (``inputs.text_problem``): every
    REST and GraphQL request passes here (the ``service`` dependency), and every page (``PageRoute``),
    before the endpoint sees its input. A JSON body is FastAPI's: read and decoded before the
    dependencies run, cached on the request (the ingest's streamed body is checked record by record)."""
    for name, value in [*request.path_params.items(), *request.query_params.multi_items()]:
        inputs.check_text(str(value), f"The parameter {name!r}")
    body = request.__dict__.get("_body")
    if body and "_json" in request.__dict__ and inputs.json_text_may_be_bad(body):
        inputs.check_json(request.__dict__["_json"], "The request body", max_depth=None)


def authenticate(request: Request, svc: Service = Depends(service)) -> Caller:
    """The caller: the owner of the bearer token, or the development user when that mode is on."""
    with svc.db.read() as conn:
        return caller_of(conn, request, svc)


AUTHENTICATION_REQUIRED = "Authentication required: send 'Authorization: Bearer <token>'"


def bearer_token(header: str) -> str:
    """The token of an ``Authorization: Bearer <token>`` header."""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("The Authorization header must be 'Bearer <token>'")
    return token.strip()


def caller_of(conn: Connection, request: Request, svc: Service) -> Caller:
    """``authenticate``'s lookup, in a transaction the caller already has open."""
    header = request.headers.get("authorization")
    if header:
        user = identity.user_for_token(conn, bearer_token(header))
        site_roles = identity.site_roles(conn, user)
    elif svc.settings.dev_user:
        user, site_roles = svc.settings.dev_user, {"admin"}
    else:
        raise Unauthenticated(AUTHENTICATION_REQUIRED)
    return Caller(user=user, site_roles=site_roles, project_roles=projects.roles_by_project(conn, user))


def _audit_info(request: Request, caller: Caller) -> AuditInfo:
    # what the server itself records: the caller's ``sm-extra-values`` cannot overwrite it
    recorded: dict[str, Any] = {
        "path": request.url.path,
        "ip": request.client.host if request.client else None,
    }
    meta: dict[str, Any] = {}
    extra = request.headers.get("sm-extra-values")
    if extra:
        meta.update(inputs.parse_json_object(extra, "The sm-extra-values header"))
    meta.update(recorded)
    return AuditInfo(
        author=caller.user,
        on_behalf_of=request.headers.get("sm-on-behalf-of"),
        ar_guid=request.headers.get("sm-ar-guid"),
        meta=meta,
    )


class RequestContext:
    """One request: who is calling, and transactions that record the caller in the audit log."""

    def __init__(self, svc: Service, caller: Caller, request: Request) -> None:
        self.svc = svc
        self.caller = caller
        self.request = request

    @contextmanager
    def read(self) -> Iterator[Tx]:
        with self.svc.db.read() as conn:
            yield Tx(conn, self.svc.codecs)

    @contextmanager
    def write(self) -> Iterator[Tx]:
        """All or nothing: the changes, their history and the audit entry commit together."""
        audit = _audit_info(self.request, self.caller)
        with self.svc.db.write() as conn:
            tx = Tx(conn, self.svc.codecs, audit)
            yield tx
            tx.finish()

    def project(self, tx: Tx, name: str, needed: frozenset[str]) -> RowMapping:
        return access.project_by_name(tx, self.caller, name, needed)

    def project_by_id(self, tx: Tx, project_id: int, needed: frozenset[str], not_found: str) -> RowMapping:
        return access.project_by_id(tx, self.caller, project_id, needed, not_found)

    def readable_project_ids(self, tx: Tx, names: list[str] | None) -> dict[int, str]:
        return access.readable_projects(tx, self.caller, names)


async def request_context(
    request: Request, svc: Service = Depends(service), caller: Caller = Depends(authenticate)
) -> RequestContext:
    return RequestContext(svc, caller, request)


@contextmanager
def authenticated_read(request: Request, svc: Service) -> Iterator[tuple[RequestContext, Tx]]:
    """A read transaction that first looks up the caller, for endpoints that answer from one read
    (GraphQL queries): a single connection, ping and BEGIN/COMMIT per request instead of two, and no
    threadpool hop for an ``authenticate`` dependency."""
    with svc.db.read() as conn:
        ctx = RequestContext(svc, caller_of(conn, request, svc), request)
        yield ctx, Tx(conn, svc.codecs)
