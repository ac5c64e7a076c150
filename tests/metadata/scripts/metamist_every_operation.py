"""Calls every operation of the published metamist client's non-billing APIs against a server, in an order
that builds on what the earlier calls made, and prints each call's outcome as JSON:

    {"operations": [every "Api.method" the client has], "outcomes": {"Api.method": outcome}}

where an outcome is ``{"ok": <a short text of the answer>}``, ``{"status": <HTTP status>, "body": ...}``
for an error answer, ``{"client_error": ...}`` when the client's own (de)serialisation raised, or
``{"error": ...}`` for anything else. Run with SM_ENVIRONMENT=local and SM_URL set, as the dev user ``dev``.
"""

import inspect
import io
import json
import sys
from collections.abc import Callable
from typing import Any

import metamist.apis as apis
import metamist_seed as seed  # beside this script
from metamist.exceptions import ApiAttributeError, ApiException, ApiKeyError, ApiTypeError, ApiValueError
from metamist.model.body_create_cohort_from_criteria import BodyCreateCohortFromCriteria
from metamist.model.body_export_project_participants import BodyExportProjectParticipants
from metamist.model.body_get_latest_complete_analysis_for_type_post import (
    BodyGetLatestCompleteAnalysisForTypePost,
)
from metamist.model.body_get_project_insights_details import BodyGetProjectInsightsDetails
from metamist.model.body_get_project_insights_summary import BodyGetProjectInsightsSummary
from metamist.model.body_get_proportionate_map import BodyGetProportionateMap
from metamist.model.cohort_body import CohortBody
from metamist.model.cohort_criteria import CohortCriteria
from metamist.model.cohort_template import CohortTemplate
from metamist.model.export_type import ExportType
from metamist.model.project_participant_grid_filter import ProjectParticipantGridFilter
from metamist.model.proportional_date_temporal_method import ProportionalDateTemporalMethod
from metamist.model.seqr_dataset_type import SeqrDatasetType
from metamist.models import (
    Analysis,
    AnalysisQueryModel,
    AnalysisStatus,
    AnalysisUpdateModel,
    AssayQueryCriteria,
    AssayUpsert,
    FamilyUpdateModel,
    GetSamplesCriteria,
    ParticipantUpsert,
    ProjectMemberUpdate,
    QueryParticipantCriteria,
    SampleUpsert,
    SequencingGroupMetaUpdateModel,
)

PROJECT = sys.argv[1]
outcomes: dict[str, Any] = {}
made: dict[str, Any] = {}  # what earlier calls answered, for the later ones


def operations() -> list[str]:
    """Every ``Api.method`` of the client's non-billing APIs (each method wraps one endpoint)."""
    names = []
    for api_name, api in inspect.getmembers(apis, inspect.isclass):
        if not api_name.endswith("Api") or api_name == "BillingApi":
            continue
        instance = api()
        for attribute in vars(instance):
            if attribute.endswith("_endpoint"):
                names.append(f"{api_name}.{attribute.removesuffix('_endpoint')}")
    return sorted(names)


def call(name: str, run: Callable[[], Any]) -> Any:
    """Run one operation, recording its outcome under ``name``; its answer, or None if it failed."""
    try:
        answer = run()
    except ApiException as e:
        outcomes[name] = {"status": e.status, "body": str(e.body)[:500]}
        return None
    except (ApiAttributeError, ApiKeyError, ApiTypeError, ApiValueError) as e:
        outcomes[name] = {"client_error": f"{type(e).__name__}: {str(e)[:500]}"}
        return None
    except Exception as e:
        outcomes[name] = {"error": f"{type(e).__name__}: {str(e)[:500]}"}
        return None
    outcomes[name] = {"ok": shown(answer)}
    return answer


def shown(answer: Any) -> str:
    """A short text of an answer. The client's own ``repr`` of some models raises (``to_dict`` of the
    participant grid's free-form rows, on Metamist's answers too): then only its type."""
    try:
        return str(answer)[:200]
    except Exception:
        return f"<{type(answer).__name__}>"


def upload(text: str, name: str) -> io.BytesIO:
    file = io.BytesIO(text.encode())
    file.name = name
    return file


