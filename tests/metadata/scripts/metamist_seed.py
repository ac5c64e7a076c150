"""What the published-client scripts beside this one seed a project with: they run in the client's own
venv, as ``python <script>``, so this module beside them is importable."""

from typing import Any

from metamist.models import AssayUpsert, ParticipantUpsert, SampleUpsert, SequencingGroupUpsert


def reads(prefix: str) -> dict[str, Any]:
    """A sequencing assay's meta: a pair of FASTQs named after ``prefix``, genome short-read Illumina."""
    return {
        "reads_type": "fastq",
        "reads": [
            {
                "location": f"gs://upload/{prefix}_{r}.fq.gz",
                "basename": f"{prefix}_{r}.fq.gz",
                "class": "File",
                "size": 10 + r,
            }
            for r in (1, 2)
        ],
        "sequencing_type": "genome",
        "sequencing_technology": "short-read",
        "sequencing_platform": "illumina",
    }


def participants() -> list[ParticipantUpsert]:
    """P1-P3, each with a blood sample S1-S3 whose genome sequencing group has one sequencing assay."""
    return [
        ParticipantUpsert(
            external_ids={"": f"P{i}"},
            reported_sex=1 + i % 2,
            meta={"cohort": "c1"},
            samples=[
                SampleUpsert(
                    external_ids={"": f"S{i}"},
                    type="blood",
                    meta={"collected": "2024"},
                    sequencing_groups=[
                        SequencingGroupUpsert(
                            type="genome",
                            technology="short-read",
                            platform="illumina",
                            meta={"batch": 1},
                            assays=[AssayUpsert(type="sequencing", meta=reads(f"S{i}"))],
                        )
                    ],
                )
            ],
        )
        for i in (1, 2, 3)
    ]
