"""The FastAPI application of the metadata service."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from genolog import __version__
from genolog.metadata import observability
from genolog.metadata.api import (
    analyses,
    analysis_runner,
    assays,
    cohorts,
    enums,
    families,
    imports,
    ingest,
    participants,
    project_insights,
    projects,
    samples,
    sequencing_groups,
    web,
)
from genolog.metadata.api.body_limit import BodyLimitMiddleware
from genolog.metadata.api.errors import install_error_handlers
from genolog.metadata.api.headers import SecurityHeadersMiddleware
from genolog.metadata.errors import MetadataError
from genolog.metadata.graphql.context import GraphQLContext
from genolog.metadata.graphql.query import schema
from genolog.metadata.graphql.router import GRAPHIQL_STATIC, fast_executor, graphiql_assets
from genolog.metadata.graphql.router import router as graphql_router
from genolog.metadata.service import Service, Session
from genolog.metadata.service.in_process import InProcessQuery, QueryFailed
from genolog.web import analyses as web_analyses
from genolog.web import cohort_qc as web_cohort_qc
from genolog.web import edits as web_edits
from genolog.web import families as web_families
from genolog.web import members as web_members
from genolog.web import oidc_login as web_oidc_login
from genolog.web import pages as web_pages
from genolog.web import search as web_search
from genolog.web import storage as web_storage
from genolog.web.render import STATIC as WEB_STATIC
from genolog.web.render import static_files as web_static_files

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
    ingest,
    imports,
    cohorts,  # the /cohort, /project-insights and /web routes of the published client
    project_insights,
    web,
)


def graphql_in_process(
    session: Session, text: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The pages' GraphQL (``InProcessQuery``): ``data`` of a read query as ``session``'s caller, on the
    API's own executor. The orjson round trip makes it the JSON ``/graphql`` sends (meta fields come out
    of the fast executor as raw JSON text)."""
    context = GraphQLContext(session.tx, session.caller)
    try:
        data = fast_executor.execute(text, variables, None, {"genolog": context})
        if data is None:  # an error: strawberry runs it again and reports it exactly
            result = schema.execute_sync(text, variable_values=variables, context_value={"genolog": context})
            for error in result.errors or ():
                if isinstance(error.original_error, MetadataError):
                    raise error.original_error
            if result.errors:
                raise QueryFailed("; ".join(e.message for e in result.errors))
            data = result.data
        answer: dict[str, Any] = orjson.loads(orjson.dumps(data))
    finally:
        context.release()
    return answer


def create_app(svc: Service) -> FastAPI:
    app = FastAPIOffline(  # /docs with Swagger UI served from the package, so it works offline
        title="genolog metadata service",
        version=__version__,
        description="Participants, families, samples, assays, sequencing groups and analyses, with full history.",
    )
    app.state.service = svc
    in_process: InProcessQuery = graphql_in_process
    app.state.graphql_in_process = in_process  # the pages' queries (web.graph)
    install_error_handlers(app)

    # the last added runs first: a refused body is answered with the security headers and the time
    app.add_middleware(BodyLimitMiddleware, svc=svc, streamed=(f"{API_PREFIX}{ingest.router.prefix}/",))
    app.add_middleware(SecurityHeadersMiddleware)
    # the outermost: it times all the rest (X-Process-Time, the metrics, the access log)
    observability.install(app, svc.settings)

    @app.get("/health", tags=["meta"])
    def health() -> dict[str, str]:
        with svc.db.read() as conn:
            conn.exec_driver_sql("SELECT 1")
        return {"status": "ok", "version": __version__}

    for module in ROUTERS:
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(graphql_router)
    app.include_router(web_storage.router)
    app.include_router(web_pages.router)  # the web interface: /, /signin, /projects/...
    app.include_router(web_oidc_login.router)  # signing in with the OpenID provider: /signin/oidc
    app.include_router(web_families.router)  # sequencing-group, family and pedigree pages
    app.include_router(web_analyses.router)  # analyses list, analysis-runner runs
    app.include_router(web_members.router)  # the members page
    app.include_router(web_edits.router)  # writers' edit forms (meta, analysis status)
    app.include_router(web_cohort_qc.router)  # /projects/{project}/qc and qc.tsv
    app.include_router(web_search.router)  # the web interface's search box: /search
    app.mount(GRAPHIQL_STATIC, graphiql_assets(), name="graphiql-static")
    app.mount(WEB_STATIC, web_static_files(), name="web-static")
    return app
