"""Drives genolog's /cohort, /project-insights and /web routes with the published metamist client; prints
what it read back as JSON (an operation the server refused as ``{"status": ..., "body": ...}``).

``admin URL NO_SEQR_URL``: in local mode (the server's dev user) make two projects, ``ops`` and
``secret``, with participants, a pedigree, analyses and a member ``outsider`` (contributor of ``ops``
only), then call every operation; NO_SEQR_URL is a server with no seqr settings.
``outsider URL NO_SEQR_URL TOKEN IDS_JSON``: as ``outsider`` with its token, call them on both projects.
Run with SM_URL set (and SM_ENVIRONMENT=local for ``admin``).
"""

import io
import json
import sys
from typing import Any

from metamist.api_client import ApiClient
from metamist.apis import (
    AnalysisApi,
    CohortApi,
    FamilyApi,
    ParticipantApi,
    ProjectApi,
    ProjectInsightsApi,
    WebApi,
)
from metamist.configuration import Configuration
from metamist.exceptions import ApiException
from metamist.model_utils import ModelSimple
from metamist.models import (
    Analysis,
    AnalysisStatus,
    AssayUpsert,
    BodyCreateCohortFromCriteria,
    BodyExportProjectParticipants,
    BodyGetProjectInsightsDetails,
    BodyGetProjectInsightsSummary,
    CohortBody,
    CohortCriteria,
    CohortTemplate,
    ExportType,
    ParticipantUpsert,
    ProjectMemberUpdate,
    ProjectParticipantGridFilter,
    SampleUpsert,
    SeqrDatasetType,
    SequencingGroupUpsert,
)

MODE, URL, NO_SEQR_URL = sys.argv[1:4]
out: dict[str, Any] = {}


def plain(value: Any) -> Any:
    """A client model (or list or dict of them) as plain JSON values. Not the models' ``to_dict``: it
    fails on a list of plain dicts inside a free-form field (NestedSample.sequencing_groups), for any
    server."""
    if isinstance(value, ModelSimple):  # an enum
        return value.value
    if hasattr(value, "_data_store"):
        return plain(dict(value._data_store))
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def record(name: str, call: Any) -> Any:
    """Store what ``call()`` returned (the client deserialised it), or the refusal's status and body."""
    try:
        result = call()
    except ApiException as e:
        body = e.body.decode() if isinstance(e.body, bytes) else e.body
        out[name] = {"status": e.status, "body": json.loads(body) if body else None}
        return None
    out[name] = plain(result)
    return result


def client(url: str, token: str | None = None) -> ApiClient:
    configuration = Configuration(host=url, access_token=token)
    if token is not None:
        configuration.env = "token"  # send the token (the client sends none in local mode)
    return ApiClient(configuration)


def sequencing(kind: str, prefix: str, batch: Any = None) -> AssayUpsert:
    meta = {
        "reads_type": "fastq",
        "reads": [
            {"location": f"gs://upload/{prefix}_1.fq.gz", "basename": f"{prefix}_1.fq.gz", "class": "File"}
        ],
        "sequencing_type": kind,
        "sequencing_technology": "short-read",
        "sequencing_platform": "illumina",
    }
    if batch is not None:
        meta["batch"] = batch
    return AssayUpsert(type="sequencing", meta=meta)


def sample(eid: str, kind: str = "genome", batch: Any = None, meta: dict | None = None) -> SampleUpsert:
    return SampleUpsert(
        external_ids={"": eid},
        type="blood",
        meta=meta or {},
        sequencing_groups=[
            SequencingGroupUpsert(
                type=kind,
                technology="short-read",
                platform="illumina",
                assays=[sequencing(kind, eid, batch)],
            )
        ],
    )


def group_of(participant: dict, kind: str = "genome") -> str:
    return next(
        sg["id"] for s in participant["samples"] for sg in s["sequencing_groups"] if sg["type"] == kind
    )


def grid_filter(**parts: Any) -> ProjectParticipantGridFilter:
    return ProjectParticipantGridFilter(**parts)


