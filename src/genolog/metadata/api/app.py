"""The FastAPI application of the metadata service."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi_offline import FastAPIOffline

from genolog import __version__
from genolog.metadata.api import (
    analyses,
    analysis_runner,
    assays,
    enums,
    families,
    participants,
    projects,
    samples,
    sequencing_groups,
)
from genolog.metadata.api.errors import install_error_handlers
from genolog.metadata.api.service import Service
from genolog.metadata.graphql.router import GRAPHIQL_STATIC, graphiql_assets
from genolog.metadata.graphql.router import router as graphql_router

API_PREFIX = "/api/v1"
ROUTERS = (
    projects,
    participants,
    samples,
    assays,
    sequencing_groups,
    families,
    analyses,
    analysis_runner,
    enums,
)


def create_app(svc: Service) -> FastAPI:
    app = FastAPIOffline(  # /docs with Swagger UI served from the package, so it works offline
        title="genolog metadata service",
        version=__version__,
        description="Participants, families, samples, assays, sequencing groups and analyses, with full history.",
    )
    app.state.service = svc
    install_error_handlers(app)

    @app.middleware("http")
    async def _process_time(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        response.headers["X-Process-Time"] = f"{(time.perf_counter() - started) * 1000:.1f}ms"
        return response

    @app.get("/health", tags=["meta"])
    def health() -> dict[str, str]:
        with svc.db.read() as conn:
            conn.exec_driver_sql("SELECT 1")
        return {"status": "ok", "version": __version__}

    for module in ROUTERS:
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(graphql_router)
    app.mount(GRAPHIQL_STATIC, graphiql_assets(), name="graphiql-static")
    return app
