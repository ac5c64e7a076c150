"""GraphQL cohorts: templates and cohorts made from criteria, dry runs, errors, updates, reads and permissions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic import command

from genolog.metadata.db import Database, alembic_config
from tests.metadata.support import Api, dump, sample_with_group, sequencing_assay
from tests.metadata.test_graphql import data, gql

CREATE = """
mutation ($project: String!, $spec: CohortBodyInput!, $criteria: CohortCriteriaInput, $dry: Boolean! = false,
          $exclude: Boolean! = false) {
  cohort { createCohortFromCriteria(project: $project, cohortSpec: $spec, cohortCriteria: $criteria, dryRun: $dry,
                                    excludeIneligibleSgIdsInternal: $exclude) {
    createdCohort { id name description author status template { id name criteria project { name } }
                    sequencingGroups { id } analyses { id } project { name } }
    excludedIneligibleSgIdsInternal
  } }
}
"""

TEMPLATE = """
mutation ($project: String!, $template: CohortTemplateInput!) {
  cohort { createCohortTemplate(project: $project, template: $template) { id name description criteria project { name } } }
}
"""


def _sample(external_id: str, sample_type: str, sg_type: str, technology: str) -> dict[str, Any]:
    assay = sequencing_assay(
        f"gs://b/{external_id}.fq", sequencing_type=sg_type, sequencing_technology=technology
    )
    return {
        "external_ids": {"": external_id},
        "type": sample_type,
        "sequencing_groups": [
            {"type": sg_type, "technology": technology, "platform": "illumina", "assays": [assay]}
        ],
    }


@pytest.fixture
def sgs(api: Api) -> dict[str, str]:
    """Sequencing groups by sample external id: genome short-read blood G1, G2; exome short-read saliva E1;
    genome long-read blood L1; and G9 in another project."""
    api.project("proj", members={"rita": ["reader"], "cora": ["contributor"]})
    api.project("other")
    created = api.ok(
        "PUT",
        "/sample/proj/upsert-many",
        json=[
            sample_with_group("G1"),
            sample_with_group("G2"),
            _sample("E1", "saliva", "exome", "short-read"),
            _sample("L1", "blood", "genome", "long-read"),
        ],
    )
    created += api.ok("PUT", "/sample/other/upsert-many", json=[sample_with_group("G9")])
    return {s["external_ids"][""]: s["sequencing_groups"][0]["id"] for s in created}


def create(api: Api, name: str, criteria: dict[str, Any] | None, user: str = "admin", **more: Any) -> Any:
    spec = {"name": name, "description": f"{name} cohort", **more.pop("spec", {})}
    variables = {"project": "proj", "spec": spec, "criteria": criteria, **more}
    return gql(api, CREATE, variables, user=user)


def created(api: Api, name: str, criteria: dict[str, Any] | None, **more: Any) -> dict[str, Any]:
    body = create(api, name, criteria, **more)
    assert "errors" not in body, body["errors"]
    result: dict[str, Any] = body["data"]["cohort"]["createCohortFromCriteria"]
    return result


def error(body: dict[str, Any]) -> str:
    assert body.get("errors"), body
    message: str = body["errors"][0]["message"]
    return message


def ids(nodes: list[dict[str, Any]]) -> list[str]:
    return sorted(n["id"] for n in nodes)


def test_criteria_filter_technology_type_sample_type_and_exclusions(api: Api, sgs: dict[str, str]) -> None:
    short_genomes = created(api, "short", {"sgTechnology": ["short-read"], "sgType": ["genome"]})
    cohort = short_genomes["createdCohort"]
    assert ids(cohort["sequencingGroups"]) == sorted([sgs["G1"], sgs["G2"]])
    assert cohort["id"].startswith("COH") and cohort["status"] == "active" and cohort["author"] == "admin"
    assert cohort["project"] == {"name": "proj"} and cohort["analyses"] == []
    # a template was made from the criteria, projects defaulting to the cohort's own
    template = cohort["template"]
    assert template["id"].startswith("CTPL") and template["name"] == "short"
    assert template["criteria"]["projects"] == ["proj"]
    assert template["criteria"]["sg_technology"] == ["short-read"]

    saliva = created(api, "saliva", {"sampleType": ["saliva"]})["createdCohort"]
    assert ids(saliva["sequencingGroups"]) == [sgs["E1"]]
    without = created(api, "without", {"excludedSgsInternal": [sgs["G1"], sgs["L1"]]})["createdCohort"]
    assert ids(without["sequencingGroups"]) == sorted([sgs["G2"], sgs["E1"]])
    both = created(api, "both", {"projects": ["proj", "other"], "sgTechnology": ["short-read"]})[
        "createdCohort"
    ]
    assert sgs["G9"] in ids(both["sequencingGroups"]) and sgs["L1"] not in ids(both["sequencingGroups"])


def test_a_template_is_reused_and_archived_groups_are_left_out(api: Api, sgs: dict[str, str]) -> None:
    template = data(
        api,
        TEMPLATE,
        {
            "project": "proj",
            "template": {"name": "genomes", "description": "all genomes", "criteria": {"sgType": ["genome"]}},
        },
    )["cohort"]["createCohortTemplate"]
    assert template["criteria"]["sg_type"] == ["genome"] and template["project"] == {"name": "proj"}
    data(
        api,
        "mutation ($ids: [String!]!) { sequencingGroup { archiveSequencingGroups(sequencingGroupIds: $ids) { id } } }",
        {"ids": [sgs["L1"]]},
    )
    cohort = created(api, "from-template", None, spec={"templateId": template["id"]})["createdCohort"]
    assert cohort["template"]["id"] == template["id"]
    assert ids(cohort["sequencingGroups"]) == sorted([sgs["G1"], sgs["G2"]])


def test_dry_run_writes_nothing(api: Api, sgs: dict[str, str]) -> None:
    with api.svc.db.read() as conn:
        before = dump(conn)
    preview = created(api, "trial", {"sgType": ["exome"]}, dry=True)["createdCohort"]
    assert ids(preview["sequencingGroups"]) == [sgs["E1"]]
    assert preview["template"]["id"] == "CREATE NEW" and preview["template"]["criteria"]["sg_type"] == [
        "exome"
    ]
    with api.svc.db.read() as conn:
        assert dump(conn) == before
    assert data(api, '{ cohorts(name: {eq: "trial"}) { id } }')["cohorts"] == []


def test_bad_criteria_are_refused(api: Api, sgs: dict[str, str]) -> None:
    created(api, "taken", {"sgType": ["exome"]})
    assert "already exists" in error(create(api, "taken", {"sgType": ["genome"]}))
    assert "already exists" in error(create(api, "taken", {"sgType": ["genome"]}, dry=True))
    assert "no sequencing groups" in error(
        create(api, "empty", {"sampleType": ["saliva"], "sgType": ["genome"]})
    )
    assert "Invalid sequencing group id" in error(create(api, "bad", {"sgIdsInternal": ["nonsense"]}))
    assert "Unknown sequencing technology" in error(create(api, "bad", {"sgTechnology": ["laser"]}))
    assert "not found" in error(create(api, "bad", {"projects": ["nowhere"]}))
    unknown_template = api.svc.codecs.cohort_template.format(99)
    assert "not found" in error(create(api, "bad", None, spec={"templateId": unknown_template}))
    assert "Invalid cohort template id" in error(create(api, "bad", None, spec={"templateId": "CTPL1"}))
    assert "needs criteria" in error(create(api, "bad", None))


def test_ineligible_requested_groups_are_an_error_unless_excluded(api: Api, sgs: dict[str, str]) -> None:
    criteria = {"sgIdsInternal": [sgs["G1"], sgs["E1"]], "sgType": ["genome"]}
    assert sgs["E1"] in error(create(api, "picked", criteria))
    result = created(api, "picked", criteria, exclude=True)
    assert ids(result["createdCohort"]["sequencingGroups"]) == [sgs["G1"]]
    assert result["excludedIneligibleSgIdsInternal"] == [sgs["E1"]]


def test_update_name_and_status_keeps_history(api: Api, sgs: dict[str, str]) -> None:
    cohort_id = created(api, "first", {"sgType": ["genome"]})["createdCohort"]["id"]
    updated = data(
        api,
        'mutation ($id: String!) { cohort { updateCohort(id: $id, cohort: {name: "renamed", status: archived}) { id name status } } }',
        {"id": cohort_id},
    )["cohort"]["updateCohort"]
    assert updated == {"id": cohort_id, "name": "renamed", "status": "archived"}
    archived = data(api, "{ cohorts(status: {eq: archived}) { name } }")["cohorts"]
    assert archived == [{"name": "renamed"}]
    assert data(api, "{ cohorts(status: {eq: active}) { name } }")["cohorts"] == []
    with api.svc.db.read() as conn:
        changes = [r for r in dump(conn)["change"] if r["entity"] == "cohort"]
    assert [c["operation"] for c in changes] == ["create", "update"]
    assert changes[1]["old"]["status"] == "active" and changes[1]["new"]["status"] == "archived"
    created(api, "second", {"sgType": ["exome"]})
    taken = gql(
        api,
        'mutation ($id: String!) { cohort { updateCohort(id: $id, cohort: {name: "second"}) { id } } }',
        {"id": cohort_id},
    )
    assert "already exists" in error(taken)


def test_queries_by_root_and_project(api: Api, sgs: dict[str, str]) -> None:
    genomes = created(api, "genomes", {"sgType": ["genome"]})["createdCohort"]
    exomes = created(api, "exomes", {"sgType": ["exome"]})["createdCohort"]
    found = data(
        api,
        '{ cohorts(project: {eq: "proj"}, name: {startswith: "gen"}) { id name template { id } } }',
    )["cohorts"]
    assert found == [{"id": genomes["id"], "name": "genomes", "template": {"id": genomes["template"]["id"]}}]
    by_template = data(
        api, "query ($t: String!) { cohorts(templateId: {eq: $t}) { name } }", {"t": exomes["template"]["id"]}
    )
    assert by_template["cohorts"] == [{"name": "exomes"}]
    templates = data(api, '{ cohortTemplates(project: {eq: "proj"}) { id name criteria } }')[
        "cohortTemplates"
    ]
    assert [t["name"] for t in templates] == ["genomes", "exomes"]
    one = data(
        api,
        "query ($id: String!) { cohortTemplates(id: {eq: $id}) { name } }",
        {"id": exomes["template"]["id"]},
    )
    assert one["cohortTemplates"] == [{"name": "exomes"}]
    project = data(
        api,
        """{ project(name: "proj") { cohorts { name sequencingGroups { id } template { criteria } }
             recent: cohorts(timestamp: {gte: "2000-01-01T00:00:00+00:00"}, author: {eq: "admin"}) { name }
             none: cohorts(timestamp: {lt: "2000-01-01T00:00:00+00:00"}) { name } } }""",
    )["project"]
    assert [c["name"] for c in project["cohorts"]] == ["genomes", "exomes"]
    assert ids(project["cohorts"][1]["sequencingGroups"]) == [sgs["E1"]]
    assert project["cohorts"][0]["template"]["criteria"]["sg_type"] == ["genome"]
    assert len(project["recent"]) == 2 and project["none"] == []


def test_cohort_analyses_and_archived_groups(api: Api, sgs: dict[str, str]) -> None:
    cohort_id = created(api, "c", {"sgType": ["genome"], "sgTechnology": ["short-read"]})["createdCohort"][
        "id"
    ]
    analysis = api.ok(
        "PUT",
        "/analysis/proj/",
        json={"type": "qc", "status": "completed", "cohort_ids": [cohort_id], "meta": {}},
    )
    data(
        api,
        "mutation ($ids: [String!]!) { sequencingGroup { archiveSequencingGroups(sequencingGroupIds: $ids) { id } } }",
        {"ids": [sgs["G1"]]},
    )
    [cohort] = data(
        api,
        """query ($id: String!) { cohorts(id: {eq: $id}) { analyses { id } active: sequencingGroups { id }
             archived: sequencingGroups(activeOnly: {eq: false}) { id }
             all: sequencingGroups(activeOnly: {in_: [true, false]}) { id } } }""",
        {"id": cohort_id},
    )["cohorts"]
    assert cohort["analyses"] == [{"id": analysis}]
    assert ids(cohort["active"]) == [sgs["G2"]]
    assert ids(cohort["archived"]) == [sgs["G1"]]  # as Metamist: activeOnly false is the archived ones
    assert ids(cohort["all"]) == sorted([sgs["G1"], sgs["G2"]])


def test_permissions(api: Api, sgs: dict[str, str]) -> None:
    assert "needs one of the roles" in error(create(api, "by-reader", {"sgType": ["genome"]}, user="rita"))
    made = created(api, "by-contributor", {"sgType": ["genome"]}, user="cora")["createdCohort"]
    assert made["author"] == "cora"
    # a contributor cannot draw on a project it cannot read
    assert "not found" in error(create(api, "x", {"projects": ["other"]}, user="cora"))
    query = '{ cohorts { name } cohortTemplates { name } project(name: "proj") { cohorts { name } } }'
    seen = data(api, query, user="rita")
    assert seen["cohorts"] == [{"name": "by-contributor"}] and seen["cohortTemplates"] == [
        {"name": "by-contributor"}
    ]
    outsider = data(api, "{ cohorts { name } cohortTemplates { name } }", user="olga")
    assert outsider == {"cohorts": [], "cohortTemplates": []}
    assert "Could not find projects" in error(
        gql(api, '{ project(name: "proj") { cohorts { name } } }', user="olga")
    )
    update = (
        "mutation ($id: String!) { cohort { updateCohort(id: $id, cohort: {status: archived}) { status } } }"
    )
    assert "needs one of the roles" in error(gql(api, update, {"id": made["id"]}, user="rita"))
    assert "not found" in error(gql(api, update, {"id": made["id"]}, user="olga"))


def test_wiping_a_test_project_removes_its_cohorts_and_templates(api: Api, sgs: dict[str, str]) -> None:
    api.ok("PUT", "/sample/proj-test/upsert-many", json=[sample_with_group("T1")])
    variables = {"project": "proj-test", "spec": {"name": "t", "description": "d"}, "criteria": {}}
    assert "errors" not in gql(api, CREATE, variables)
    # a cohort of another project made from the test project's template outlives it
    template_id = data(api, '{ cohortTemplates(project: {eq: "proj-test"}) { id } }')["cohortTemplates"][0][
        "id"
    ]
    borrowed = created(api, "borrowed", None, spec={"templateId": template_id})["createdCohort"]
    assert borrowed["project"] == {"name": "proj"} and len(borrowed["sequencingGroups"]) == 1
    api.ok("DELETE", "/project/proj-test", params={"delete_project": True})
    assert data(api, "{ cohorts { name } }")["cohorts"] == [{"name": "borrowed"}]
    assert template_id not in [t["id"] for t in data(api, "{ cohortTemplates { id } }")["cohortTemplates"]]


def test_migration_0002_keeps_existing_cohorts_and_their_links(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'old.sqlite'}")
    with db.engine.begin() as conn:
        config = alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
        for statement in (
            "INSERT INTO project (id, name, dataset, meta) VALUES (1, 'p', 'p', '{}')",
            "INSERT INTO sample (id, project_id, type, active, meta, created_at) VALUES (1, 1, 'blood', 1, '{}', '2026-01-01')",
            "INSERT INTO sequencing_group (id, sample_id, type, technology, platform, meta, archived) "
            "VALUES (1, 1, 'genome', 'short-read', 'illumina', '{}', 0)",
            "INSERT INTO cohort (id, project_id, name, status) VALUES (1, 1, 'old', 'active')",
            "INSERT INTO cohort_sequencing_group (cohort_id, sequencing_group_id) VALUES (1, 1)",
        ):
            conn.exec_driver_sql(statement)
    db.migrate()
    with db.read() as conn:
        assert conn.exec_driver_sql("SELECT template_id, timestamp FROM cohort").all() == [(None, None)]
        assert conn.exec_driver_sql("SELECT cohort_id FROM cohort_sequencing_group").all() == [(1,)]
    db.dispose()