def admin() -> None:
    main, no_seqr = client(URL), client(NO_SEQR_URL)
    projects = ProjectApi(main)
    for name in ("ops", "secret"):
        projects.create_project(name=name, dataset=name, create_test_project=False)
    dev = ProjectMemberUpdate(member="dev", roles=["reader", "writer", "project_admin"])
    projects.update_project_members(
        project="ops",
        project_member_update=[dev, ProjectMemberUpdate(member="outsider", roles=["contributor"])],
    )
    projects.update_project_members(project="secret", project_member_update=[dev])
    projects.update_project(
        project="ops",
        body={
            "meta": {"is_seqr": True, "seqr-project-genome": "R0001_ops", "seqr-project-exome": "R0002_fail"}
        },
    )

    people = ParticipantApi(main).upsert_participants(
        project="ops",
        participant_upsert=[
            ParticipantUpsert(
                external_ids={"": "P1"},
                reported_sex=1,
                meta={"cohort": "c1"},
                samples=[sample("S1", batch=1)],
            ),
            ParticipantUpsert(
                external_ids={"": "P2"},
                reported_sex=2,
                meta={"cohort": "c2"},
                samples=[sample("S2", batch=1)],
            ),
            ParticipantUpsert(
                external_ids={"": "P3", "kccg": "K3"},
                reported_sex=1,
                meta={"cohort": "c1"},
                phenotypes={
                    "HPO Terms (present)": "HP:0000001, HP:0000002",
                    "Birth Year": 2001,
                    "Consanguinity": "yes",
                },
                samples=[sample("S3", meta={"tissue": "blood"}), sample("S4", "exome")],
            ),
            ParticipantUpsert(external_ids={"": "P4"}, samples=[sample("S5")]),
        ],
    )
    secret = ParticipantApi(main).upsert_participants(
        project="secret",
        participant_upsert=[ParticipantUpsert(external_ids={"": "SX-P"}, samples=[sample("SX1")])],
    )
    ped = "Family ID\tIndividual ID\tPaternal ID\tMaternal ID\tSex\tPhenotype\nF1\tP1\t0\t0\t1\t1\nF1\tP2\t0\t0\t2\t1\nF1\tP3\tP1\tP2\t1\t2\n"
    ped_file = io.BytesIO(ped.encode())
    ped_file.name = "trio.ped"
    FamilyApi(main).import_pedigree(project="ops", file=ped_file, has_header=True)
    groups = {p["external_ids"][""]: group_of(p) for p in people}
    exome = group_of(people[2], "exome")
    out["ids"] = {
        "participants": {p["external_ids"][""]: p["id"] for p in people},
        "samples": {s["external_ids"][""]: s["id"] for p in people for s in p["samples"]},
        "groups": groups,
        "exome": exome,
        "secret_sample": secret[0]["samples"][0]["id"],
        "secret_group": group_of(secret[0]),
    }

    analyses = AnalysisApi(main)

    def analysis(kind: str, sgs: list[str], output: str, **meta: Any) -> int:
        return analyses.create_analysis(
            project="ops",
            analysis=Analysis(
                type=kind,
                status=AnalysisStatus("completed"),
                output=output,
                meta=meta,
                sequencing_group_ids=sgs,
            ),
        )

    analysis("cram", [groups["P1"]], "gs://cpg-ops-main/cram/P1.cram", sequencing_type="genome")
    analysis("cram", [exome], "gs://cpg-ops-main/exome/cram/P3.cram", sequencing_type="exome")
    analysis(
        "es-index", [groups["P1"], groups["P2"]], "ops-genome-es-1", sequencing_type="genome", stage="MtToEs"
    )
    out["es_index"] = analysis(
        "es-index",
        [groups["P1"], groups["P2"], groups["P3"]],
        "ops-genome-es-2",
        sequencing_type="genome",
        stage="MtToEs",
    )
    out["annotate"] = analysis(
        "custom",
        [groups["P1"], groups["P2"]],
        "gs://cpg-ops-main/annotate.mt",
        sequencing_type="genome",
        stage="AnnotateDataset",
    )
    analysis(
        "web",
        [groups["P1"]],
        "gs://cpg-ops-main-web/stripy/P1.html",
        stage="Stripy",
        outliers_detected=True,
        outlier_loci={"HTT": 40},
    )

    cohorts = CohortApi(main)
    template = record(
        "template",
        lambda: cohorts.create_cohort_template(
            project="ops",
            cohort_template=CohortTemplate(
                id=None,
                name="genomes",
                description="every genome",
                criteria=CohortCriteria(projects=["ops"], sg_type=["genome"]),
            ),
        ),
    )
    record(
        "cohort_dry_run",
        lambda: cohorts.create_cohort_from_criteria(
            project="ops",
            body_create_cohort_from_criteria=BodyCreateCohortFromCriteria(
                cohort_spec=CohortBody(name="from-template", description="d", template_id=template)
            ),
            dry_run=True,
        ),
    )
    record(
        "cohort",
        lambda: cohorts.create_cohort_from_criteria(
            project="ops",
            body_create_cohort_from_criteria=BodyCreateCohortFromCriteria(
                cohort_spec=CohortBody(name="picked", description="two of them"),
                cohort_criteria=CohortCriteria(
                    projects=["ops"], sg_ids_internal=[groups["P1"], exome], sg_type=["genome"]
                ),
            ),
            exclude_ineligible_sg_ids_internal=True,
        ),
    )
    record(
        "cohort_duplicate_name",
        lambda: cohorts.create_cohort_from_criteria(
            project="ops",
            body_create_cohort_from_criteria=BodyCreateCohortFromCriteria(
                cohort_spec=CohortBody(name="picked", description="again"),
                cohort_criteria=CohortCriteria(projects=["ops"]),
            ),
        ),
    )

    insights = ProjectInsightsApi(main)
    kinds = {"project_names": ["ops"], "sequencing_types": ["genome", "exome"]}
    record(
        "insights_summary",
        lambda: insights.get_project_insights_summary(BodyGetProjectInsightsSummary(**kinds)),
    )
    record(
        "insights_details",
        lambda: insights.get_project_insights_details(BodyGetProjectInsightsDetails(**kinds)),
    )

    web = WebApi(main)
    record("summary", lambda: web.get_project_summary(project="ops"))
    record("schema", lambda: web.get_project_participants_filter_schema(project="ops"))
    record(
        "grid",
        lambda: web.get_project_participants_grid_with_limit(
            project="ops", limit=10, project_participant_grid_filter=grid_filter()
        ),
    )
    record(
        "grid_page",
        lambda: web.get_project_participants_grid_with_limit(
            project="ops", limit=2, skip=1, project_participant_grid_filter=grid_filter()
        ),
    )
    record(
        "grid_filtered",
        lambda: web.get_project_participants_grid_with_limit(
            project="ops",
            limit=10,
            project_participant_grid_filter=grid_filter(
                participant={"meta": {"cohort": {"eq": "c1"}}},
                sample={"external_id": {"icontains": "s3"}},
                sequencing_group={"type": {"neq": "exome"}},
            ),
        ),
    )
    record(
        "grid_bad_limit",
        lambda: web.get_project_participants_grid_with_limit(
            project="ops", limit=100000, project_participant_grid_filter=grid_filter()
        ),
    )
    record(
        "grid_bad_filter",
        lambda: web.get_project_participants_grid_with_limit(
            project="ops",
            limit=10,
            project_participant_grid_filter=grid_filter(sample={"id": {"eq": "not-an-id"}}),
        ),
    )
    for kind in ("csv", "tsv", "json"):
        record(
            f"export_{kind}",
            lambda kind=kind: web.export_project_participants(
                export_type=ExportType(kind),
                project="ops",
                body_export_project_participants=BodyExportProjectParticipants(query=grid_filter()),
            ),
        )
    record(
        "export_fields",
        lambda: web.export_project_participants(
            export_type=ExportType("tsv"),
            project="ops",
            body_export_project_participants=BodyExportProjectParticipants(
                query=grid_filter(participant={"external_id": {"eq": "P3"}}),
                fields={  # ExportProjectParticipantFields
                    "fields": {
                        "p": [
                            {"key": "external_ids", "label": "Participant", "is_visible": True},
                            {"key": "meta.cohort", "label": "cohort", "is_visible": True},
                            {"key": "reported_sex", "label": "Sex", "is_visible": False},
                        ],
                        "sg": [{"key": "id", "label": "SG", "is_visible": True}],
                    }
                },
            ),
        ),
    )
    record("search_prefix", lambda: web.search_by_keyword(keyword="s"))
    record("search_secret_prefix", lambda: web.search_by_keyword(keyword="SX"))
    record("search_sample", lambda: web.search_by_keyword(keyword=out["ids"]["samples"]["S3"]))
    record("search_group", lambda: web.search_by_keyword(keyword=groups["P2"]))
    record("search_family", lambda: web.search_by_keyword(keyword="f1"))

    record("guid_map", lambda: web.get_seqr_family_guid_map(project="ops", sequencing_type="genome"))
    record(
        "guid_map_no_guid", lambda: web.get_seqr_family_guid_map(project="secret", sequencing_type="genome")
    )
    record(
        "sync",
        lambda: web.sync_seqr_project(
            project="ops",
            sequencing_type="genome",
            seqr_dataset_type=[SeqrDatasetType("SNV_INDEL"), SeqrDatasetType("SV")],
        ),
    )
    record(
        "sync_failing",
        lambda: web.sync_seqr_project(
            project="ops",
            sequencing_type="exome",
            seqr_dataset_type=[],
            sync_es_index=False,
            post_slack_notification=False,
        ),
    )
    unconfigured = WebApi(no_seqr)
    record(
        "guid_map_unconfigured",
        lambda: unconfigured.get_seqr_family_guid_map(project="ops", sequencing_type="genome"),
    )
    record(
        "sync_unconfigured",
        lambda: unconfigured.sync_seqr_project(
            project="ops", sequencing_type="genome", seqr_dataset_type=[SeqrDatasetType("SNV_INDEL")]
        ),
    )


