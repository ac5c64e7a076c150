"""A small ``sandbox`` project (and its ``-test`` twin) so a fresh server has something to look at."""

from __future__ import annotations

import random

from genolog.metadata.context import AuditInfo, Tx
from genolog.metadata.models import AssayUpsert, ParticipantUpsert, SampleUpsert, SequencingGroupUpsert
from genolog.metadata.pedigree import PedigreeRow
from genolog.metadata.service import Service
from genolog.metadata.store import families, projects
from genolog.metadata.store.upserts import upsert_items

SANDBOX = "sandbox"


def _participant(rng: random.Random, index: int, bucket: str) -> ParticipantUpsert:
    sample_eid = f"SB{index:03d}-DNA"
    reads = [
        {
            "location": f"{bucket}/{sample_eid}_{read}.fastq.gz",
            "basename": f"{sample_eid}_{read}.fastq.gz",
            "class": "File",
            "checksum": None,
            "size": rng.randrange(10**9, 3 * 10**9),
        }
        for read in (1, 2)
    ]
    return ParticipantUpsert(
        external_ids={"": f"SB{index:03d}"},
        reported_sex=1 + index % 2,
        samples=[
            SampleUpsert(
                external_ids={"": sample_eid},
                type="blood",
                sequencing_groups=[
                    SequencingGroupUpsert(
                        type="genome",
                        technology="short-read",
                        platform="illumina",
                        assays=[
                            AssayUpsert(
                                type="sequencing",
                                meta={
                                    "reads_type": "fastq",
                                    "reads": reads,
                                    "sequencing_type": "genome",
                                    "sequencing_technology": "short-read",
                                    "sequencing_platform": "illumina",
                                },
                            )
                        ],
                    )
                ],
            )
        ],
    )


def load_sandbox(svc: Service, owner: str, participants_per_project: int = 6) -> bool:
    """Create ``sandbox`` and ``sandbox-test`` with a trio and a few singletons; False if they exist."""
    with svc.db.write() as conn:
        tx = Tx(conn, svc.codecs, AuditInfo(author=owner, comment="sandbox"))
        if projects.get_by_name(conn, SANDBOX) is not None:
            return False
        projects.create(tx, SANDBOX, SANDBOX, create_test_project=True, owner=owner)
        for name in (SANDBOX, f"{SANDBOX}-test"):
            project = projects.get_by_name(conn, name)
            assert project is not None
            rng = random.Random(name)
            namespace = "test" if projects.is_test_project(name) else "main"
            bucket = (
                f"{svc.settings.data_dir.resolve()}/{SANDBOX}-{namespace}-upload"  # as genolog.paths names it
            )
            upsert_items(
                tx,
                project["id"],
                [_participant(rng, i, bucket) for i in range(1, participants_per_project + 1)],
            )
            trio = [
                PedigreeRow(1, "FAM001", "SB001", None, None, 1, 1, None),
                PedigreeRow(2, "FAM001", "SB002", None, None, 2, 1, None),
                PedigreeRow(3, "FAM001", "SB003", "SB001", "SB002", 1, 2, "proband"),
            ]
            families.import_pedigree(
                tx, project["id"], trio, create_missing_participants=False, perform_sex_check=True
            )
        tx.finish()
    return True
