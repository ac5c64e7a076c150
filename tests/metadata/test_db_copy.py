"""`genolog db copy` (metadata.copy): every table, row for row, between SQLite and PostgreSQL either way,
from one snapshot of a source that keeps being written, into an empty target only, all or nothing."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from rich.console import Console
from typer.testing import CliRunner

from genolog.cli import app
from genolog.metadata import tables as t
from genolog.metadata.context import stored_utc
from genolog.metadata.copy import CopyFailed, copy_database, rich_progress
from genolog.metadata.db import Database, alembic_config, current_revision, head_revision
from genolog.metadata.errors import BadRequest, Conflict, NotFound, Unavailable
from genolog.metadata.service import Service
from genolog.metadata.settings import ServerSettings
from tests.conftest import scratch_postgres_database
from tests.metadata.live import free_port, wait_until_healthy
from tests.metadata.support import Api, Dump, dump, sample_with_group
from tests.metadata.test_graphql import data
from tests.metadata.test_graphql_cohorts import TEMPLATE, created
from tests.metadata.test_graphql_comments import add, ok_mutation
from tests.metadata.test_graphql_records import RUN

runner = CliRunner()


@pytest.fixture
def new_postgres(postgres_template: tuple[str, Any]) -> Iterator[Callable[[], str]]:
    """Makes scratch PostgreSQL databases (empty: no schema) and drops them after the test."""
    with ExitStack() as made:
        yield lambda: made.enter_context(scratch_postgres_database("genolog_copy"))


@contextmanager
def genolog_serve(db: str) -> Iterator[str]:
    """`genolog serve --db` in its own process on a free port; its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "genolog.cli", "serve", "--db", db, "--port", str(port)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENOLOG_")}
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_healthy(base, alive=lambda: process.poll() is None)
        yield base
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=20)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def served(url: str) -> Api:
    """The service (and its REST/GraphQL application) on ``url``, migrated."""
    db = Database(url)
    db.migrate()
    return Api(Service.create(ServerSettings(db=url), db))


def fill(api: Api) -> None:
    """Data in every table, written through the API: projects with members, a trio pedigree, participants
    with phenotypes (bare JSON numbers among them), samples (nested, and one whose parent was made after
    it), sequencing groups, assays, analyses, a cohort template and cohort, comments with a reply and
    earlier versions, an analysis-runner record, tokens and site roles, and the audit log and history of
    all of it."""
    api.project("proj", members={"carl": ["contributor"], "runner": ["contributor"]})
    api.project("other")
    api.ok(
        "POST",
        "/family/proj/pedigree",
        params={"create_missing_participants": True},
        files={"file": ("trio.ped", "F1\tDAD\t0\t0\t1\t1\nF1\tKID\tDAD\t0\t1\t2\n")},
    )
    s1 = sample_with_group("S1")
    s1["sequencing_groups"][0]["external_ids"] = {"": "SG-1"}
    s1["sequencing_groups"][0]["assays"][0]["external_ids"] = {"": "A-1", "lab": "L-1"}
    s1["nested_samples"] = [{"external_ids": {"": "S1a"}, "type": "blood", "meta": {"depth": 1}}]
    [p1] = api.ok(
        "PUT", "/participant/proj/upsert-many", json=[{"external_ids": {"": "P1"}, "samples": [s1]}]
    )
    phenotypes = {"age": 42, "bmi": 21.5, "flag": True, "text": "7", "nested": {"a": [1, None, "x"]}}
    api.ok("POST", f"/participant/{p1['id']}/update-participant", json={"phenotypes": phenotypes})
    [early] = api.ok("PUT", "/sample/proj/upsert-many", json=[sample_with_group("EARLY")])
    # a sample made before its parent: the copy writes a reference to a later row of the same table
    api.ok(
        "PUT",
        "/sample/proj/upsert-many",
        json=[{"external_ids": {"": "LATE"}, "type": "blood", "nested_samples": [{"id": early["id"]}]}],
    )
    others = api.ok("PUT", "/sample/other/upsert-many", json=[sample_with_group(f"O{i}") for i in range(30)])
    sample = p1["samples"][0]
    sg = sample["sequencing_groups"][0]["id"]
    api.ok(
        "PUT",
        "/analysis/proj/",
        json={
            "type": "cram",
            "status": "completed",
            "sequencing_group_ids": [sg],
            "output": "gs://b/S1.cram",
            "meta": {"size": 10**12},
        },
    )
    data(
        api,
        TEMPLATE,
        {
            "project": "proj",
            "template": {"name": "t", "description": "all", "criteria": {"projects": ["proj"]}},
        },
    )
    cohort = created(api, "everyone", {"projects": ["proj"]})["createdCohort"]
    api.ok(
        "PUT",
        "/analysis/proj/",
        json={"type": "qc", "status": "completed", "cohort_ids": [cohort["id"]], "meta": {}},
    )
    top = add(api, "sample", sample["id"], "is this contaminated?")
    ok_mutation(api, "addCommentToThread", "parentId: $p, content: $c", {"p": top["id"], "c": "yes"})
    ok_mutation(api, "updateComment", "id: $id, content: $c", {"id": top["id"], "c": "is it contaminated?"})
    add(api, "participant", p1["id"], "consented")
    runner_params = {**RUN, "ar_guid": "b6f5"}
    api.ok("PUT", "/analysis-runner/proj-test/", user="runner", params=runner_params, json={"k": "v"})
    api.ok(
        "PATCH", "/analysis-runner/b6f5/meta", user="runner", json={"status": "succeeded", "duration_s": 3.5}
    )
    api.ok("PATCH", f"/sample/{others[0]['id']}", json={"meta": {"changed": True}})
    api.user("members-admin-mo", "members-admin")