project_api, participant_api, sample_api = apis.ProjectApi(), apis.ParticipantApi(), apis.SampleApi()
family_api, analysis_api, seqr_api, web_api = (
    apis.FamilyApi(),
    apis.AnalysisApi(),
    apis.SeqrApi(),
    apis.WebApi(),
)
sg_api, assay_api, enums_api = apis.SequencingGroupApi(), apis.AssayApi(), apis.EnumsApi()
runner_api, cohort_api, insights_api = apis.AnalysisRunnerApi(), apis.CohortApi(), apis.ProjectInsightsApi()
import_api = apis.ImportApi()

# --- projects, and the dev user's roles on them
call(
    "ProjectApi.create_project",
    lambda: project_api.create_project(name=PROJECT, dataset=PROJECT, create_test_project=True),
)
call(
    "ProjectApi.update_project_members",
    lambda: [
        project_api.update_project_members(
            project=name,
            project_member_update=[
                ProjectMemberUpdate(member="dev", roles=["reader", "contributor", "writer", "project_admin"])
            ],
        )
        for name in (PROJECT, f"{PROJECT}-test")
    ],
)
call("ProjectApi.get_my_projects", lambda: project_api.get_my_projects())
call("ProjectApi.get_all_projects", lambda: project_api.get_all_projects())
call(
    "ProjectApi.update_project",
    lambda: project_api.update_project(project=PROJECT, body={"meta": {"is_seqr": True}}),
)
call("ProjectApi.get_seqr_projects", lambda: project_api.get_seqr_projects())

# --- enums
for kind in (
    "analysis_types",
    "assay_types",
    "sample_types",
    "sequencing_platforms",
    "sequencing_technologys",
    "sequencing_types",
):
    call(f"EnumsApi.get_{kind}", getattr(enums_api, f"get_{kind}"))
    call(
        f"EnumsApi.post_{kind}",
        lambda kind=kind: getattr(enums_api, f"post_{kind}")(
            new_type=f"every-op-{kind[:-1].replace('_', '-')}"
        ),
    )

# --- participants, samples, sequencing groups and assays
made["participants"] = call(
    "ParticipantApi.upsert_participants",
    lambda: participant_api.upsert_participants(project=PROJECT, participant_upsert=seed.participants()),
)
participants = made["participants"] or []
pids = [p["id"] for p in participants]
sample_ids = [p["samples"][0]["id"] for p in participants]
sg_ids = [p["samples"][0]["sequencing_groups"][0]["id"] for p in participants]
assay_ids = [p["samples"][0]["sequencing_groups"][0]["assays"][0]["id"] for p in participants]

made["extra"] = call(
    "SampleApi.upsert_samples",
    lambda: sample_api.upsert_samples(
        project=PROJECT,
        sample_upsert=[SampleUpsert(external_ids={"": "S4", "kccg": "K-4"}, type="saliva", meta={})],
    ),
)
made["S5"] = call(
    "SampleApi.create_sample",
    lambda: sample_api.create_sample(
        project=PROJECT, sample_upsert=SampleUpsert(external_ids={"": "S5"}, type="blood")
    ),
)
call(
    "SampleApi.update_sample",
    lambda: sample_api.update_sample(id_=sample_ids[0], sample_upsert=SampleUpsert(meta={"checked": True})),
)
call(
    "SampleApi.get_samples",
    lambda: sample_api.get_samples(get_samples_criteria=GetSamplesCriteria(project_ids=[PROJECT])),
)
call(
    "SampleApi.get_sample_by_external_id",
    lambda: sample_api.get_sample_by_external_id(external_id="S1", project=PROJECT),
)
call(
    "SampleApi.get_sample_id_map_by_external",
    lambda: sample_api.get_sample_id_map_by_external(project=PROJECT, request_body=["S1", "S2"]),
)
call(
    "SampleApi.get_sample_id_map_by_internal",
    lambda: sample_api.get_sample_id_map_by_internal(request_body=sample_ids),
)
call(
    "SampleApi.get_all_sample_id_map_by_internal",
    lambda: sample_api.get_all_sample_id_map_by_internal(project=PROJECT),
)
call("SampleApi.get_history_of_sample", lambda: sample_api.get_history_of_sample(id_=sample_ids[0]))
call("SampleApi.get_samples_create_date", lambda: sample_api.get_samples_create_date(request_body=sample_ids))
call(
    "SampleApi.export_samples",
    lambda: sample_api.export_samples(project=PROJECT, _preload_content=False).data[:4],
)

