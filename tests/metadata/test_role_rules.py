"""Rules on who may change what, and what an answer gives away (issue 19, items 8, 9, 11 and 12)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from genolog.metadata.permissions import OWNER_ROLES
from tests.metadata.support import Api, assert_rejected, sample_with_group
from tests.metadata.test_graphql import gql
from tests.metadata.test_graphql_records import RUN

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


# --- item 9: a project-creator owns the projects it creates, and no others ------------------------------


def test_a_project_creator_owns_what_it_creates_and_cannot_touch_other_projects(api: Api) -> None:
    api.project("theirs", members={"rita": ["reader"]})
    api.user("maker", "project-creator")
    api.ok("PUT", "/project/", "maker", params={"name": "mine", "create_test_project": True})
    made = gql(
        api,
        'mutation { project { createProject(name: "mine2", dataset: "mine2", createTestProject: false) { name roles } } }',
        user="maker",
    )
    assert made["data"]["project"]["createProject"]["roles"] == sorted(OWNER_ROLES)
    # the creator is a real member of what it made, with every owner role
    seen = {p["name"]: p["roles"] for p in api.ok("GET", "/project/all", "maker")}
    assert seen == {name: sorted(OWNER_ROLES) for name in ("mine", "mine-test", "mine2")}
    assert api.ok("GET", "/project/mine-test/members", "maker") == [
        {"member": "maker", "roles": sorted(OWNER_ROLES)}
    ]
    # and administers it: meta, members, wiping its test twin
    assert api.ok("POST", "/project/mine/update", "maker", json={"meta": {"k": 1}}) is None
    roster = [{"member": "maker", "roles": list(OWNER_ROLES)}, {"member": "rita", "roles": ["reader"]}]
    assert api.ok("PATCH", "/project/mine/members", "maker", json=roster) == {"success": True}
    assert api.ok("DELETE", "/project/mine-test", "maker") is True
    # another project does not exist for it: the same 404 as a project that does not exist at all
    for method, path, kwargs in (
        ("POST", "/project/{}/update", {"json": {"meta": {"k": 1}}}),
        ("DELETE", "/project/{}-test", {}),
        ("PATCH", "/project/{}/members", {"json": [{"member": "maker", "roles": ["reader"]}]}),
        ("GET", "/project/{}/members", {}),
    ):
        theirs = api.call(method, path.format("theirs"), "maker", **kwargs)
        ghost = api.call(method, path.format("ghost"), "maker", **kwargs)
        _same_answer(theirs, ghost, "theirs", "ghost")
    assert api.ok("GET", "/project/all", "rita")[0]["meta"] == {}
    assert "theirs" not in [p["name"] for p in api.ok("GET", "/project/all", "maker")]


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
    [created] = api.ok("GET", f"/sample/{sample['id']}/audit-history")
    assert created["meta"] == {
        "path": "/api/v1/sample/proj/upsert-many",
        "ip": "testclient",
        "HAIL_BATCH_ID": "42",
    }


# --- item 12: changing a run needs the role recording it needed ----------------------------------------


def test_a_contributor_cannot_change_a_standard_or_full_run_but_can_a_test_one(api: Api) -> None:
    api.project(members={"cora": ["contributor"], "wes": ["writer", "contributor"]})
    for guid, project, level in (
        ("std", "proj", "standard"),
        ("full", "proj", "full"),
        ("tst", "proj-test", "test"),
    ):
        params = {**RUN, "ar_guid": guid, "access_level": level, "submitting_user": "wes"}
        api.ok("PUT", f"/analysis-runner/{project}/", user="wes", params=params, json={"k": "v"})
    outcome = {"status": "succeeded", "exit_code": 0, "duration_seconds": 1.5}
    for guid in ("std", "full"):
        assert_rejected(
            api.call("PATCH", f"/analysis-runner/{guid}/outcome", "cora", json=outcome), 403, "writer"
        )
        assert_rejected(api.call("PATCH", f"/analysis-runner/{guid}/meta", "cora", json={"k": "forged"}), 403)
        errors = gql(
            api,
            'mutation ($g: String!) { analysisRunner { updateAnalysisRunnerLogOutcome(arGuid: $g, status: "failed") } }',
            {"g": guid},
            user="cora",
        )["errors"]
        assert "writer" in errors[0]["message"]
    runs = api.ok("GET", "/analysis-runner/runs", params={"project_names": "proj"})
    records = {r["ar_guid"]: r for r in runs}
    assert {records[g]["status"] for g in ("std", "full")} == {"unknown"}
    assert {records[g]["meta"]["k"] for g in ("std", "full")} == {"v"}
    # a test-level run is the contributor's to finish, and a writer finishes any run
    assert api.ok("PATCH", "/analysis-runner/tst/outcome", "cora", json=outcome)["status"] == "succeeded"
    assert api.ok("PATCH", "/analysis-runner/tst/meta", "cora", json={"k": "w"}) is True
    assert api.ok("PATCH", "/analysis-runner/std/outcome", "wes", json=outcome)["status"] == "succeeded"
    # and a run nobody recorded is a 404, for anyone
    assert_rejected(api.call("PATCH", "/analysis-runner/nope/outcome", "cora", json=outcome), 404, "nope")
