import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from genolog.metadata.service import Service
from tests.metadata.live import live_server
from tests.metadata.support import Api, assert_rejected


def test_create_project_makes_its_test_twin_and_members_see_only_their_projects(api: Api) -> None:
    project_id = api.ok(
        "PUT", "/project/", params={"name": "alpha", "dataset": "alpha", "create_test_project": True}
    )
    assert isinstance(project_id, int)
    names = [p["name"] for p in api.ok("GET", "/project/all")]
    assert names == ["alpha", "alpha-test"]
    # the creator is not made a member: a plain user sees nothing until added
    assert api.ok("GET", "/project/", user="bob") == []
    api.ok("PATCH", "/project/alpha/members", json=[{"member": "bob", "roles": ["reader"]}])
    assert api.ok("GET", "/project/", user="bob") == ["alpha"]
    assert api.ok("GET", "/project/all", user="bob") == [
        {"id": project_id, "name": "alpha", "dataset": "alpha", "meta": {}, "roles": ["reader"]}
    ]


def test_project_names_are_unique_and_validated(api: Api) -> None:
    api.project("alpha")
    again = api.call("PUT", "/project/", params={"name": "alpha", "dataset": "alpha"})
    assert again.status_code == 409
    assert again.json() == {"name": "Conflict", "description": "A project named 'alpha' already exists"}
    bad = api.call("PUT", "/project/", params={"name": "has space", "dataset": "x"})
    assert bad.status_code == 400 and "has space" in bad.json()["description"]


def test_update_project_merges_meta(api: Api) -> None:
    api.project("alpha")
    api.ok("POST", "/project/alpha/update", json={"meta": {"is_seqr": True, "a": {"b": 1, "c": 2}}})
    api.ok("POST", "/project/alpha/update", json={"meta": {"a": {"c": None}}})
    meta = next(p["meta"] for p in api.ok("GET", "/project/all") if p["name"] == "alpha")
    assert meta == {"is_seqr": True, "a": {"b": 1}}
    assert [p["name"] for p in api.ok("GET", "/project/seqr/all")] == ["alpha"]


def test_members_are_replaced_not_merged(api: Api) -> None:
    api.project("alpha", members={"bob": ["reader"], "carol": ["writer"]})
    api.ok("PATCH", "/project/alpha/members", json=[{"member": "dave", "roles": ["reader", "writer"]}])
    assert api.ok("GET", "/project/alpha/members") == [{"member": "dave", "roles": ["reader", "writer"]}]
    assert api.call("GET", "/project/", user="bob").json() == ["alpha-test"]


def test_only_test_projects_can_be_wiped(api: Api) -> None:
    api.project("alpha")
    api.ok("PUT", "/sample/alpha-test/upsert-many", json=[{"external_ids": {"": "S1"}, "type": "blood"}])
    refused = api.call("DELETE", "/project/alpha")
    assert refused.status_code == 400 and "alpha" in refused.json()["description"]
    assert api.ok("DELETE", "/project/alpha-test") is True
    assert api.ok("POST", "/sample/", json={"project_ids": ["alpha-test"]}) == []
    assert "alpha-test" in api.ok("GET", "/project/")
    api.ok("DELETE", "/project/alpha-test", params={"delete_project": True})
    assert "alpha-test" not in api.ok("GET", "/project/")


def test_project_history_records_meta_and_member_changes(api: Api) -> None:
    api.project("alpha")
    api.ok("POST", "/project/alpha/update", json={"meta": {"x": 1}})
    history = api.ok("GET", "/project/alpha/history")
    assert [h["operation"] for h in history] == ["create", "update", "update"]
    assert history[-1]["changes"] == {"meta": {"old": {}, "new": {"x": 1}}}
    assert all(h["author"] == "admin" for h in history)


def test_enums_list_seeded_values_and_only_admins_add(api: Api) -> None:
    assert api.ok("GET", "/enums/sequencing-type") == ["chip", "exome", "genome", "mtseq", "transcriptome"]
    assert "web" in api.ok("GET", "/enums/analysis-type")
    refused = api.call("POST", "/enums/sample-type", user="bob", params={"new_type": "tissue"})
    assert refused.status_code == 403
    assert api.ok("POST", "/enums/sample-type", params={"new_type": "Tissue"}) == "tissue"
    assert api.ok("GET", "/enums/sample-type") == ["blood", "saliva", "tissue"]


def test_health_and_openapi_are_served(api: Api) -> None:
    assert api.client.get("/health").json()["status"] == "ok"
    spec = api.client.get("/openapi.json").json()
    operation_ids = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
    assert {
        "createProject",
        "upsertSamples",
        "upsertParticipants",
        "importPedigree",
        "createAnalysis",
    } <= operation_ids
    assert "/api/v1/sample/{project}/upsert-many" in spec["paths"]
    docs = api.client.get("/docs")
    assert docs.status_code == 200 and "cdn" not in docs.text.lower()
    assert api.client.get("/static-offline-docs/swagger-ui-bundle.js").status_code == 200


def test_concurrent_member_replacements_each_win_whole(svc: Service) -> None:
    """Member lists replaced by many clients at once (PATCH rewrites the list): every request succeeds,
    and the list left is exactly one of those sent, never a mix of two (nor a 500 from colliding rows)."""
    api = Api(svc)
    headers = api.user("admin", "admin")
    api.ok("PUT", "/project/", params={"name": "crowd", "dataset": "crowd"})
    lists = [
        [{"member": f"user{i}", "roles": ["reader"]}, {"member": "shared", "roles": ["writer"]}]
        for i in range(12)
    ]
    start = threading.Barrier(len(lists))

    def replace(members: list[dict[str, Any]], base: str) -> int:
        with httpx.Client(base_url=f"{base}/api/v1", headers=headers, timeout=60) as client:
            start.wait()
            return client.patch("/project/crowd/members", json=members).status_code

    with live_server(svc) as base, ThreadPoolExecutor(max_workers=len(lists)) as pool:
        codes = list(pool.map(replace, lists, [base] * len(lists)))
    assert codes == [200] * len(lists)
    final = sorted(api.ok("GET", "/project/crowd/members"), key=lambda m: m["member"])
    assert final in [sorted(sent, key=lambda m: m["member"]) for sent in lists]


def test_update_project_takes_metamists_meta_key_and_refuses_others(api: Api) -> None:
    """Metamist reads only ``meta`` of the update and ignores the rest; genolog says so rather than drop
    a caller's meta sent the old way (``{"is_seqr": true}``) without a word."""
    api.project("alpha")
    assert_rejected(
        api.call("POST", "/project/alpha/update", json={"is_seqr": True}), 400, "'is_seqr'", "meta"
    )
    assert_rejected(api.call("POST", "/project/alpha/update", json={"meta": [1]}), 400, "JSON object")
    api.ok("POST", "/project/alpha/update", json={"meta": None})
    api.ok("POST", "/project/alpha/update", json={})
    assert next(p["meta"] for p in api.ok("GET", "/project/all") if p["name"] == "alpha") == {}