call(
    "ParticipantApi.get_participants",
    lambda: participant_api.get_participants(
        project=PROJECT, query_participant_criteria=QueryParticipantCriteria()
    ),
)
call(
    "ParticipantApi.get_participant_id_map_by_external_ids",
    lambda: participant_api.get_participant_id_map_by_external_ids(
        project=PROJECT, request_body=["P1", "P2"]
    ),
)
call(
    "ParticipantApi.update_participant",
    lambda: participant_api.update_participant(
        participant_id=pids[0], participant_upsert=ParticipantUpsert(meta={"checked": True})
    ),
)
call(
    "ParticipantApi.update_many_participants",
    lambda: participant_api.update_many_participants(request_body={str(pids[2]): "P3-renamed"}),
)
call(
    "ParticipantApi.fill_in_missing_participants",
    lambda: participant_api.fill_in_missing_participants(project=PROJECT),
)
call(
    "ParticipantApi.export_participants",
    lambda: participant_api.export_participants(project=PROJECT, _preload_content=False).data[:4],
)

call(
    "SequencingGroupApi.get_sequencing_group",
    lambda: sg_api.get_sequencing_group(sequencing_group_id=sg_ids[0]),
)
call(
    "SequencingGroupApi.get_all_sequencing_group_ids_by_sample_by_type",
    lambda: sg_api.get_all_sequencing_group_ids_by_sample_by_type(project=PROJECT),
)
call(
    "SequencingGroupApi.update_sequencing_group",
    lambda: sg_api.update_sequencing_group(
        sequencing_group_id=sg_ids[0],
        project=PROJECT,
        sequencing_group_meta_update_model=SequencingGroupMetaUpdateModel(meta={"qc": "pass"}),
    ),
)

made["assay"] = call(
    "AssayApi.create_assay",
    lambda: assay_api.create_assay(
        assay_upsert=AssayUpsert(
            sample_id=sample_ids[0],
            type="sequencing",
            external_ids={"": f"{PROJECT}-A1"},
            meta=seed.reads("A1"),
        )
    ),
)
call(
    "AssayApi.update_assay",
    lambda: assay_api.update_assay(assay_upsert=AssayUpsert(id=assay_ids[0], meta={"checked": True})),
)
call("AssayApi.get_assay_by_id", lambda: assay_api.get_assay_by_id(assay_id=assay_ids[0]))
call(
    "AssayApi.get_assay_by_external_id",
    lambda: assay_api.get_assay_by_external_id(external_id=f"{PROJECT}-A1", project=PROJECT),
)
call(
    "AssayApi.get_assays_by_criteria",
    lambda: assay_api.get_assays_by_criteria(assay_query_criteria=AssayQueryCriteria(projects=[PROJECT])),
)

