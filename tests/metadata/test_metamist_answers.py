"""genolog answers as Metamist answers, through the published metamist client against a live server.

Each test runs one scenario of ``scripts/metamist_answers.py`` (the client in its own venv) on SQLite and
PostgreSQL. The expected answers are what Metamist's server (7.13.4, run locally with the 7.14 client)
answered to the same scenario; where genolog keeps a deliberate difference, the test says so.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from genolog.metadata.service import Service
from tests.metadata.live import live_server
from tests.metadata.support import is_naive_utc

SCRIPT = Path(__file__).parent / "scripts" / "metamist_answers.py"
PROJECT = "answers"


@pytest.fixture
def scenario(dev_service: Service, metamist_python: Path) -> Iterator[Any]:
    """Runs a scenario of the client script against a live server on this test's database."""
    with live_server(dev_service) as url:

        def run(name: str) -> Any:
            env = {k: v for k, v in os.environ.items() if k not in ("CPG_CONFIG_PATH", "VIRTUAL_ENV")}
            env.update(SM_ENVIRONMENT="local", SM_URL=url)
            result = subprocess.run(
                [str(metamist_python), str(SCRIPT), name, PROJECT],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert result.returncode == 0, result.stderr[-4000:]
            return json.loads(result.stdout)

        yield run


def test_update_project_merges_the_given_meta(scenario: Any) -> None:
    """REST ``update_project`` and GraphQL ``updateProject`` take ``{"meta": {...}}`` and merge that meta."""
    out = scenario("project_meta")
    assert out["meta"] == {"is_seqr": True, "a": {"b": 1, "d": 3}}
    assert out["graphql"] == {"is_seqr": True, "a": {"b": 1, "d": 3}, "z": 1}
    assert out["seqr"] == [PROJECT]


# the published client's AnalysisRunner model: these fields and no others
RUNNER_FIELDS = {
    "ar_guid",
    "output_path",
    "timestamp",
    "access_level",
    "repository",
    "commit",
    "script",
    "description",
    "driver_image",
    "config_path",
    "cwd",
    "environment",
    "hail_version",
    "batch_url",
    "submitting_user",
    "meta",
    "project",
    "audit_log_id",
}


def test_analysis_runner_logs_are_read_by_the_published_model(scenario: Any) -> None:
    """``get_analysis_runner_logs`` (and the legacy ``get_analysis_runner_log``) deserialise into the
    client's ``AnalysisRunner``: no outcome fields (genolog's ``/analysis-runner/runs`` has them)."""
    out = scenario("runner_logs")
    for listing in (out["logs"], out["legacy"]):
        [log] = listing
        assert set(log) == RUNNER_FIELDS
        assert log["ar_guid"] == f"{PROJECT}-ar" and log["meta"] == {"k": "v"}
        assert log["commit"] == "abc123" and log["cwd"] is None
    assert out["logs"][0]["project"] == PROJECT
    # kept: Metamist's legacy listing names the project by its id ("9") when not asked for by name
    assert out["legacy"][0]["project"] == PROJECT


def test_active_only_false_answers_the_archived_sequencing_groups(scenario: Any) -> None:
    out = scenario("active_only")
    kept, archived = out["kept"], out["archived"]
    assert out["project"] == {"all": [{"id": kept}], "archived": [{"id": archived}], "active": [{"id": kept}]}
    assert out["root"] == [{"id": archived, "archived": True}]
    assert out["nested"] == [
        {"externalId": "S1", "sequencingGroups": []},
        {"externalId": "S2", "sequencingGroups": [{"id": archived}]},
    ]


def test_history_of_a_sample_is_its_versions(scenario: Any, dev_service: Service) -> None:
    """Metamist answers each version of the sample's row (its ``SampleInternal``: raw integer ids)."""
    out = scenario("sample_history")
    raw_id = dev_service.codecs.sample.parse(out["id"])
    first, second = out["history"]
    version = {
        "id": raw_id,
        # kept: Metamist shows {"(not available)": "(not available)"} and a null author
        "external_ids": {"": "S1"},
        "meta": {"a": 1},
        "project": first["project"],
        "type": "blood",
        "participant_id": None,
        "active": True,
        "sample_root_id": None,
        "sample_parent_id": None,
        "author": "dev",
    }
    assert isinstance(first["project"], int)
    assert first == version
    assert second == {**version, "meta": {"a": 1, "b": 2}}


def test_pedigree_exports_have_metamists_header_columns_and_line_ends(scenario: Any) -> None:
    out = scenario("pedigree_tsv")
    rows = [
        ["#Family ID", "Individual ID", "Paternal ID", "Maternal ID", "Sex", "Affected"],
        ["Fam1", "DAD", "", "", "1", "1"],
        ["Fam1", "MUM", "", "", "2", "1"],
        ["Fam1", "KID", "DAD", "MUM", "1", "2"],
    ]
    assert out["tsv"] == {
        "text": "".join("\t".join(r) + "\r\n" for r in rows),
        "type": "text/tab-separated-values; charset=utf-8",
    }
    assert out["csv"] == {
        "text": "".join(",".join(r) + "\r\n" for r in rows),
        "type": "text/csv; charset=utf-8",
    }


def test_no_latest_complete_analysis_is_a_404(scenario: Any) -> None:
    out = scenario("latest_missing")
    for answer in (out["get"], out["post"]):
        assert answer["status"] == 404
        assert answer["body"]["description"] == "Couldn't find any analysis with type cram"


def test_graphql_variable_errors_are_graphqls_own(scenario: Any) -> None:
    out = scenario("graphql_variables")
    messages = {case: [e["message"] for e in answer["first"]] for case, answer in out.items()}
    assert messages == {
        "missing": ["Variable '$p' of required type 'String!' was not provided."],
        "mistyped": ["Variable '$p' got invalid value 3; String cannot represent a non string value: 3"],
        "null": ["Variable '$p' of non-null type 'String!' must not be null."],
        "nested": [
            "Variable '$f' got invalid value 'x' at 'f.eq'; Int cannot represent non-integer value: 'x'"
        ],
    }
    assert out["missing"]["first"][0]["locations"] == [{"line": 1, "column": 8}]


def test_acknowledgements_are_metamists(scenario: Any) -> None:
    out = scenario("acknowledgements")
    assert out["members"] == {"success": True}
    assert out["project"] is None
    assert out["pedigree"]["success"] is True  # genolog adds what it imported beside it
    assert out["family"] == {"success": True}
    # update_participant echoes the update as sent, with its id, under "success"
    assert out["participant"] == {
        "success": {
            "id": out["participant_id"],
            "external_ids": None,
            "reported_sex": None,
            "reported_gender": "f",
            "karyotype": None,
            "meta": {"m": 1},
            "samples": None,
            "phenotypes": None,
        }
    }
    # update_sample echoes the update as sent, with its id
    assert out["sample"] == {
        "id": out["sample_id"],
        "external_ids": None,
        "meta": {"m": 1},
        "project": None,
        "type": None,
        "participant_id": None,
        "active": None,
        "nested_samples": [],
        "sequencing_groups": [],
        "non_sequencing_assays": [],
    }


SEQUENCING = {
    "sequencing_type": "genome",
    "sequencing_technology": "short-read",
    "sequencing_platform": "illumina",
}


def _sample_echo(sent: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A sample of an upsert answer: every field of ``SampleUpsert``, unset ones null (lists empty), with
    the id it got; its groups and assays link back to it by ``sample_id``."""
    groups = [
        {
            "id": g["id"],
            "type": "genome",
            "technology": "short-read",
            "platform": "illumina",
            "meta": None,
            "sample_id": sent["id"],
            "external_ids": None,
            "assays": [
                {
                    "id": a["id"],
                    "type": "sequencing",
                    "external_ids": None,
                    "sample_id": sent["id"],
                    "meta": SEQUENCING,
                }
                for a in g["assays"]
            ],
        }
        for g in sent["sequencing_groups"]
    ]
    base = {
        "id": sent["id"],
        "external_ids": sent["external_ids"],
        "meta": None,
        "project": None,
        "type": "blood",
        "participant_id": None,
        "active": None,
        "nested_samples": [],
        "sequencing_groups": groups,
        "non_sequencing_assays": [],
    }
    return {**base, **fields}


def test_upsert_answers_echo_every_field_with_back_links(scenario: Any) -> None:
    out = scenario("upsert_echoes")
    p1, p2 = out["participants"]
    [s1] = p1["samples"]
    assert isinstance(p1["id"], int) and isinstance(s1["sequencing_groups"][0]["assays"][0]["id"], int)
    assert p1 == {
        "id": p1["id"],
        "external_ids": {"": "P1"},
        "reported_sex": 1,
        "reported_gender": None,
        "karyotype": None,
        "meta": None,
        "samples": [_sample_echo(s1, meta={"x": 1}, participant_id=p1["id"])],
        "phenotypes": None,
    }
    assert p2 == {
        "id": p2["id"],
        "external_ids": {"": "P2"},
        "reported_sex": None,
        "reported_gender": None,
        "karyotype": None,
        "meta": None,
        "samples": [],
        "phenotypes": None,
    }
    [s2] = out["samples"]
    [nested] = s2["nested_samples"]
    assert s2 == _sample_echo(s2, nested_samples=[_sample_echo({**nested, "sequencing_groups": []})])
    assert nested["external_ids"] == {"": "S2-n"}


def test_a_sample_without_a_type_is_accepted(scenario: Any) -> None:
    out = scenario("untyped_sample")
    assert out["upserted"] == {
        "id": out["upserted"]["id"],
        "external_ids": {"": "U1"},
        "meta": None,
        "project": None,
        "type": None,
        "participant_id": None,
        "active": None,
        "nested_samples": [],
        "sequencing_groups": [],
        "non_sequencing_assays": [],
    }
    assert out["created"].startswith("XPG")
    # kept: Metamist reads the missing type back as the text "None"; genolog's REST answers null
    assert out["read"]["type"] is None and out["read"]["meta"] == {"a": 1, "b": 2}
    assert out["typed_later"]["type"] == "saliva"
    # GraphQL's GraphQLSample.type is a String!: there genolog answers "None", as Metamist does
    assert out["graphql"] == {
        "project": {"samples": [{"externalId": "U1", "type": "saliva"}, {"externalId": "U2", "type": "None"}]}
    }


def test_timestamps_are_naive_utc(scenario: Any) -> None:
    """Every timestamp the client reads (REST and GraphQL) compares with a naive UTC ``datetime``."""
    out = scenario("naive_timestamps")
    for name, text in out["texts"].items():
        assert is_naive_utc(text), (name, text)
        assert -2 < out["ages"][name] < 120, (name, out["ages"][name])
