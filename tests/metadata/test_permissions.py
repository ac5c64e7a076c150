"""The role matrix: every REST route, called with no token, a bad or revoked token, and as each project role.

One of everything is written straight through the store layer, once per database backend; a test that
changes the data puts every table back as it was seeded before the next test runs, and a test that should
not change anything fails if it did. So each (route, caller) pair is its own test, and the matrix is fast.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Connection

from genolog.metadata import pedigree, tables
from genolog.metadata.app import create_app
from genolog.metadata.context import AuditInfo, IdCodecs, Tx
from genolog.metadata.db import Database
from genolog.metadata.models import Analysis, ParticipantUpsert, SampleUpsert
from genolog.metadata.service import Service
from genolog.metadata.settings import SeqrSettings, ServerSettings
from genolog.metadata.store import analyses, analysis_runner, families, identity, projects
from genolog.metadata.store.upserts import upsert_items
from tests.metadata.support import dump, restore, sample_with_group, sequencing_assay

PROJECT = "hidden"  # the project every route is aimed at; its name must never leak to outsiders
ROLES = ("reader", "contributor", "writer", "project_admin", "project_member_admin")
READ = frozenset({"reader", "contributor", "writer"})
CONTRIBUTE = frozenset({"contributor", "writer"})
WRITE = frozenset({"writer"})
ANY = frozenset(ROLES)
NONE: frozenset[str] = frozenset()

# Identifiers of things that do not exist, for comparing an outsider's 404 with a stranger's.
CODECS = IdCodecs.create("XPG", 0, "CPG", 0)  # the default settings, as the tests' services use
GHOST = {
    "project": "nope",
    "participant": "90001",
    "sample": CODECS.sample.format(90002),
    "sg": CODECS.sequencing_group.format(90003),
    "assay": "90004",
    "family": "90005",
    "analysis": "90006",
    "ar_guid": "ghost-guid",
    "sample2": CODECS.sample.format(90007),
    "family2": "90008",
}
SEQR_GUID = "R0001_hidden"  # the project's seqr project for genomes
AR_FIELDS = {
    "ar_guid": "new-guid",
    "repository": "genolog",
    "commit": "abc123",
    "script": "python main.py",
    "description": "a run",
    "driver_image": "driver:1",
    "config_path": "gs://config.toml",
    "environment": "gcp",
    "batch_url": "https://batch/1",
    "submitting_user": "someone",
    "output_path": "gs://out",
}


@dataclass(frozen=True)
class Route:
    """One REST route: how to call it with valid input (``{placeholders}`` name seeded ids), who may."""

    name: str
    method: str
    path: str
    allowed: frozenset[str]
    json: Callable[[dict[str, str]], Any] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    files: dict[str, tuple[str, str]] | None = None
    # "project": aimed at one project, so a caller with no role there gets 404; "site": not project-bound
    scope: str = "project"
    template: str = ""  # the path as declared by the app, when it differs from ``path``
    # what an allowed caller gets instead of a 2xx in this world, as (status, error name): a route that
    # needs a server the world has not configured still checks the caller's rights first
    answer: tuple[int, str] | None = None

    def request(self, ids: dict[str, str]) -> dict[str, Any]:
        params = {k: v.format(**ids) if isinstance(v, str) else v for k, v in self.params.items()}
        return {
            "method": self.method,
            "url": "/api/v1" + self.path.format(**ids),
            "json": self.json(ids) if self.json else None,
            "params": params or None,
            "files": self.files,
        }


def _enum_routes() -> list[Route]:
    routes = []
    for segment in (
        "analysis-type",
        "assay-type",
        "sample-type",
        "sequencing-type",
        "sequencing-technology",
        "sequencing-platform",
    ):
        routes.append(Route(f"get-{segment}", "GET", f"/enums/{segment}", ANY, scope="site"))
        routes.append(
            Route(
                f"post-{segment}", "POST", f"/enums/{segment}", NONE, params={"new_type": "x"}, scope="site"
            )
        )
    return routes


ROUTES = [
    # projects
    Route("getAllProjects", "GET", "/project/all", ANY, scope="site"),
    Route("getMyProjects", "GET", "/project/", ANY, scope="site"),
    Route("createProject", "PUT", "/project/", NONE, params={"name": "brand-new"}, scope="site"),
    Route("getSeqrProjects", "GET", "/project/seqr/all", ANY, scope="site"),
    Route(
        "updateProject",
        "POST",
        "/project/{project}/update",
        frozenset({"project_admin"}),
        json=lambda i: {"meta": {"k": 1}},
    ),
    Route(
        "deleteProjectData",
        "DELETE",
        "/project/{project}-test",
        frozenset({"project_admin"}),
        template="/project/{project}",
    ),
    Route(
        "updateProjectMembers",
        "PATCH",
        "/project/{project}/members",
        frozenset({"project_member_admin"}),
        json=lambda i: [{"member": "someone", "roles": ["reader"]}],
    ),
    Route(
        "getProjectMembers",
        "GET",
        "/project/{project}/members",
        READ | {"project_admin", "project_member_admin"},
    ),
    Route("getProjectHistory", "GET", "/project/{project}/history", ANY),
    # participants
    Route(
        "updateManyParticipants",
        "POST",
        "/participant/update-many",
        WRITE,
        json=lambda i: {i["participant"]: "P1-renamed"},
    ),
    Route(
        "upsertParticipants",
        "PUT",
        "/participant/{project}/upsert-many",
        WRITE,
        json=lambda i: [{"external_ids": {"": "P9"}, "samples": [sample_with_group("S9")]}],
    ),
    Route(
        "updateParticipant",
        "POST",
        "/participant/{participant}/update-participant",
        WRITE,
        json=lambda i: {"meta": {"k": 1}},
        template="/participant/{participant_id}/update-participant",
    ),
    Route(
        "getParticipantIdMapByExternalIds",
        "POST",
        "/participant/{project}/id-map/external",
        READ,
        json=lambda i: ["P1"],
    ),
    Route("getParticipants", "POST", "/participant/{project}", READ, json=lambda i: {}),
    Route(
        "getHistoryOfParticipant",
        "GET",
        "/participant/{participant}/history",
        READ,
        template="/participant/{participant_id}/history",
    ),
    Route("fillInMissingParticipants", "POST", "/participant/{project}/fill-in-missing-participants", WRITE),
    Route(
        "updateParticipantFamily",
        "POST",
        "/participant/{participant}/update-participant-family",
        WRITE,
        params={"old_family_id": "{family}", "new_family_id": "{family2}"},
        template="/participant/{participant_id}/update-participant-family",
    ),
    Route("getIndividualMetadataForSeqr", "GET", "/participant/{project}/individual-metadata-seqr", READ),
    Route(
        "getExternalParticipantIdToSequencingGroupId",
        "GET",
        "/participant/{project}/external-pid-to-sg-id",
        READ,
        params={"flip_columns": True},
    ),
    Route("exportParticipants", "GET", "/participant/{project}/export/participant_table.parquet", READ),
    # samples
    Route("getSamples", "POST", "/sample/", READ, json=lambda i: {"project_ids": [i["project"]]}),
    Route("getSampleIdMapByInternal", "POST", "/sample/id-map/internal", READ, json=lambda i: [i["sample"]]),
    Route("getSamplesCreateDate", "POST", "/sample/samples-create-date", READ, json=lambda i: [i["sample"]]),
    Route(
        "createSample",
        "PUT",
        "/sample/{project}/",
        WRITE,
        json=lambda i: {"external_ids": {"": "S9"}, "type": "blood"},
    ),
    Route(
        "upsertSamples",
        "PUT",
        "/sample/{project}/upsert-many",
        WRITE,
        json=lambda i: [sample_with_group("S9")],
    ),
    # bulk ingest: one NDJSON line is a JSON object
    Route("ingest", "POST", "/ingest/{project}", WRITE, json=lambda i: {"sample": sample_with_group("S9")}),
    Route(
        "getSampleIdMapByExternal", "POST", "/sample/{project}/id-map/external", READ, json=lambda i: ["S1"]
    ),
    Route("getAllSampleIdMapByInternal", "GET", "/sample/{project}/id-map/internal/all", READ),
    Route(
        "getSampleByExternalId",
        "GET",
        "/sample/{project}/S1/details",
        READ,
        template="/sample/{project}/{external_id}/details",
    ),
    Route("getHistoryOfSample", "GET", "/sample/{sample}/history", READ, template="/sample/{id_}/history"),
    Route(
        "getAuditHistoryOfSample",
        "GET",
        "/sample/{sample}/audit-history",
        READ,
        template="/sample/{id_}/audit-history",
    ),
    Route("getSampleById", "GET", "/sample/{sample}", READ, template="/sample/{id_}"),
    Route(
        "updateSample",
        "PATCH",
        "/sample/{sample}",
        WRITE,
        json=lambda i: {"meta": {"k": 1}},
        template="/sample/{id_}",
    ),
    Route(
        "mergeSamples", "PATCH", "/sample/{sample}/{sample2}", WRITE, template="/sample/{id_keep}/{id_merge}"
    ),
    Route("exportSamples", "GET", "/sample/{project}/export/sample_table.parquet", READ),
    # assays
    Route(
        "createAssay",
        "PUT",
        "/assay/",
        WRITE,
        json=lambda i: {**sequencing_assay("gs://b/x.fq"), "sample_id": i["sample"]},
    ),
    Route("updateAssay", "PATCH", "/assay/", WRITE, json=lambda i: {"id": int(i["assay"]), "meta": {"k": 1}}),
    Route(
        "getAssaysByCriteria", "POST", "/assay/criteria", READ, json=lambda i: {"projects": [i["project"]]}
    ),
    Route("getAssayById", "GET", "/assay/{assay}/details", READ, template="/assay/{assay_id}/details"),
    Route(
        "getAssayByExternalId",
        "GET",
        "/assay/{project}/external_id/A1/details",
        READ,
        template="/assay/{project}/external_id/{external_id}/details",
    ),
    Route("getHistoryOfAssay", "GET", "/assay/{assay}/history", READ, template="/assay/{assay_id}/history"),
    # sequencing groups
    Route("archiveSequencingGroups", "PATCH", "/sequencing-group/archive", WRITE, json=lambda i: [i["sg"]]),
    Route("getAllSequencingGroupIdsBySampleByType", "GET", "/sequencing-group/project/{project}", READ),
    Route(
        "updateSequencingGroup",
        "PATCH",
        "/sequencing-group/project/{sg}",
        WRITE,
        json=lambda i: {"meta": {"k": 1}},
        params={"project": "{project}"},
        template="/sequencing-group/project/{sequencing_group_id}",
    ),
    Route(
        "getHistoryOfSequencingGroup",
        "GET",
        "/sequencing-group/{sg}/history",
        READ,
        template="/sequencing-group/{sequencing_group_id}/history",
    ),
    Route(
        "getSequencingGroup",
        "GET",
        "/sequencing-group/{sg}",
        READ,
        template="/sequencing-group/{sequencing_group_id}",
    ),
    # families
    Route(
        "importPedigree",
        "POST",
        "/family/{project}/pedigree",
        WRITE,
        files={"file": ("trio.ped", "FAM1\tP1\t0\t0\t1\t2\n")},
    ),
    Route("getPedigree", "GET", "/family/{project}/pedigree", READ),
    Route(
        "importFamilies",
        "POST",
        "/family/{project}/family-template",
        WRITE,
        files={"file": ("families.tsv", "Family ID\tDescription\nFAM1\tthe first\nFAM3\tnew\n")},
    ),
    Route("getFamilies", "GET", "/family/{project}/", READ),
    Route(
        "updateFamily", "POST", "/family/", WRITE, json=lambda i: {"id": int(i["family"]), "description": "d"}
    ),
    Route(
        "getHistoryOfFamily", "GET", "/family/{family}/history", READ, template="/family/{family_id}/history"
    ),
    # analyses
    Route("queryAnalyses", "POST", "/analysis/query", READ, json=lambda i: {"projects": [i["project"]]}),
    Route(
        "createAnalysis",
        "PUT",
        "/analysis/{project}/",
        WRITE,
        json=lambda i: {"type": "cram", "status": "queued", "sequencing_group_ids": [i["sg"]]},
    ),
    Route(
        "updateAnalysis",
        "PATCH",
        "/analysis/{analysis}/",
        WRITE,
        json=lambda i: {"status": "failed"},
        template="/analysis/{analysis_id}/",
    ),
    Route(
        "getAnalysisById",
        "GET",
        "/analysis/{analysis}/details",
        READ,
        template="/analysis/{analysis_id}/details",
    ),
    Route(
        "getHistoryOfAnalysis",
        "GET",
        "/analysis/{analysis}/history",
        READ,
        template="/analysis/{analysis_id}/history",
    ),
    Route("getIncompleteAnalyses", "GET", "/analysis/{project}/incomplete", READ),
    Route(
        "getLatestCompleteAnalysisForType",
        "GET",
        "/analysis/{project}/cram/latest-complete",
        READ,
        template="/analysis/{project}/{analysis_type}/latest-complete",
    ),
    Route(
        "getLatestCompleteAnalysisForTypePost",
        "POST",
        "/analysis/{project}/cram/latest-complete",
        READ,
        json=lambda i: {"meta": {}},
        template="/analysis/{project}/{analysis_type}/latest-complete",
    ),
    Route(
        "getAllSampleIdsWithoutAnalysisType",
        "GET",
        "/analysis/{project}/type/gvcf/not-included-sample-ids",
        READ,
        template="/analysis/{project}/type/{analysis_type}/not-included-sample-ids",
    ),
    Route("getSamplesReadsMap", "GET", "/analysis/{project}/sample-cram-path-map", READ),
    Route(
        "getProportionateMap",
        "POST",
        "/analysis/cram-proportionate-map",
        READ,
        params={"start": "2024-01-01"},
        json=lambda i: {"projects": [i["project"]], "temporal_methods": ["SAMPLE_CREATE_DATE"]},
    ),
    # analysis-runner records: a test-level run needs contributor, any other level writer
    Route(
        "createAnalysisRunnerLog-test",
        "PUT",
        "/analysis-runner/{project}/",
        CONTRIBUTE,
        params={**AR_FIELDS, "access_level": "test"},
        json=lambda i: {"k": 1},
    ),
    Route(
        "createAnalysisRunnerLog-standard",
        "PUT",
        "/analysis-runner/{project}/",
        WRITE,
        params={**AR_FIELDS, "access_level": "standard"},
        json=lambda i: {"k": 1},
    ),
    Route("getAnalysisRunnerLogs", "GET", "/analysis-runner/{project}/", READ),
    Route(
        "updateAnalysisRunnerLogMeta",
        "PATCH",
        "/analysis-runner/{ar_guid}/meta",
        CONTRIBUTE,
        json=lambda i: {"outcome": "ok"},
    ),
    Route(
        "updateAnalysisRunnerLogOutcome",
        "PATCH",
        "/analysis-runner/{ar_guid}/outcome",
        CONTRIBUTE,
        json=lambda i: {"status": "succeeded", "exit_code": 0, "duration_seconds": 1.5},
    ),
    # the runner's pre-flight check (at standard access: writer on the dataset's own project)
    Route(
        "checkAnalysisRunnerAccess-standard",
        "GET",
        "/analysis-runner/{project}/access",
        WRITE,
        params={"access_level": "standard"},
        template="/analysis-runner/{dataset}/access",
    ),
    Route(
        "getAnalysisRunnerLog",
        "GET",
        "/analysis/analysis-runner",
        READ,
        params={"project_names": "{project}"},
    ),
    Route(
        "getAnalysisRunnerRuns",
        "GET",
        "/analysis-runner/runs",
        READ,
        params={"project_names": "{project}"},
    ),
    # seqr's individual metadata sheet
    Route(
        "importIndividualMetadataManifest",
        "POST",
        "/import/{project}/individual-metadata-manifest",
        WRITE,
        files={
            "file": (
                "individuals.tsv",
                "Family ID\tIndividual ID\tHPO Terms (present)\nFAM1\tP1\tHP:0000504\n",
            )
        },
    ),
    # cohorts: a contributor may make them (their criteria's projects need only be readable)
    Route(
        "createCohortFromCriteria",
        "POST",
        "/cohort/{project}/cohort",
        CONTRIBUTE,
        json=lambda i: {
            "cohort_spec": {"name": "everyone", "description": "d"},
            "cohort_criteria": {"projects": [i["project"]]},
        },
    ),
    Route(
        "createCohortTemplate",
        "POST",
        "/cohort/{project}/cohort_template",
        CONTRIBUTE,
        json=lambda i: {"name": "everyone", "description": "d", "criteria": {"projects": [i["project"]]}},
    ),
    # project insights of named projects: each must be readable (else its 404)
    Route(
        "getProjectInsightsSummary",
        "POST",
        "/project-insights/project-insights-summary",
        READ,
        json=lambda i: {"project_names": [i["project"]], "sequencing_types": ["genome"]},
    ),
    Route(
        "getProjectInsightsDetails",
        "POST",
        "/project-insights/project-insights-details",
        READ,
        json=lambda i: {"project_names": [i["project"]], "sequencing_types": ["genome"]},
    ),
    # the web pages' routes
    Route("getProjectSummary", "POST", "/web/{project}/summary", READ),
    Route(
        "getProjectParticipantsGridWithLimit",
        "POST",
        "/web/{project}/participants",
        READ,
        params={"limit": 10},
        json=lambda i: {},
    ),
    Route("getProjectParticipantsFilterSchema", "POST", "/web/{project}/participants/schema", READ),
    Route(
        "exportProjectParticipants",
        "POST",
        "/web/{project}/participants/export/csv",
        READ,
        json=lambda i: {"query": {}},
        template="/web/{project}/participants/export/{export_type}",
    ),
    # everyone may search; each finds only what it may read (test_search_finds_only_readable_projects)
    Route("searchByKeyword", "GET", "/web/search", ANY, params={"keyword": "P1"}, scope="site"),
    # no seqr server is configured here: the rights are checked before that 400
    Route(
        "getSeqrFamilyGuidMap",
        "GET",
        "/web/{project}/genome/seqr-family-guid-map",
        READ,
        answer=(400, "SeqrNotConfigured"),
        template="/web/{project}/{sequencing_type}/seqr-family-guid-map",
    ),
    Route(
        "syncSeqrProject",
        "POST",
        "/web/{project}/genome/sync-dataset",
        WRITE,
        json=lambda i: ["SNV_INDEL"],
        answer=(400, "SeqrNotConfigured"),
        template="/web/{project}/{sequencing_type}/sync-dataset",
    ),
    *_enum_routes(),
]
ROUTE_IDS = [r.name for r in ROUTES]
# Callers with no usable role on the project: "outsider" holds a role on another project only.
CALLERS = (*ROLES, "outsider")


def seed(svc: Service) -> tuple[dict[str, str], dict[str, str]]:
    """One transaction: a project (and its -test twin) with one member per role, and one of everything."""
    with svc.db.write() as conn:
        tx = Tx(conn, svc.codecs, AuditInfo(author="seed"))
        project_id = projects.create(tx, PROJECT, PROJECT, create_test_project=True)
        other_id = projects.create(tx, "elsewhere", None, create_test_project=False)
        test_twin = projects.get_by_name(conn, f"{PROJECT}-test")
        assert test_twin is not None
        roster = [(role, [role]) for role in ROLES]
        for pid in (project_id, test_twin["id"]):
            projects.set_members(tx, pid, roster)
        projects.set_members(
            tx, other_id, [("outsider", ["writer", "project_admin", "project_member_admin"])]
        )

        body: dict[str, Any] = {
            "external_ids": {"": "P1"},
            "samples": [sample_with_group("S1")],
            "phenotypes": {"HPO Terms (present)": "HP:0000504"},
        }
        body["samples"][0]["sequencing_groups"][0]["assays"][0]["external_ids"] = {"": "A1"}
        participant = upsert_items(
            tx, project_id, [ParticipantUpsert.model_validate(body)], echo=True
        ).results[0]
        sample = participant["samples"][0]
        sg = sample["sequencing_groups"][0]
        # a sample without a participant: to fill in, or to merge into the first
        sample2 = upsert_items(
            tx, project_id, [SampleUpsert.model_validate({"external_ids": {"": "S2"}, "type": "blood"})]
        ).ids[0]
        projects.update_meta(tx, project_id, {"seqr-project-genome": SEQR_GUID})
        families.import_pedigree(
            tx,
            project_id,
            pedigree.parse("FAM1\tP1\t0\t0\t1\t2\n"),
            create_missing_participants=False,
            perform_sex_check=True,
        )
        family_id = tx.conn.execute(
            sa.select(tables.family.c.id).where(tables.family.c.project_id == project_id)
        ).scalar_one()
        family2_id = families.create(tx, project_id, "FAM2")  # where P1 can move
        analysis_id = analyses.create(
            tx,
            project_id,
            Analysis.model_validate(
                {
                    "type": "cram",
                    "status": "completed",
                    "sequencing_group_ids": [sg["id"]],
                    "output": "gs://a.cram",
                    "meta": {"size": 1000},  # the CRAM proportionate map counts it
                }
            ),
        )
        analysis_runner.create(
            tx,
            project_id,
            {
                **AR_FIELDS,
                "ar_guid": "seeded-guid",
                "access_level": "test",
                "cwd": None,
                "hail_version": None,
            },
            {},
        )
        tx.finish()

        tokens = {caller: identity.create_token(conn, caller)[1] for caller in CALLERS}
        revoked_id, tokens["revoked"] = identity.create_token(conn, "writer", "revoked")
        identity.revoke_token(conn, revoked_id)
    ids = {
        "project": PROJECT,
        "participant": str(participant["id"]),
        "sample": sample["id"],
        "sg": sg["id"],
        "assay": str(sg["assays"][0]["id"]),
        "family": str(family_id),
        "analysis": str(analysis_id),
        "ar_guid": "seeded-guid",
        "sample2": svc.codecs.sample.format(sample2),
        "family2": str(family2_id),
    }
    return tokens, ids


# --- one seeded database per backend, put back to its seeded state after any test that wrote to it ---


def fingerprint(conn: Connection) -> tuple[Any, ...]:
    """Cheap evidence of a write: the audit-log high-water mark and the rows written without one."""
    return tuple(
        conn.execute(
            sa.select(
                sa.select(sa.func.max(tables.audit_log.c.id)).scalar_subquery(),
                sa.select(sa.func.count()).select_from(tables.enum_value).scalar_subquery(),
                sa.select(sa.func.count()).select_from(tables.api_token).scalar_subquery(),
                sa.select(sa.func.count()).select_from(tables.site_role).scalar_subquery(),
            )
        ).one()
    )


@dataclass
class World:
    """A seeded database behind a test client: tokens per caller and the ids of one of everything."""

    svc: Service
    client: TestClient
    tokens: dict[str, str]
    ids: dict[str, str]
    snapshot: dict[str, list[dict[str, Any]]]
    seeded: tuple[Any, ...]
    dirty: bool = False  # the current test is allowed to change the data

    def call(self, route: Route, caller: str | None, ids: dict[str, str] | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[caller]}"} if caller else {}
        return self.client.request(headers=headers, **route.request(ids or self.ids))

    def changed(self) -> bool:
        with self.svc.db.read() as conn:
            return fingerprint(conn) != self.seeded

    def restore(self) -> None:
        restore(self.svc.db, self.snapshot)


def _database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated, empty database for this module: a copied SQLite file, or the session's PostgreSQL one."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("permissions") / "genolog.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url, enums = request.getfixturevalue("postgres_template")  # skips (or fails in CI) without PostgreSQL
    db = Database(url)
    restore(db, {"enum_value": enums})  # other modules' tests leave their data behind
    db.dispose()
    return str(url)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    url = _database(request, tmp_path_factory)
    svc = Service.create(ServerSettings(db=url), Database(url))
    tokens, ids = seed(svc)
    with svc.db.read() as conn:
        snapshot, seeded_state = dump(conn), fingerprint(conn)
    # one client (and so one event-loop thread) for the whole module keeps each request cheap
    with TestClient(create_app(svc), raise_server_exceptions=False) as client:
        yield World(svc, client, tokens, ids, snapshot, seeded_state)
    svc.db.dispose()


@pytest.fixture
def world(seeded: World) -> Iterator[World]:
    """The seeded world, as seeded. A test that may write sets ``dirty``; one that writes unexpectedly fails."""
    yield seeded
    if seeded.changed():
        if not seeded.dirty:
            seeded.restore()
            pytest.fail("a request that should not write anything changed the database")
        seeded.restore()
    seeded.dirty = False


def assert_error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, f"{response.status_code} {response.text}"
    body = response.json()
    assert set(body) == {"name", "description"}, body
    assert isinstance(body["description"], str) and body["description"]
    return body


def test_the_matrix_lists_every_route() -> None:
    """A new route must be added to ROUTES (with its roles) before it can ship."""
    app = create_app(Service.create(ServerSettings(db="sqlite://")))
    declared = {
        (method.upper(), path.removeprefix("/api/v1"))
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/api/v1/")
        for method in operations
    }
    tested = {(r.method, r.template or r.path) for r in ROUTES}
    assert declared == tested
    assert len(set(ROUTE_IDS)) == len(ROUTE_IDS)


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
@pytest.mark.parametrize("token", ["no-token", "bad-token", "revoked-token"])
def test_unauthenticated_callers_get_401(world: World, route: Route, token: str) -> None:
    headers = {
        "no-token": {},
        "bad-token": {"Authorization": "Bearer glt_not-a-real-token"},
        "revoked-token": {"Authorization": f"Bearer {world.tokens['revoked']}"},  # was a writer's
    }[token]
    response = world.client.request(headers=headers, **route.request(world.ids))
    body = assert_error(response, 401)
    assert body["name"] == "Unauthenticated"
    assert PROJECT not in body["description"]


@pytest.mark.parametrize("header", ["Token abc", "Bearer ", "Basic dXNlcjpwYXNz", "glt_abc"])
def test_a_malformed_authorization_header_gets_401(world: World, header: str) -> None:
    response = world.client.get(f"/api/v1/project/{PROJECT}/members", headers={"Authorization": header})
    assert "Bearer <token>" in assert_error(response, 401)["description"]


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
@pytest.mark.parametrize("caller", CALLERS)
def test_role_matrix(world: World, route: Route, caller: str) -> None:
    response = world.call(route, caller)
    if caller == "outsider" and route.scope == "project":
        # The project does not exist for this caller: it gets the same 404 as for things that do not
        # exist at all, and nothing in it names the hidden project (unless the caller did) or its roles.
        body = assert_error(response, 404)
        ghost = assert_error(world.call(route, caller, GHOST), 404)
        expected = ghost["description"]
        for key, value in GHOST.items():
            expected = expected.replace(value, world.ids[key])
        assert body == {**ghost, "description": expected}
        if PROJECT not in str(route.request(world.ids)):
            assert PROJECT not in body["description"]
        assert not any(role in body["description"] for role in ROLES)
    elif caller in route.allowed or (caller == "outsider" and route.allowed == ANY):
        world.dirty = True
        if route.answer is not None:
            status, name = route.answer
            assert assert_error(response, status)["name"] == name
        else:
            assert 200 <= response.status_code < 300, f"{response.status_code} {response.text}"
    else:
        body = assert_error(response, 403)
        assert body["name"] == "Forbidden"


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("keyword", ["P1", "s1", "FAM", "{sample}", "{sg}"])
def test_search_finds_only_readable_projects(world: World, caller: str, keyword: str) -> None:
    """What a keyword finds (an external id's start, any case, or an id) is of projects the caller reads:
    a caller without a read role on the project finds nothing of it, not even that it exists."""
    route = ROUTES[ROUTE_IDS.index("searchByKeyword")]
    search = Route(route.name, route.method, route.path, route.allowed, params={"keyword": keyword})
    response = world.call(search, caller)
    assert response.status_code == 200, response.text
    found = response.json()["responses"]
    if caller in READ:
        assert found and {r["data"]["project"] for r in found} == {PROJECT}
    else:
        assert found == []
        assert PROJECT not in response.text


def test_seqr_routes_check_rights_before_calling_seqr(world: World) -> None:
    """With a seqr server configured (one that cannot be reached), a caller with the role gets as far as
    calling it; the others are stopped by their rights before anything is sent."""
    with socket.socket() as free:  # a port nothing listens on
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    seqr = SeqrSettings(url=f"http://127.0.0.1:{port}", timeout=5)
    svc = Service(ServerSettings(db=world.svc.db.url, seqr=seqr), world.svc.db, world.svc.codecs)
    client = TestClient(create_app(svc), raise_server_exceptions=False)
    guid_map = ROUTES[ROUTE_IDS.index("getSeqrFamilyGuidMap")]
    sync = ROUTES[ROUTE_IDS.index("syncSeqrProject")]

    def call(route: Route, caller: str, **params: Any) -> httpx.Response:
        request = route.request(world.ids)
        request["params"] = {**(request["params"] or {}), **params}
        return client.request(headers={"Authorization": f"Bearer {world.tokens[caller]}"}, **request)

    unreachable = assert_error(call(guid_map, "reader"), 502)
    assert unreachable["name"] == "SeqrUnavailable" and SEQR_GUID in unreachable["description"]
    assert assert_error(call(guid_map, "project_admin"), 403)["name"] == "Forbidden"
    assert assert_error(call(guid_map, "outsider"), 404)["name"] == "NotFound"
    # a sync reports seqr's failure to take the pedigree, and stops there
    synced = call(sync, "writer", sync_es_index=False)
    assert synced.status_code == 200, synced.text
    assert synced.json()["success"] is False and SEQR_GUID in synced.json()["errors"][0]
    assert assert_error(call(sync, "reader", sync_es_index=False), 403)["name"] == "Forbidden"
    assert assert_error(call(sync, "outsider", sync_es_index=False), 404)["name"] == "NotFound"


@pytest.mark.parametrize(
    ("site_role", "route_name", "status"),
    [
        ("admin", "createProject", 200),
        ("project-creator", "createProject", 200),
        ("members-admin", "createProject", 403),
        ("admin", "post-sample-type", 200),
        ("project-creator", "post-sample-type", 403),
        ("members-admin", "post-sample-type", 403),
        # a project-creator holds no role on projects it did not create: they do not exist for it
        ("project-creator", "updateProject", 404),
        ("project-creator", "deleteProjectData", 404),
        ("project-creator", "getSampleById", 404),
        ("project-creator", "updateProjectMembers", 404),
        ("members-admin", "updateProjectMembers", 200),  # members-admins manage every member list
        ("members-admin", "updateProject", 403),
        ("admin", "upsertSamples", 200),
        ("admin", "deleteProjectData", 200),
        ("admin", "getSampleById", 200),
    ],
)
def test_site_roles(world: World, site_role: str, route_name: str, status: int) -> None:
    world.dirty = True
    with world.svc.db.write() as conn:
        identity.grant_site_role(conn, "site-user", site_role)
        token = identity.create_token(conn, "site-user")[1]
    route = ROUTES[ROUTE_IDS.index(route_name)]
    response = world.client.request(headers={"Authorization": f"Bearer {token}"}, **route.request(world.ids))
    if status == 200:
        assert response.status_code == 200, response.text
    else:
        assert_error(response, status)


def test_dev_mode_treats_unauthenticated_requests_as_an_admin(world: World) -> None:
    world.dirty = True
    svc = Service(ServerSettings(db=world.svc.db.url, dev_user="dev"), world.svc.db, world.svc.codecs)
    dev = TestClient(create_app(svc), raise_server_exceptions=False)
    assert (
        dev.put("/api/v1/project/", params={"name": "local", "create_test_project": True}).status_code == 200
    )
    assert dev.post("/api/v1/enums/sample-type", params={"new_type": "saliva"}).status_code == 200
    created = dev.put("/api/v1/sample/local/upsert-many", json=[sample_with_group("S1")])
    assert created.status_code == 200, created.text
    assert dev.delete("/api/v1/project/local-test").status_code == 200
    # the development user administers every project, including one it is no member of
    assert dev.post(f"/api/v1/project/{PROJECT}/update", json={"meta": {"k": 1}}).status_code == 200
    assert dev.patch(f"/api/v1/project/{PROJECT}/members", json=[]).status_code == 200
    projects_seen = {p["name"]: p["roles"] for p in dev.get("/api/v1/project/all").json()}
    assert {"local", "local-test", PROJECT, f"{PROJECT}-test"} <= set(projects_seen)
    assert {"writer", "project_admin", "project_member_admin"} <= set(projects_seen[PROJECT])
    history = dev.get(f"/api/v1/sample/{created.json()[0]['id']}/history").json()
    assert history[0]["author"] == "dev"
    # a token, when sent, still has to be valid
    assert_error(dev.get("/api/v1/project/all", headers={"Authorization": "Bearer glt_wrong"}), 401)


def test_without_dev_user_unauthenticated_requests_get_401(world: World) -> None:
    assert world.svc.settings.dev_user is None  # development mode is off unless asked for
    for method, path in (("GET", "/project/all"), ("PUT", "/project/?name=x"), ("GET", "/enums/sample-type")):
        assert assert_error(world.client.request(method, f"/api/v1{path}"), 401)["name"] == "Unauthenticated"