# --- families and pedigrees
PED = "#Family ID\tIndividual ID\tPaternal ID\tMaternal ID\tSex\tPhenotype\nF1\tP1\t0\t0\t1\t1\nF1\tP2\t0\t0\t2\t1\nF2\tP3-renamed\t0\t0\t1\t2\n"
call(
    "FamilyApi.import_pedigree",
    lambda: family_api.import_pedigree(project=PROJECT, file=upload(PED, "trio.ped"), has_header=True),
)
call(
    "SeqrApi.import_pedigree",
    lambda: seqr_api.import_pedigree(project=PROJECT, file=upload(PED, "trio.ped"), has_header=True),
)
families = call("FamilyApi.get_families", lambda: family_api.get_families(project=PROJECT)) or []
call("SeqrApi.get_families", lambda: seqr_api.get_families(project=PROJECT))
family_ids = {f["external_id"] if "external_id" in f else f["external_ids"][""]: f["id"] for f in families}
call("FamilyApi.get_pedigree", lambda: family_api.get_pedigree(project=PROJECT, internal_family_ids=[]))
call("SeqrApi.get_pedigree", lambda: seqr_api.get_pedigree(project=PROJECT, internal_family_ids=[]))
call(
    "FamilyApi.update_family",
    lambda: family_api.update_family(
        family_update_model=FamilyUpdateModel(id=family_ids.get("F1", 0), description="trio")
    ),
)
FAMILIES = "Family ID\tDisplay Name\tDescription\tCoded Phenotype\nF1\tFamily one\tA trio\tHP:0000001\n"
call(
    "FamilyApi.import_families",
    lambda: family_api.import_families(
        project=PROJECT, file=upload(FAMILIES, "families.tsv"), has_header=True, delimiter="\t"
    ),
)
call(
    "SeqrApi.import_families",
    lambda: seqr_api.import_families(
        project=PROJECT, file=upload(FAMILIES, "families.tsv"), has_header=True, delimiter="\t"
    ),
)
call(
    "ParticipantApi.update_participant_family",
    lambda: participant_api.update_participant_family(
        participant_id=pids[2], old_family_id=family_ids.get("F2", 0), new_family_id=family_ids.get("F1", 0)
    ),
)
MANIFEST = "Individual ID\tHPO Terms (present)\tAge of Onset\nP1\tHP:0000001\tAdult onset\n"
call(
    "ImportApi.import_individual_metadata_manifest",
    lambda: import_api.import_individual_metadata_manifest(
        project=PROJECT, file=upload(MANIFEST, "individuals.tsv"), delimiter="\t"
    ),
)
call(
    "SeqrApi.import_individual_metadata_manifest",
    lambda: seqr_api.import_individual_metadata_manifest(
        project=PROJECT, file=upload(MANIFEST, "individuals.tsv"), delimiter="\t"
    ),
)
call(
    "ParticipantApi.get_individual_metadata_for_seqr",
    lambda: participant_api.get_individual_metadata_for_seqr(project=PROJECT),
)
call(
    "SeqrApi.get_individual_metadata_for_seqr",
    lambda: seqr_api.get_individual_metadata_for_seqr(project=PROJECT),
)
call(
    "ParticipantApi.get_external_participant_id_to_sequencing_group_id",
    lambda: participant_api.get_external_participant_id_to_sequencing_group_id(project=PROJECT),
)
call(
    "SeqrApi.get_external_participant_id_to_sequencing_group_id",
    lambda: seqr_api.get_external_participant_id_to_sequencing_group_id(project=PROJECT),
)

# --- analyses and analysis-runner records
made["analysis"] = call(
    "AnalysisApi.create_analysis",
    lambda: analysis_api.create_analysis(
        project=PROJECT,
        analysis=Analysis(
            type="cram",
            status=AnalysisStatus("queued"),
            meta={"sequencing_type": "genome"},
            output=f"gs://{PROJECT}-main/S1.cram",
            sequencing_group_ids=[sg_ids[0]],
        ),
    ),
)
analysis_id = made["analysis"] or 0
call(
    "AnalysisApi.update_analysis",
    lambda: analysis_api.update_analysis(
        analysis_id=analysis_id, analysis_update_model=AnalysisUpdateModel(status=AnalysisStatus("completed"))
    ),
)
call("AnalysisApi.get_analysis_by_id", lambda: analysis_api.get_analysis_by_id(analysis_id=analysis_id))
call("AnalysisApi.get_incomplete_analyses", lambda: analysis_api.get_incomplete_analyses(project=PROJECT))
call(
    "AnalysisApi.query_analyses",
    lambda: analysis_api.query_analyses(analysis_query_model=AnalysisQueryModel(projects=[PROJECT])),
)
call(
    "AnalysisApi.get_latest_complete_analysis_for_type",
    lambda: analysis_api.get_latest_complete_analysis_for_type(analysis_type="cram", project=PROJECT),
)
call(
    "AnalysisApi.get_latest_complete_analysis_for_type_post",
    lambda: analysis_api.get_latest_complete_analysis_for_type_post(
        analysis_type="cram",
        project=PROJECT,
        body_get_latest_complete_analysis_for_type_post=BodyGetLatestCompleteAnalysisForTypePost(
            meta={"sequencing_type": "genome"}
        ),
    ),
)
call(
    "AnalysisApi.get_all_sample_ids_without_analysis_type",
    lambda: analysis_api.get_all_sample_ids_without_analysis_type(analysis_type="cram", project=PROJECT),
)
call("AnalysisApi.get_samples_reads_map", lambda: analysis_api.get_samples_reads_map(project=PROJECT))
call("SeqrApi.get_samples_reads_map", lambda: seqr_api.get_samples_reads_map(project=PROJECT))
call(
    "AnalysisApi.get_proportionate_map",
    lambda: analysis_api.get_proportionate_map(
        start="2020-01-01",
        body_get_proportionate_map=BodyGetProportionateMap(
            projects=[PROJECT],
            temporal_methods=[ProportionalDateTemporalMethod("SAMPLE_CREATE_DATE")],
            sequencing_types=["genome"],
        ),
    ),
)
AR_GUID = f"{PROJECT}-run-1"
call(
    "AnalysisRunnerApi.create_analysis_runner_log",
    lambda: runner_api.create_analysis_runner_log(
        project=PROJECT,
        ar_guid=AR_GUID,
        access_level="test",
        repository="genolog",
        commit="0" * 40,
        script="python main.py",
        description="every operation",
        driver_image="driver:1",
        config_path="gs://config/run.toml",
        environment="gcp",
        batch_url="http://batch/1",
        submitting_user="dev",
        output_path=f"gs://{PROJECT}-test/out",
        request_body={"note": "x"},
    ),
)
call(
    "AnalysisRunnerApi.get_analysis_runner_logs", lambda: runner_api.get_analysis_runner_logs(project=PROJECT)
)
call(
    "AnalysisApi.get_analysis_runner_log",
    lambda: analysis_api.get_analysis_runner_log(project_names=[PROJECT]),
)

