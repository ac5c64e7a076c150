"""Runs Metamist's published parsers, unmodified, on a sheet; prints what the parser returned as JSON.

Usage: metamist_parsers.py gmp|sfmp PROJECT SHEET SEARCH_PATH REFERENCE
Run with SM_ENVIRONMENT=local and SM_URL set (they are read when metamist is imported).
"""

import asyncio
import json
import sys

from metamist.apis import ProjectApi
from metamist.models import ProjectMemberUpdate
from metamist.parser.generic_metadata_parser import GenericMetadataParser
from metamist.parser.sample_file_map_parser import SampleFileMapParser

kind, project, sheet, search_path, reference = sys.argv[1:6]

projects = ProjectApi()
if project not in projects.get_my_projects():
    projects.create_project(name=project, dataset=project, create_test_project=False)
    projects.update_project_members(
        project=project,
        project_member_update=[
            ProjectMemberUpdate(member="dev", roles=["reader", "writer", "project_admin"])
        ],
    )

if kind == "gmp":
    parser = GenericMetadataParser(
        project=project,
        search_locations=[search_path],
        sample_primary_eid_column="Sample ID",
        participant_primary_eid_column="Individual ID",
        reported_sex_column="Sex",
        karyotype_column="Karyotype",
        sample_type_column="Sample Type",
        seq_type_column="Seq Type",
        reads_column="Filenames",
        gvcf_column="GVCF",
        participant_meta_map={"Ancestry": "ancestry"},
        sample_meta_map={"Collection Date": "collection.date", "Tissue Site": "tissue_site"},
        assay_meta_map={"Depth": "depth", "Flowcell": "flowcell"},
        qc_meta_map={"QC Freemix": "freemix", "QC Coverage": "coverage"},
        default_reference_assembly_location=reference,
        default_sample_type="blood",
    )
else:
    parser = SampleFileMapParser(
        project=project,
        search_locations=[search_path],
        default_sample_type="blood",
        default_reference_assembly_location=reference,
    )


async def main() -> object:
    return await parser.from_manifest_path(manifest=sheet, confirm=False)


result = asyncio.new_event_loop().run_until_complete(main())
print(json.dumps(result, default=str).replace("\n", " "))