def outsider(token: str, ids: dict[str, Any]) -> None:
    web, no_seqr = WebApi(client(URL, token)), WebApi(client(NO_SEQR_URL, token))
    out["my_projects"] = ProjectApi(client(URL, token)).get_my_projects()
    everything = grid_filter()
    record("summary_secret", lambda: web.get_project_summary(project="secret"))
    record("summary_ops", lambda: web.get_project_summary(project="ops"))
    record("schema_secret", lambda: web.get_project_participants_filter_schema(project="secret"))
    record(
        "grid_secret",
        lambda: web.get_project_participants_grid_with_limit(
            project="secret", limit=10, project_participant_grid_filter=everything
        ),
    )
    record(
        "grid_ops",
        lambda: web.get_project_participants_grid_with_limit(
            project="ops", limit=10, project_participant_grid_filter=everything
        ),
    )
    record(
        "export_secret",
        lambda: web.export_project_participants(
            export_type=ExportType("json"),
            project="secret",
            body_export_project_participants=BodyExportProjectParticipants(query=everything),
        ),
    )
    record("search_prefix", lambda: web.search_by_keyword(keyword="s"))
    record("search_secret_prefix", lambda: web.search_by_keyword(keyword="SX"))
    record("search_secret_sample", lambda: web.search_by_keyword(keyword=ids["secret_sample"]))
    record("search_secret_group", lambda: web.search_by_keyword(keyword=ids["secret_group"]))
    insights = ProjectInsightsApi(client(URL, token))
    both = {"project_names": ["ops", "secret"], "sequencing_types": ["genome"]}
    record(
        "insights_summary_secret",
        lambda: insights.get_project_insights_summary(BodyGetProjectInsightsSummary(**both)),
    )
    record(
        "insights_details_secret",
        lambda: insights.get_project_insights_details(BodyGetProjectInsightsDetails(**both)),
    )
    cohorts = CohortApi(client(URL, token))
    record(
        "cohort_secret_criteria",
        lambda: cohorts.create_cohort_from_criteria(
            project="ops",
            body_create_cohort_from_criteria=BodyCreateCohortFromCriteria(
                cohort_spec=CohortBody(name="peek", description="d"),
                cohort_criteria=CohortCriteria(projects=["secret"]),
            ),
            dry_run=True,
        ),
    )
    record(
        "cohort_secret_group",
        lambda: cohorts.create_cohort_from_criteria(
            project="ops",
            body_create_cohort_from_criteria=BodyCreateCohortFromCriteria(
                cohort_spec=CohortBody(name="peek", description="d"),
                cohort_criteria=CohortCriteria(projects=["ops"], sg_ids_internal=[ids["secret_group"]]),
            ),
            dry_run=True,
        ),
    )
    record(
        "template_secret",
        lambda: cohorts.create_cohort_template(
            project="secret",
            cohort_template=CohortTemplate(
                id=None, name="t", description="d", criteria=CohortCriteria(projects=["secret"])
            ),
        ),
    )
    record(
        "cohort_ops",
        lambda: cohorts.create_cohort_from_criteria(
            project="ops",
            body_create_cohort_from_criteria=BodyCreateCohortFromCriteria(
                cohort_spec=CohortBody(name="outsiders", description="d"),
                cohort_criteria=CohortCriteria(projects=["ops"]),
            ),
        ),
    )
    record(
        "guid_map_secret", lambda: web.get_seqr_family_guid_map(project="secret", sequencing_type="genome")
    )
    record(
        "guid_map_unconfigured",
        lambda: no_seqr.get_seqr_family_guid_map(project="ops", sequencing_type="genome"),
    )
    record(
        "sync_ops",
        lambda: web.sync_seqr_project(project="ops", sequencing_type="genome", seqr_dataset_type=[]),
    )
    record(
        "sync_secret",
        lambda: web.sync_seqr_project(project="secret", sequencing_type="genome", seqr_dataset_type=[]),
    )


if MODE == "admin":
    admin()
else:
    outsider(sys.argv[4], json.loads(sys.argv[5]))
print(json.dumps(out, default=str))