# --- cohorts, insights and the web API
template = call(
    "CohortApi.create_cohort_template",
    lambda: cohort_api.create_cohort_template(
        project=PROJECT,
        cohort_template=CohortTemplate(
            id=None,
            name=f"{PROJECT}-genomes",
            description="genomes",
            criteria=CohortCriteria(projects=[PROJECT], sg_type=["genome"]),
        ),
    ),
)
call(
    "CohortApi.create_cohort_from_criteria",
    lambda: cohort_api.create_cohort_from_criteria(
        project=PROJECT,
        body_create_cohort_from_criteria=BodyCreateCohortFromCriteria(
            cohort_spec=CohortBody(name=f"{PROJECT}-cohort", description="genomes", template_id=template),
        ),
    ),
)
call(
    "ProjectInsightsApi.get_project_insights_details",
    lambda: insights_api.get_project_insights_details(
        BodyGetProjectInsightsDetails(project_names=[PROJECT], sequencing_types=["genome"])
    ),
)
call(
    "ProjectInsightsApi.get_project_insights_summary",
    lambda: insights_api.get_project_insights_summary(
        BodyGetProjectInsightsSummary(project_names=[PROJECT], sequencing_types=["genome"])
    ),
)
call("WebApi.get_project_summary", lambda: web_api.get_project_summary(project=PROJECT))
call(
    "WebApi.get_project_participants_filter_schema",
    lambda: web_api.get_project_participants_filter_schema(project=PROJECT),
)
call(
    "WebApi.get_project_participants_grid_with_limit",
    lambda: web_api.get_project_participants_grid_with_limit(
        project=PROJECT, limit=10, project_participant_grid_filter=ProjectParticipantGridFilter()
    ),
)
call(
    "WebApi.export_project_participants",
    lambda: web_api.export_project_participants(
        export_type=ExportType("tsv"),
        project=PROJECT,
        body_export_project_participants=BodyExportProjectParticipants(query=ProjectParticipantGridFilter()),
        _preload_content=False,
    ).data[:40],
)
call("WebApi.search_by_keyword", lambda: web_api.search_by_keyword(keyword="S1"))
call(
    "WebApi.get_seqr_family_guid_map",
    lambda: web_api.get_seqr_family_guid_map(sequencing_type="genome", project=PROJECT),
)
call(
    "WebApi.sync_seqr_project",
    lambda: web_api.sync_seqr_project(
        sequencing_type="genome", project=PROJECT, seqr_dataset_type=[SeqrDatasetType("SNV_INDEL")]
    ),
)

# --- the destructive ones last
call(
    "SampleApi.merge_samples",
    lambda: sample_api.merge_samples(id_keep=sample_ids[0], id_merge=made["S5"] or ""),
)
call(
    "SequencingGroupApi.archive_sequencing_groups",
    lambda: sg_api.archive_sequencing_groups(request_body=[sg_ids[2]]),
)
call("ProjectApi.delete_project_data", lambda: project_api.delete_project_data(project=f"{PROJECT}-test"))

print(json.dumps({"operations": operations(), "outcomes": outcomes}))