def rows(url: str) -> Dump:
    """Every row of every table, times as aware UTC (SQLite keeps them without their zone)."""
    db = Database(url)
    try:
        with db.read() as conn:
            snapshot = dump(conn)
            snapshot["alembic_version"] = [{"revision": current_revision(conn)}]
    finally:
        db.dispose()
    return {name: [_utc(row) for row in table_rows] for name, table_rows in snapshot.items()}


def _utc(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: stored_utc(v) if isinstance(v, datetime) else v for k, v in row.items()}


def counts(snapshot: Dump) -> dict[str, int]:
    return {name: len(table_rows) for name, table_rows in snapshot.items() if name != "alembic_version"}


def test_sqlite_to_postgresql_and_back_keeps_every_row_and_serves(
    tmp_path: Path, new_postgres: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGTZ", "Pacific/Auckland")  # PostgreSQL hands out times in a zone other than UTC
    source = sqlite_url(tmp_path / "laptop.sqlite")
    api = served(source)
    fill(api)
    expected = rows(source)
    assert all(expected[table.name] for table in t.metadata.sorted_tables), [
        name for name, table_rows in expected.items() if not table_rows
    ]
    assert expected["alembic_version"] == [{"revision": head_revision()}]
    assert any(r["parent_id"] and r["parent_id"] > r["id"] for r in expected["sample"])  # EARLY's parent
    postgres = new_postgres()  # no schema yet: the copy migrates it

    report = copy_database(source, postgres, batch_rows=1)  # a batch per row: references cross batches

    assert report.rows == counts(expected) and report.source_journal_mode == "wal" and not report.warnings
    assert rows(postgres) == expected
    back = sqlite_url(tmp_path / "backup" / "back.sqlite")  # a new file in a new folder
    assert copy_database(postgres, back, batch_rows=1).rows == counts(expected)
    assert rows(back) == expected
    assert copy_database(back, sqlite_url(tmp_path / "again.sqlite")).rows == counts(expected)
    assert rows(sqlite_url(tmp_path / "again.sqlite")) == expected

    # a server on the copy answers as the original did, and new rows get fresh ids
    on_postgres = served(postgres)
    listed = {"project_ids": ["proj", "other"]}
    assert on_postgres.ok("POST", "/sample/", json=listed) == api.ok("POST", "/sample/", json=listed)
    [new] = on_postgres.ok("PUT", "/sample/proj/upsert-many", json=[sample_with_group("NEW")])
    new_project = on_postgres.ok("PUT", "/project/", params={"name": "third", "dataset": "third"})
    after = rows(postgres)
    largest = {
        name: max(r["id"] for r in expected[name])
        for name in ("sample", "sequencing_group", "assay", "audit_log", "project")
    }
    for name, largest_copied in largest.items():
        fresh = {r["id"] for r in after[name]} - {r["id"] for r in expected[name]}
        assert fresh and min(fresh) == largest_copied + 1, name
    assert new["external_ids"] == {"": "NEW"} and new_project == largest["project"] + 1
    on_postgres.svc.db.dispose()
    api.svc.db.dispose()


def test_postgresql_to_postgresql_and_a_server_on_the_source_keeps_going(
    new_postgres: Callable[[], str],
) -> None:
    source, target = new_postgres(), new_postgres()
    api = served(source)
    fill(api)
    expected = rows(source)
    copy_database(source, target)
    assert rows(target) == expected
    api.ok("PUT", "/sample/proj/upsert-many", json=[sample_with_group("AFTER")])  # the source is untouched
    assert len(rows(source)["sample"]) == len(expected["sample"]) + 1
    api.svc.db.dispose()


@pytest.mark.parametrize("target_kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_target_holding_data_is_refused_and_left_untouched(
    target_kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    source = sqlite_url(tmp_path / "source.sqlite")
    source_api = served(source)
    fill(source_api)
    source_api.svc.db.dispose()
    if target_kind == "sqlite":
        target = sqlite_url(tmp_path / "target.sqlite")
    else:
        target = request.getfixturevalue("new_postgres")()
    target_api = served(target)
    target_api.project("mine")
    before = rows(target)
    with pytest.raises(
        Conflict, match=r"already holds data \(in api_token, audit_log, .*project.*nothing was written"
    ):
        copy_database(source, target)
    assert rows(target) == before
    target_api.svc.db.dispose()
    # a vocabulary an admin added is data too
    vocabulary = sqlite_url(tmp_path / "vocabulary.sqlite")
    db = Database(vocabulary)
    db.migrate()
    with db.write() as conn:
        conn.execute(t.enum_value.insert().values(kind="sample_type", name="ffpe"))
    db.dispose()
    with pytest.raises(Conflict, match=r"in enum_value"):
        copy_database(source, vocabulary)


def test_an_empty_migrated_target_is_accepted(db_url: str, tmp_path: Path) -> None:
    """The seeded vocabularies of a migrated database are not data: they are replaced by the source's."""
    source = sqlite_url(tmp_path / "source.sqlite")
    api = served(source)
    fill(api)
    with api.svc.db.write() as conn:
        conn.execute(t.enum_value.insert().values(kind="sample_type", name="ffpe"))
        conn.execute(t.enum_value.delete().where(t.enum_value.c.name == "saliva"))
    expected = rows(source)
    screen = Console(file=io.StringIO(), force_terminal=True, width=100)
    with rich_progress(screen) as progress:
        copy_database(source, db_url, batch_rows=10, progress=progress)
    assert rows(db_url) == expected
    shown = screen.file.getvalue()
    assert "all tables" in shown and "sequencing_group_assay" in shown
    api.svc.db.dispose()


class WaitForWrites:
    """Copy progress that, as the copy reaches each of ``tables``, waits until the writer has committed
    two more requests: so writes certainly land between the snapshot's first read and its last."""

    def __init__(self, writer: Writer, tables: set[str]) -> None:
        self.writer, self.tables, self.waited = writer, tables, 0

    def start(self, counts: Mapping[str, int]) -> None:
        pass

    def table(self, name: str, rows: int) -> None:
        if name in self.tables:
            self.writer.wait_for(2)
            self.waited += 1

    def advance(self, rows: int) -> None:
        pass


class Writer(threading.Thread):
    """Keeps creating participants, each with a sample, sequencing group and assay, one request each."""

    def __init__(self, api: Api) -> None:
        super().__init__(daemon=True)
        self.api, self.written, self.failure = api, 0, None
        self.stop = threading.Event()
        self.changed = threading.Condition()

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                body = [
                    {
                        "external_ids": {"": f"W{self.written}"},
                        "samples": [sample_with_group(f"WS{self.written}")],
                    }
                ]
                self.api.ok("PUT", "/participant/proj/upsert-many", json=body)
                with self.changed:
                    self.written += 1
                    self.changed.notify_all()
        except BaseException as error:  # reported by the test
            self.failure = error
            with self.changed:
                self.changed.notify_all()

    def wait_for(self, more: int) -> None:
        with self.changed:
            goal = self.written + more
            assert self.changed.wait_for(
                lambda: self.written >= goal or self.failure is not None, timeout=300
            )


def test_writes_during_the_copy_are_left_out_whole(db_url: str, tmp_path: Path) -> None:
    api = Api(Service.create(ServerSettings(db=db_url), Database(db_url)))
    api.project("proj")
    api.user("admin", "admin")  # the writer's token, made before it starts
    api.ok(
        "PUT",
        "/participant/proj/upsert-many",
        json=[{"external_ids": {"": "P0"}, "samples": [sample_with_group("S0")]}],
    )
    writer = Writer(api)
    writer.start()
    progress = WaitForWrites(writer, {"audit_log", "participant", "sample", "sequencing_group", "assay"})
    target = sqlite_url(tmp_path / "copy.sqlite")
    try:
        report = copy_database(db_url, target, batch_rows=3, progress=progress)
    finally:
        writer.stop.set()
        writer.join(timeout=300)
    assert writer.failure is None and progress.waited == 5
    copied, source = rows(target), rows(db_url)
    assert counts(copied) == report.rows
    people = len(copied["participant"])
    # each request wrote a participant, sample, group and assay, their external ids and an audit entry:
    # the snapshot holds every request's rows or none of them
    for name in ("sample", "sequencing_group", "assay", "participant_external_id", "sample_external_id"):
        assert len(copied[name]) == people, name
    assert len(copied["audit_log"]) == len(source["audit_log"]) - (len(source["participant"]) - people)
    assert len(source["participant"]) >= people + 10  # the writes the copy waited for are not in it
    audit_ids = {r["id"] for r in copied["audit_log"]}
    assert {r["audit_log_id"] for r in copied["participant"]} <= audit_ids
    assert copied["participant"] == source["participant"][:people]
    api.svc.db.dispose()


@pytest.mark.postgres
def test_a_failure_part_way_leaves_the_target_as_it_was(
    tmp_path: Path, new_postgres: Callable[[], str], sqlite_template: Path
) -> None:
    source = new_postgres()
    api = served(source)
    fill(api)
    # PostgreSQL does without the audit_log_id foreign keys (tables.py), which SQLite checks: a row naming
    # an audit entry that is not there fails the copy into SQLite at project_member, after earlier tables
    with api.svc.db.write() as conn:
        conn.execute(t.project_member.update().values(audit_log_id=10**6))
    api.svc.db.dispose()
    new_file = tmp_path / "new.sqlite"
    with pytest.raises(
        CopyFailed, match="Copying table project_member failed: FOREIGN KEY constraint failed"
    ):
        copy_database(source, sqlite_url(new_file))
    assert not new_file.exists()  # the file it had made is gone
    existing = tmp_path / "existing.sqlite"
    shutil.copy(sqlite_template, existing)
    before = rows(sqlite_url(existing))
    with pytest.raises(CopyFailed, match="the target was left as it was"):
        copy_database(source, sqlite_url(existing))
    assert rows(sqlite_url(existing)) == before


def test_sources_that_cannot_be_copied_are_refused(tmp_path: Path) -> None:
    target = tmp_path / "target.sqlite"
    old = sqlite_url(tmp_path / "old.sqlite")
    engine = Database(old).engine
    with engine.begin() as conn:
        config = alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, "0008")
    engine.dispose()
    with pytest.raises(
        BadRequest,
        match=f"has schema revision 0008, not this genolog's {head_revision()}: bring it up to date with `genolog migrate",
    ):
        copy_database(old, sqlite_url(target))
    db = Database(old)
    with db.write() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0999'")
    db.dispose()
    with pytest.raises(
        BadRequest, match=r"revision 0999, not this genolog's .*: it was written by a newer genolog"
    ):
        copy_database(old, sqlite_url(target))
    (tmp_path / "empty.sqlite").touch()
    with pytest.raises(BadRequest, match="is not a genolog database"):
        copy_database(sqlite_url(tmp_path / "empty.sqlite"), sqlite_url(target))
    with pytest.raises(NotFound, match="does not exist: no file"):
        copy_database(sqlite_url(tmp_path / "missing.sqlite"), sqlite_url(target))
    with pytest.raises(BadRequest, match="the same database"):
        copy_database(old, old)
    with pytest.raises(BadRequest, match="not a database URL"):
        copy_database("laptop.sqlite", sqlite_url(target))
    with pytest.raises(BadRequest, match="neither SQLite nor PostgreSQL"):
        copy_database("mysql://u@h/db", sqlite_url(target))
    with pytest.raises(Unavailable, match=r"Cannot open the database postgresql://u:\*\*\*@127.0.0.1"):
        copy_database(f"postgresql://u:secret@127.0.0.1:{free_port()}/db", sqlite_url(target))
    assert not target.exists()


@pytest.mark.postgres
def test_the_cli_copies_backs_up_restores_and_refuses(
    tmp_path: Path, new_postgres: Callable[[], str]
) -> None:
    source = sqlite_url(tmp_path / "laptop.sqlite")
    api = served(source)
    fill(api)
    samples = api.ok("POST", "/sample/", json={"project_ids": ["proj", "other"]})
    token = api.user("admin")  # made on the laptop: it must work against the copy's server
    api.svc.db.dispose()
    expected = rows(source)
    postgres = new_postgres()

    copied = runner.invoke(app, ["db", "copy", "--from", source, "--to", postgres, "--json"])
    assert copied.exit_code == 0, copied.output
    summary = json.loads(copied.stdout)
    assert summary["tables"] == counts(expected) and summary["total_rows"] == sum(counts(expected).values())
    assert summary["revision"] == head_revision() and summary["source_journal_mode"] == "wal"
    assert rows(postgres) == expected

    again = runner.invoke(app, ["db", "copy", "--from", source, "--to", postgres])
    assert again.exit_code == 1 and "already holds data" in again.output and "Traceback" not in again.output
    assert rows(postgres) == expected

    backup = tmp_path / "backups" / "genolog-backup.sqlite"
    backed_up = runner.invoke(app, ["db", "backup", str(backup), "--db", postgres])
    assert backed_up.exit_code == 0, backed_up.output
    assert "the target's row counts match the source's" in backed_up.stdout
    assert rows(sqlite_url(backup)) == expected
    refused = runner.invoke(app, ["db", "backup", str(backup), "--db", postgres])
    assert refused.exit_code == 1 and "already holds data" in refused.output

    restored_into = new_postgres()
    restored = runner.invoke(app, ["db", "restore", str(backup), "--db", restored_into, "--json"])
    assert restored.exit_code == 0, restored.output
    assert rows(restored_into) == expected
    with genolog_serve(restored_into) as base:
        answered = httpx.post(
            f"{base}/api/v1/sample/", headers=token, json={"project_ids": ["proj", "other"]}
        )
        assert answered.status_code == 200 and answered.json() == samples
        new = httpx.put(
            f"{base}/api/v1/sample/proj/upsert-many", headers=token, json=[sample_with_group("NEW")]
        )
        assert new.status_code == 200, new.text
        assert new.json()[0]["id"] not in {s["id"] for s in samples}

    port = free_port()
    for arguments, message in [
        (["--from", "not a url", "--to", postgres], "is not a database URL"),
        (["--from", "postgresql://u:secret@host:port/x", "--to", postgres], "u:***@host:port/x' is not"),
        (["--from", f"postgresql://u:secret@127.0.0.1:{port}/x", "--to", postgres], ":***@127.0.0.1"),
        (["--from", sqlite_url(tmp_path / "nothing.sqlite"), "--to", postgres], "does not exist"),
        (["--from", source, "--to", source], "the same database"),
    ]:
        result = runner.invoke(app, ["db", "copy", *arguments])
        assert result.exit_code == 1, (arguments, result.output)
        assert message in result.output and "secret" not in result.output and "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1, result.output
