"""GraphQL fields of the contract beyond the seeds' queries: a participant's pedigree rows, project roles,
completion-time filters, sequencing-group history, and moving a participant between families."""

from __future__ import annotations

import datetime

from tests.metadata.support import Api, sample_with_group
from tests.metadata.test_graphql import data, gql

PED = "F1\tkid\tdad\tmum\t1\t2\nF1\tdad\t0\t0\t1\t1\nF1\tmum\t0\t0\t2\t1\nF2\tloner\t0\t0\t2\t2\n"


def families(api: Api) -> dict[str, int]:
    api.project("proj", members={"rita": ["reader"]})
    api.ok(
        "POST",
        "/family/proj/pedigree",
        params={"create_missing_participants": True},
        files={"file": ("f.ped", PED)},
    )
    found = data(api, '{ project(name: "proj") { families { id externalId } } }')["project"]["families"]
    return {f["externalId"]: f["id"] for f in found}


def test_a_participant_shows_its_pedigree_row_and_family(api: Api) -> None:
    families(api)
    result = data(
        api,
        """{ project(name: "proj") { participants(externalId: {in_: ["kid", "loner"]}) {
             externalId familyParticipants { affected notes family { externalId } participant { externalId } } } } }""",
    )
    rows = {p["externalId"]: p["familyParticipants"] for p in result["project"]["participants"]}
    assert rows == {
        "kid": [
            {
                "affected": 2,
                "notes": None,
                "family": {"externalId": "F1"},
                "participant": {"externalId": "kid"},
            }
        ],
        "loner": [
            {
                "affected": 2,
                "notes": None,
                "family": {"externalId": "F2"},
                "participant": {"externalId": "loner"},
            }
        ],
    }


def test_roles_are_the_callers_own_as_enum_values(api: Api) -> None:
    families(api)
    assert data(api, '{ project(name: "proj") { roles } }', user="rita") == {"project": {"roles": ["reader"]}}
    admin_roles = data(api, '{ project(name: "proj") { roles } }')["project"]["roles"]
    assert {"reader", "writer", "project_admin"} <= set(admin_roles)


def test_project_analyses_filter_on_completion_time(api: Api) -> None:
    api.project("proj")
    [created] = api.ok("PUT", "/sample/proj/upsert-many", json=[sample_with_group("S1")])
    sg = created["sequencing_groups"][0]["id"]
    ids = {}
    for day in ("2024-01-01", "2024-06-01"):
        ids[day] = api.ok(
            "PUT",
            "/analysis/proj/",
            json={
                "type": "cram",
                "status": "completed",
                "sequencing_group_ids": [sg],
                "timestamp_completed": f"{day}T00:00:00+00:00",
                "meta": {},
            },
        )
    result = data(
        api,
        '{ project(name: "proj") { analyses(timestampCompleted: {gte: "2024-03-01T00:00:00+00:00"}) { id } } }',
    )
    assert result["project"]["analyses"] == [{"id": ids["2024-06-01"]}]
    # an offset is honoured: 02:00+02:00 is midnight UTC, when the first analysis completed
    exact = data(
        api,
        '{ project(name: "proj") { analyses(timestampCompleted: {eq: "2024-01-01T02:00:00+02:00"}) { id } } }',
    )
    assert exact["project"]["analyses"] == [{"id": ids["2024-01-01"]}]


def test_sequencing_group_history_is_a_running_total_by_day(api: Api) -> None:
    api.project("proj")
    api.ok("PUT", "/sample/proj/upsert-many", json=[sample_with_group("S1"), sample_with_group("S2")])
    api.ok("PUT", "/sample/proj/upsert-many", json=[sample_with_group("S3")])
    history = data(api, '{ project(name: "proj") { sequencingGroupHistory { date type technology count } } }')
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    assert history["project"]["sequencingGroupHistory"] == [
        {"date": today, "type": "genome", "technology": "short-read", "count": 3}
    ]
    empty = data(api, '{ project(name: "proj-test") { sequencingGroupHistory { count } } }')
    assert empty["project"]["sequencingGroupHistory"] == []


MOVE = """mutation ($p: Int!, $old: Int!, $new: Int!) { participant {
  updateParticipantFamily(participantId: $p, oldFamilyId: $old, newFamilyId: $new) { familyId participantId } } }"""


def test_a_participant_moves_between_families_of_its_project(api: Api) -> None:
    ids = families(api)
    [loner] = data(api, '{ project(name: "proj") { participants(externalId: {eq: "loner"}) { id } } }')[
        "project"
    ]["participants"]
    moved = data(api, MOVE, {"p": loner["id"], "old": ids["F2"], "new": ids["F1"]})
    assert moved["participant"]["updateParticipantFamily"] == {
        "familyId": ids["F1"],
        "participantId": loner["id"],
    }
    members = data(
        api, "query ($id: Int!) { family(familyId: $id) { participants { externalId } } }", {"id": ids["F1"]}
    )
    assert {p["externalId"] for p in members["family"]["participants"]} == {"kid", "dad", "mum", "loner"}
    last = api.ok("GET", f"/family/{ids['F1']}/history")[-1]  # the move is in the family's history
    assert last["operation"] == "update" and last["author"] == "admin"
    assert loner["id"] in [m["participant_id"] for m in last["new"]["participants"]]
    assert loner["id"] not in [m["participant_id"] for m in last["old"]["participants"]]


def test_moving_from_the_wrong_family_or_without_write_access_changes_nothing(api: Api) -> None:
    ids = families(api)
    [loner] = data(api, '{ project(name: "proj") { participants(externalId: {eq: "loner"}) { id } } }')[
        "project"
    ]["participants"]
    wrong = gql(api, MOVE, {"p": loner["id"], "old": ids["F1"], "new": ids["F2"]})
    assert wrong["data"] is None and "is not in family" in wrong["errors"][0]["message"]
    reader = gql(api, MOVE, {"p": loner["id"], "old": ids["F2"], "new": ids["F1"]}, user="rita")
    assert reader["data"] is None and reader["errors"]
    members = data(
        api, "query ($id: Int!) { family(familyId: $id) { participants { externalId } } }", {"id": ids["F2"]}
    )
    assert members["family"]["participants"] == [{"externalId": "loner"}]
