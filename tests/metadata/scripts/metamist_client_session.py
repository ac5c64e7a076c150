"""Drives genolog with the published metamist client in local mode; prints what it read back as JSON.

Run with SM_ENVIRONMENT=local and SM_URL set (they are read when metamist is imported).
"""

import io
import json
import sys

import metamist_seed as seed  # beside this script
from metamist.apis import AnalysisApi, FamilyApi, ParticipantApi, ProjectApi, SampleApi, SequencingGroupApi
from metamist.models import (
    Analysis,
    AnalysisStatus,
    AnalysisUpdateModel,
    AssayUpsert,
    ProjectMemberUpdate,
    SampleUpsert,
    SequencingGroupUpsert,
)

PROJECT = sys.argv[1]
out: dict = {}

projects = ProjectApi()
out["project_id"] = projects.create_project(name=PROJECT, dataset=PROJECT, create_test_project=True)
for name in (PROJECT, f"{PROJECT}-test"):
    projects.update_project_members(
        project=name,
        project_member_update=[
            ProjectMemberUpdate(member="dev", roles=["reader", "writer", "project_admin"])
        ],
    )
out["my_projects"] = projects.get_my_projects()
out["all_projects"] = [{"name": p["name"], "roles": p["roles"]} for p in projects.get_all_projects()]

participants = ParticipantApi().upsert_participants(project=PROJECT, participant_upsert=seed.participants())
out["participants"] = participants

extra = SampleApi().upsert_samples(
    project=PROJECT,
    sample_upsert=[
        SampleUpsert(
            external_ids={"": "S4", "kccg": "K-4"},
            type="saliva",
            sequencing_groups=[
                SequencingGroupUpsert(
                    type="exome",
                    technology="short-read",
                    platform="illumina",
                    assays=[
                        AssayUpsert(type="sequencing", meta={**seed.reads("S4"), "sequencing_type": "exome"})
                    ],
                )
            ],
        )
    ],
)
out["samples"] = extra
out["sample_map"] = SampleApi().get_sample_id_map_by_external(
    project=PROJECT, request_body=["S1", "S2", "S3", "S4"]
)

ped = "#Family ID\tIndividual ID\tPaternal ID\tMaternal ID\tSex\tPhenotype\nF1\tP1\t0\t0\t1\t1\nF1\tP2\t0\t0\t2\t1\nF1\tP3\tP1\tP2\t1\t2\n"
ped_file = io.BytesIO(ped.encode())
ped_file.name = "trio.ped"
out["pedigree_import"] = FamilyApi().import_pedigree(project=PROJECT, file=ped_file, has_header=True)
out["pedigree"] = FamilyApi().get_pedigree(project=PROJECT, internal_family_ids=[])

sg_id = participants[0]["samples"][0]["sequencing_groups"][0]["id"]
analyses = AnalysisApi()
analysis_id = analyses.create_analysis(
    project=PROJECT,
    analysis=Analysis(
        type="web",
        status=AnalysisStatus("queued"),
        meta={"display_url": "http://x/report.html"},
        output="gs://web/report.html",
        sequencing_group_ids=[sg_id],
    ),
)
out["analysis_id"] = analysis_id
out["update"] = analyses.update_analysis(
    analysis_id=analysis_id,
    analysis_update_model=AnalysisUpdateModel(status=AnalysisStatus("completed"), meta={"size": 5}),
)
out["analysis"] = analyses.get_analysis_by_id(analysis_id=analysis_id)
out["sequencing_group"] = SequencingGroupApi().get_sequencing_group(sequencing_group_id=sg_id).to_dict()
from metamist.graphql import gql, query  # noqa: E402 (after the REST part, as a user's script would)

SEED_QUERY = gql(
    """
query ($project: String! $sequencingGroupID: String!) {
  project(name: $project) {
    sequencingGroups(id: {eq: $sequencingGroupID}) {
      assays {
        meta
      }
      sample {
        externalId
      }
    }
  }
}
"""
)
out["graphql_seed"] = query(SEED_QUERY, variables={"project": PROJECT, "sequencingGroupID": sg_id})
out["graphql_analyses"] = query(
    gql(f'query MyQuery {{ project(name: "{PROJECT}") {{ analyses {{ active id output type meta }} }} }}')
)
print(json.dumps(out, default=str))
