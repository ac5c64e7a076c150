"""Fuzzing every REST operation from the service's own OpenAPI document with schemathesis: never a 5xx.

The app runs in-process (ASGI) on SQLite with the sandbox projects loaded and a development user, so
requests get past authentication. For each operation, schemathesis generates valid requests (positive)
and requests that break the schema (negative); half of them aim path parameters at things that exist
(the sandbox project, its samples, sequencing groups, participants, ...), so the fuzzing reaches past the
404s. Hypothesis runs derandomized with no example database: every run sends the same requests.

Any 5xx is a bug: bad input must get a 4xx JSON error that names the problem.
"""

from __future__ import annotations

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
from genolog.metadata.api.app import create_app
from genolog.metadata.api.service import Service
from genolog.metadata.db import Database
from genolog.metadata.sandbox import SANDBOX, load_sandbox
from genolog.metadata.settings import ServerSettings

EXAMPLES_PER_MODE = 15  # per operation, for each of the positive and the negative mode
USER = "fuzzer"


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
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
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
