"""The real Metamist beside genolog in bench_graphql.py: the same project shape loaded through its API, and
the same query timed against it.

Metamist is a running server (/work/shared/tools/metamist-local/README.md builds and starts one); this
module only speaks its HTTP API, as the published client does: ``PUT /api/v1/project/`` and its members,
then ``PUT /api/v1/sample/{project}/upsert-many`` in requests of 500 samples, each with one sequencing group
holding one assay with two read files, as ``bench_graphql.populate`` writes them into genolog.

Metamist's API writes no external ids of sequencing groups (``SequencingGroupUpsert.external_ids`` is
accepted and dropped), while genolog's projects have one per group. With ``mysql_db`` (Metamist's
MariaDB database, reached by the ``mysql`` command as root over its socket, as build.sh does) they are
added by one INSERT, so that both answers carry the same rows; without it Metamist's ``externalIds`` are
empty and it says so.
"""

from __future__ import annotations

import random
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
from rich.progress import Progress

CHUNK = 500  # samples per upsert-many request, as a client's ingest sends them


@dataclass
class Metamist:
    url: str
    user: str = "testuser"  # Metamist's SM_LOCALONLY_DEFAULTUSER: the author of every request
    mysql_db: str | None = None

    def load(
        self, name: str, groups: int, assay_meta: Callable[[str, int, random.Random, datetime], Any]
    ) -> float:
        """A new project ``name`` of ``groups`` samples, each with one sequencing group and its assay (the
        meta ``assay_meta`` gives genolog's); returns the seconds it took."""
        started = time.perf_counter()
        rng, now = random.Random(7), datetime.now(UTC)
        with httpx.Client(base_url=f"{self.url}/api/v1", timeout=600) as api:
            api.put("/project/", params={"name": name, "dataset": name}).raise_for_status()
            # a project's creator is not a reader in Metamist
            roles = ["reader", "contributor", "writer"]
            api.patch(
                f"/project/{name}/members", json=[{"member": self.user, "roles": roles}]
            ).raise_for_status()
            with Progress(transient=True) as progress:
                task = progress.add_task(f"Metamist: {groups:,} samples into {name}", total=groups)
                for start in range(0, groups, CHUNK):
                    samples = [
                        _sample(name, i, assay_meta(name, i, rng, now))
                        for i in range(start + 1, min(start + CHUNK, groups) + 1)
                    ]
                    api.put(
                        f"/sample/{name}/upsert-many",
                        content=orjson.dumps(samples),
                        headers={"Content-Type": "application/json"},
                    ).raise_for_status()
                    progress.advance(task, len(samples))
        if self.mysql_db:
            self._add_group_external_ids(name)
        return time.perf_counter() - started

    def _add_group_external_ids(self, name: str) -> None:
        quoted = name.replace("'", "''")
        sql = (
            "INSERT INTO sequencing_group_external_id (project, sequencing_group_id, external_id, name) "
            f"SELECT s.project, sg.id, CONCAT('{quoted}-SG', sg.id), '' FROM sequencing_group sg "
            f"JOIN sample s ON s.id = sg.sample_id JOIN project p ON p.id = s.project WHERE p.name = '{quoted}'"
        )
        subprocess.run(["mysql", "-uroot", self.mysql_db, "-e", sql], check=True)

    def query(self, query: str, name: str) -> Callable[[], bytes]:
        """A function posting ``query`` about project ``name`` to Metamist's /graphql: the answer's bytes."""
        client = httpx.Client(base_url=self.url, timeout=600)

        def post() -> bytes:
            response = client.post("/graphql", json={"query": query, "variables": {"p": name}})
            response.raise_for_status()
            return response.content

        return post


def _sample(name: str, i: int, assay_meta: Any) -> dict[str, Any]:
    """Sample ``i`` as the published client's ``SampleUpsert`` serialises it (the fields set)."""
    group = {
        "type": "genome",
        "technology": "short-read",
        "platform": "illumina",
        "meta": {},
        "assays": [{"type": "sequencing", "meta": assay_meta}],
    }
    return {"external_ids": {"": f"{name}-S{i}"}, "type": "blood", "meta": {}, "sequencing_groups": [group]}
