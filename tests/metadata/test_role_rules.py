"""Rules on who may change what, and what an answer gives away (issue 19, items 8, 9, 11 and 12)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.metadata.support import Api, assert_rejected, sample_with_group
from tests.metadata.test_graphql import gql

# --- item 8: an entity of another project answers as a missing one ------------------------------------


def _two_projects(api: Api) -> dict[str, Any]:
    """proja (wes writes it) and projb (wes holds no role), each with a sample, a group and a family."""
    api.project("proja", members={"wes": ["writer"]})
    api.project("projb")
    made: dict[str, Any] = {}
    for project in ("proja", "projb"):
        [sample] = api.ok("PUT", f"/sample/{project}/upsert-many", json=[sample_with_group(f"{project}-S")])
        api.ok(
            "POST",
            f"/family/{project}/pedigree",
            params={"create_missing_participants": True},
            files={"file": ("f.ped", f"F-{project} {project}-P 0 0 1 1\n")},
        )
        [family] = api.ok("GET", f"/family/{project}/")
        participant = api.ok("POST", f"/participant/{project}/id-map/external", json=[f"{project}-P"])
        made[project] = {
            "sg": sample["sequencing_groups"][0]["id"],
            "family": family["id"],
            "participant": participant[f"{project}-P"],
        }
    return made


def _same_answer(elsewhere: httpx.Response, missing: httpx.Response, shown: str, ghost: str) -> None:
    """The two answers are the same 404, message and all, but for the id each names."""
    assert_rejected(elsewhere, 404, shown)
    assert_rejected(missing, 404, ghost)
    assert elsewhere.json() == {
        **missing.json(),
        "description": missing.json()["description"].replace(ghost, shown),
    }


def test_patching_another_projects_sequencing_group_answers_as_a_missing_one(api: Api) -> None:
    made = _two_projects(api)
    theirs = made["projb"]["sg"]
    ghost = api.svc.codecs.sequencing_group.format(999_999)

    def patch(sg_id: str) -> httpx.Response:
        return api.call(
            "PATCH", f"/sequencing-group/project/{sg_id}?project=proja", "wes", json={"meta": {"x": 1}}
        )

    _same_answer(patch(theirs), patch(ghost), theirs, ghost)
    assert api.ok("GET", f"/sequencing-group/{theirs}")["meta"] == {}
    # and the group of the named project is still changed
    assert patch(made["proja"]["sg"]).status_code == 200


def test_graphql_update_of_another_projects_group_or_family_answers_as_a_missing_one(api: Api) -> None:
    made = _two_projects(api)

    def update_group(sg_id: str) -> str:
        errors = gql(
            api,
            'mutation ($id: String!) { sequencingGroup { updateSequencingGroup(project: "proja", '
            "sequencingGroup: {id: $id, meta: {x: 1}}) { id } } }",
            {"id": sg_id},
            user="wes",
        )["errors"]
        return str(errors[0]["message"])

    theirs, ghost = made["projb"]["sg"], api.svc.codecs.sequencing_group.format(999_999)
    assert update_group(theirs) == update_group(ghost).replace(ghost, theirs)
    assert "not found" in update_group(theirs)

    def move(family_id: int) -> str:
        errors = gql(
            api,
            "mutation ($p: Int!, $old: Int!, $new: Int!) { participant { updateParticipantFamily("
            "participantId: $p, oldFamilyId: $old, newFamilyId: $new) { familyId } } }",
            {"p": made["proja"]["participant"], "old": made["proja"]["family"], "new": family_id},
            user="wes",
        )["errors"]
        return str(errors[0]["message"])

    their_family = made["projb"]["family"]
    assert move(their_family) == move(999_999).replace("999999", str(their_family))
    assert "not found" in move(their_family)


# --- item 11: the sm-extra-values header cannot overwrite what the server records --------------------


def test_extra_values_cannot_overwrite_the_recorded_path_and_ip(api: Api) -> None:
    api.project()
    forged = {"path": "/forged", "ip": "203.0.113.9", "HAIL_BATCH_ID": "42"}
    [sample] = api.ok(
        "PUT",
        "/sample/proj/upsert-many",
        headers={"sm-extra-values": json.dumps(forged)},
        json=[sample_with_group("S1")],
    )
    [created] = api.ok("GET", f"/sample/{sample['id']}/history")
    assert created["meta"] == {
        "path": "/api/v1/sample/proj/upsert-many",
        "ip": "testclient",
        "HAIL_BATCH_ID": "42",
    }
