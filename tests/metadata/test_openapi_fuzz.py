"""Fuzzing every REST operation from the service's own OpenAPI document with schemathesis: never a 5xx.

The app runs in-process (ASGI) on SQLite with the sandbox projects loaded and a development user, so
requests get past authentication. For each operation, schemathesis generates valid requests (positive)
and requests that break the schema (negative); half of them aim path parameters at things that exist
(the sandbox project, its samples, sequencing groups, participants, ...), so the fuzzing reaches past the
404s. Hypothesis runs derandomized with no example database: every run sends the same requests.

Any 5xx is a bug: bad input must get a 4xx JSON error that names the problem.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from schemathesis import GenerationMode

from genolog.metadata import tables as t
from genolog.metadata.app import create_app
from genolog.metadata.db import Database
from genolog.metadata.sandbox import SANDBOX, load_sandbox
from genolog.metadata.service import Service
from genolog.metadata.settings import ServerSettings

EXAMPLES_PER_MODE = 15  # per operation, for each of the positive and the negative mode
USER = "fuzzer"


def _ndjson() -> st.SearchStrategy[bytes]:
    """Bodies for ``POST /ingest/{project}`` (NDJSON, a string to the schema): lines that are records shaped
    like the API's participant and sample trees with fuzzed values, other JSON, or junk, in any mix."""
    values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
        max_leaves=6,
    )
    anything = st.dictionaries(st.text(max_size=6), values, max_size=3)
    eids = st.dictionaries(st.sampled_from(["", "lab"]), st.text(max_size=10) | st.none(), max_size=2)
    assay = st.fixed_dictionaries(
        {}, optional={"type": st.sampled_from(["sequencing", "bogus"]), "meta": anything, "id": values}
    )
    group = st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from(["genome", "exome", "bogus"]),
            "technology": st.sampled_from(["short-read", "bogus"]),
            "platform": st.sampled_from(["illumina", "bogus"]),
            "assays": st.lists(assay, max_size=2),
            "id": values,
        },
    )
    sample = st.fixed_dictionaries(
        {"external_ids": eids},
        optional={
            "type": st.sampled_from(["blood", "bogus"]),
            "meta": anything,
            "sequencing_groups": st.lists(group, max_size=2),
            "id": values,
            "participant_id": values,
        },
    )
    participant = st.fixed_dictionaries(
        {"external_ids": eids},
        optional={
            "reported_sex": values,
            "phenotypes": anything,
            "meta": anything,
            "samples": st.lists(sample, max_size=2),
            "id": values,
        },
    )
    record = (
        st.builds(lambda s: {"sample": s}, sample)
        | st.builds(lambda p: {"participant": p}, participant)
        | st.builds(lambda p, s: {"participant": p, "sample": s}, participant, sample)
        | anything
    )
    line = record.map(json.dumps) | st.text(max_size=20)
    # surrogatepass: a lone surrogate in a junk line becomes bytes that are not UTF-8, as a broken client sends
    return st.lists(line, max_size=4).map(lambda lines: "\n".join(lines).encode("utf-8", "surrogatepass"))


schemathesis.openapi.media_type("application/x-ndjson", _ndjson())


def _settings() -> hypothesis.settings:
    return hypothesis.settings(
        max_examples=EXAMPLES_PER_MODE,
        derandomize=True,  # reproducible: the same examples on every run
        database=None,  # and no memory of earlier runs' failures
        deadline=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )


@pytest.fixture
def fuzz_app(tmp_path: Path, sqlite_template: Path) -> Iterator[tuple[Any, dict[str, Any]]]:
    """The app on a copy of the migrated SQLite template, with the sandbox loaded; and ids that exist."""
    path = tmp_path / "fuzz.sqlite"
    path.write_bytes(sqlite_template.read_bytes())
    url = f"sqlite:///{path}"
    svc = Service.create(ServerSettings(db=url, dev_user=USER), Database(url))
    load_sandbox(svc, USER)
    with svc.db.read() as conn:

        def first(table: sa.Table) -> Any:
            return conn.execute(sa.select(sa.func.min(table.c.id))).scalar_one()

        known = {
            "project": SANDBOX,
            "id_": svc.codecs.sample.format(first(t.sample)),
            "sequencing_group_id": svc.codecs.sequencing_group.format(first(t.sequencing_group)),
            "participant_id": first(t.participant),
            "assay_id": first(t.assay),
            "family_id": first(t.family),
            "analysis_id": first(t.analysis),
        }
    yield create_app(svc), {k: v for k, v in known.items() if v is not None}
    svc.db.dispose()


def _strategy(operation: Any, mode: GenerationMode, known: dict[str, Any]) -> st.SearchStrategy[Any]:
    random_ = operation.as_strategy(generation_mode=mode)
    names = {p.name for p in operation.path_parameters}
    fixed = {k: v for k, v in known.items() if k in names}
    if not fixed:
        return random_
    return st.one_of(random_, operation.as_strategy(generation_mode=mode, path_parameters=fixed))


def _failures(operation: Any, mode: GenerationMode, known: dict[str, Any]) -> list[str]:
    """Fuzz one operation in one mode; the 5xx (or crash) it finds, shrunk to the smallest request."""
    found: list[str] = []

    @_settings()
    @given(case=_strategy(operation, mode, known))
    def run(case: Any) -> None:
        try:
            response = case.call()
        except Exception as e:  # the app raised through the transport
            raise AssertionError(f"{type(e).__name__}: {e}\n{case.as_curl_command()}") from e
        assert response.status_code < 500, (
            f"{response.status_code} {response.text[:300]}\n{case.as_curl_command()}"
        )
        if response.status_code >= 400 and operation.path != "/graphql":  # GraphQL has its own errors
            body = response.json()
            assert set(body) == {"name", "description"} and body["description"], (
                f"{response.status_code} without a JSON {{name, description}}: {response.text[:300]}"
                f"\n{case.as_curl_command()}"
            )

    try:
        run()
    except hypothesis.errors.Unsatisfiable:  # nothing to break: an operation with no parameters or body
        assert mode == GenerationMode.NEGATIVE, operation.label
    except Exception as e:  # one failure, or an ExceptionGroup of distinct ones
        for error in e.exceptions if isinstance(e, BaseExceptionGroup) else [e]:
            found.append(f"{operation.label} [{mode.value}]: {str(error).splitlines()[0][:300]}\n{error}")
    return found


@pytest.mark.slow
def test_no_operation_answers_a_5xx(fuzz_app: tuple[Any, dict[str, Any]]) -> None:
    app, known = fuzz_app
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    started = time.monotonic()
    failures: list[str] = []
    operations = 0
    timings: list[tuple[float, str]] = []
    only = os.environ.get("GENOLOG_FUZZ_ONLY")  # e.g. "/ingest/": fuzz only operations whose label has it
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        if only and only not in operation.label:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            op_started = time.monotonic()
            failures += _failures(operation, mode, known)
            timings.append((time.monotonic() - op_started, f"{operation.label} [{mode.value}]"))
    elapsed = time.monotonic() - started
    slowest = ", ".join(f"{label} {seconds:.1f}s" for seconds, label in sorted(timings, reverse=True)[:8])
    assert operations >= 60, f"only {operations} operations in /openapi.json"
    print(f"fuzzed {operations} operations in {elapsed:.0f}s; slowest: {slowest}")
    assert not failures, f"{len(failures)} operations answered 5xx:\n\n" + "\n\n".join(failures)
    print(f"fuzzed {operations} operations in {elapsed:.0f}s; slowest: {slowest}")
