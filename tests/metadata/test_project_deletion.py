"""Wiping a project while a writer is adding to it: the wipe waits for the writer, then removes what it
wrote too, so no assay, sequencing group or external id is left without its sample.

PostgreSQL no longer checks those keys (migration 0006); the project row's lock (writers take it ``FOR KEY
SHARE`` through the access check, the wipe ``FOR UPDATE``) keeps them whole. SQLite serialises writers."""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.context import AuditInfo, Tx
from genolog.metadata.models import SampleUpsert
from genolog.metadata.permissions import WRITE, Caller
from genolog.metadata.service import Service, Session
from genolog.metadata.store import projects
from genolog.metadata.store.upserts import upsert_items
from tests.metadata.support import sample_with_group

PROJECT = "p-test"
HELD_FOR = 1.0  # seconds the writer keeps its transaction open after writing


def test_a_wipe_waits_for_the_writer_in_flight_and_leaves_no_orphans(svc: Service) -> None:
    with svc.db.write() as conn:
        tx = Tx(conn, svc.codecs, AuditInfo(author="admin"))
        project_id = projects.create(tx, PROJECT, None, create_test_project=False)
        upsert_items(tx, project_id, [SampleUpsert.model_validate(sample_with_group("S1"))])
        tx.finish()
    caller = Caller("admin", site_roles={"admin"})
    written, wiped_at, committed_at = threading.Event(), [0.0], [0.0]

    def writer() -> None:
        # a second sample and more reads for the first, as an ingest request writes them
        with svc.db.write() as conn:
            tx = Tx(conn, svc.codecs, AuditInfo(author="pipeline"))
            row = Session(tx, caller).project(PROJECT, WRITE)
            items = [sample_with_group("S1", "gs://b/S1_more.fq.gz"), sample_with_group("S2")]
            upsert_items(tx, row["id"], [SampleUpsert.model_validate(item) for item in items])
            tx.finish()
            written.set()
            time.sleep(HELD_FOR)
            committed_at[0] = time.monotonic()

    def wipe() -> None:
        written.wait(30)
        with svc.db.write() as conn:
            tx = Tx(conn, svc.codecs, AuditInfo(author="admin"))
            row = Session(tx, caller).project(PROJECT, WRITE)
            projects.delete_data(tx, row["id"], delete_project=False)
            tx.finish()
        wiped_at[0] = time.monotonic()

    threads = [threading.Thread(target=writer), threading.Thread(target=wipe)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert committed_at[0] and wiped_at[0], "a thread did not finish"
    assert wiped_at[0] >= committed_at[0], "the wipe finished before the writer committed"
    with svc.db.read() as conn:
        left = {
            table.name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for table in (
                t.sample,
                t.assay,
                t.sequencing_group,
                t.sequencing_group_assay,
                t.sample_external_id,
            )
        }
    assert set(left.values()) == {0}, left
