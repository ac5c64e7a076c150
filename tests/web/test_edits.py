"""Writers' edit forms on the sample, participant and analysis pages: shown only to writers, each POST one
write through the REST API's store functions with an audit entry naming the writer, then back to the
page, whose history shows the change; readers, non-members and bad input write nothing."""

from __future__ import annotations

import re
from typing import Any

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient

from genolog.metadata.errors import BadRequest
from genolog.metadata.inputs import LIMITS
from genolog.web.edits import meta_patch, parse_value, replacing_patch
from tests.metadata.support import Api, dump, sample_with_group
from tests.web.support import Site, post_form, signed_in


@pytest.fixture
def writable(site: Site) -> Site:
    """proj with ``wanda`` a writer besides the reader ``reader``."""
    members = {m["member"]: m["roles"] for m in site.api.ok("GET", "/project/proj/members")}
    members["wanda"] = ["reader", "writer"]
    site.api.ok(
        "PATCH", "/project/proj/members", json=[{"member": m, "roles": r} for m, r in members.items()]
    )
    return site


def pages(site: Site) -> dict[str, str]:
    return {
        "sample": f"/projects/proj/samples/{site.samples[0]}",
        "participant": "/projects/proj/participants/1",
        "analysis": f"/projects/proj/analyses/{site.analysis}",
    }


def edit(client: TestClient, path: str, **fields: Any) -> httpx.Response:
    return post_form(client, path, fields, follow_redirects=False)


def snapshot(api: Api) -> dict[str, list[dict[str, Any]]]:
    with api.svc.db.read() as conn:
        return dump(conn)


def test_only_writers_see_the_edit_forms(writable: Site) -> None:
    reader, wanda = signed_in(writable.api, "reader"), signed_in(writable.api, "wanda")
    paths = pages(writable)
    for kind in ("sample", "participant"):
        assert 'id="edit-meta"' in wanda.get(paths[kind]).text, kind
        assert 'id="edit-meta"' not in reader.get(paths[kind]).text, kind
    form = wanda.get(paths["sample"]).text.split('id="edit-meta"', 1)[1].split("</form>", 1)[0]
    assert f'action="{paths["sample"]}/meta"' in wanda.get(paths["sample"]).text
    assert '<label for="meta-key">Key</label>' in form and '<option value="batch">' in form
    assert 'name="csrf_token"' in form
    analysis = wanda.get(paths["analysis"]).text
    assert 'id="edit-analysis"' in analysis and '<option value="completed" selected>' in analysis
    assert 'name="active" value="yes" checked' in analysis
    assert 'id="edit-analysis"' not in reader.get(paths["analysis"]).text


def test_a_writer_edits_sample_meta_and_the_history_shows_it(writable: Site) -> None:
    wanda = signed_in(writable.api, "wanda")
    page, sample = pages(writable)["sample"], writable.samples[0]
    done = edit(wanda, f"{page}/meta", action="set", key="batch", value="7")
    assert done.status_code == 303 and done.headers["location"] == page
    shown = wanda.get(page).text
    assert '<p class="flash" role="status">Set meta.batch to 7.</p>' in shown
    assert "<dt>meta.batch</dt><dd>7</dd>" in shown
    newest = shown.split('id="history"', 1)[1].split("</thead>", 1)[1].split("</tr>", 1)[0]
    assert "<td>wanda</td>" in newest and f"update sample {sample}" in newest
    assert "<del>{&#34;batch&#34;:2,&#34;site&#34;:&#34;north&#34;}</del>" in newest
    assert "<ins>{&#34;batch&#34;:7,&#34;site&#34;:&#34;north&#34;}</ins>" in newest

    for value, stored in (
        ("north-east", "north-east"),  # not JSON: the text
        ('"8"', "8"),  # a JSON string
        ('{"lane": 1, "flowcell": "A"}', {"lane": 1, "flowcell": "A"}),
        ('{"lane": 2}', {"lane": 2}),  # an object replaces the old one, keys and all
        ("[1, 2]", [1, 2]),
    ):
        assert edit(wanda, f"{page}/meta", action="set", key="extra", value=value).status_code == 303
        assert writable.api.ok("GET", f"/sample/{sample}")["meta"]["extra"] == stored, value
    assert edit(wanda, f"{page}/meta", action="remove", key="extra").status_code == 303
    meta = writable.api.ok("GET", f"/sample/{sample}")["meta"]
    assert meta == {"batch": 7, "site": "north"}
    history = writable.api.ok("GET", f"/sample/{sample}/history")
    assert [h["author"] for h in history[-7:]] == ["wanda"] * 7


def test_a_writer_edits_participant_meta(writable: Site) -> None:
    wanda = signed_in(writable.api, "wanda")
    page = pages(writable)["participant"]
    assert edit(wanda, f"{page}/meta", action="set", key="consent", value="true").status_code == 303
    shown = wanda.get(page).text
    assert "<dt>meta.consent</dt><dd>true</dd>" in shown and "Set meta.consent to true." in shown
    assert edit(wanda, f"{page}/meta", action="remove", key="cohort").status_code == 303
    participant = writable.api.ok("POST", "/participant/proj", json={})[0]
    assert participant["meta"] == {"consent": True}
    rows = re.findall(
        r"<td>([^<]*)</td>\s*<td>wanda</td>\s*<td>update participant 1</td>", wanda.get(page).text
    )
    assert len(rows) == 2


def test_a_writer_changes_an_analysis_status(writable: Site) -> None:
    wanda = signed_in(writable.api, "wanda")
    page = pages(writable)["analysis"]
    done = edit(wanda, f"{page}/status", status="failed")  # the active box unticked
    assert done.status_code == 303 and done.headers["location"] == page
    details = writable.api.ok("GET", f"/analysis/{writable.analysis}/details")
    assert details["status"] == "failed" and details["active"] is False
    shown = wanda.get(page).text
    assert f"Analysis {writable.analysis}: failed, inactive." in shown and "(inactive)" in shown
    audit = shown.split("<caption>Audit log</caption>", 1)[1]
    assert f"<td>wanda</td><td>{page}/status</td>" in audit
    assert edit(wanda, f"{page}/status", status="in-progress", active="yes").status_code == 303
    details = writable.api.ok("GET", f"/analysis/{writable.analysis}/details")
    assert details["status"] == "in-progress" and details["active"] is True


def test_readers_non_members_and_bad_input_write_nothing(writable: Site) -> None:
    api = writable.api
    other = api.ok("PUT", "/sample/other/upsert-many", json=[sample_with_group("O2")])[0]["id"]
    reader, wanda = signed_in(api, "reader"), signed_in(api, "wanda")
    stranger = signed_in(api, "stranger")
    paths = pages(writable)
    meta = {"action": "set", "key": "batch", "value": "9"}
    before = snapshot(api)
    for kind in ("sample", "participant"):
        refused = edit(reader, f"{paths[kind]}/meta", **meta)
        assert refused.status_code == 403 and "needs one of the roles writer" in refused.text, kind
        assert edit(stranger, f"{paths[kind]}/meta", **meta).status_code == 404, kind
    assert edit(reader, f"{paths['analysis']}/status", status="failed").status_code == 403
    assert edit(stranger, f"{paths['analysis']}/status", status="failed").status_code == 404
    sample_meta = f"{paths['sample']}/meta"
    for path, fields, status, message in (
        (sample_meta, {"action": "set", "key": " ", "value": "1"}, 400, "Enter the meta key"),
        (sample_meta, {"action": "set", "key": "batch", "value": "null"}, 400, "cannot be or hold null"),
        (sample_meta, {"action": "set", "key": "x", "value": '{"a": null}'}, 400, "cannot be or hold null"),
        (sample_meta, {"action": "remove", "key": "missing"}, 400, "no meta key &#39;missing&#39;"),
        (sample_meta, {"action": "rename", "key": "batch"}, 400, "Unknown action"),
        (f"{paths['analysis']}/status", {"status": "done"}, 400, "Unknown analysis status"),
        ("/projects/proj/samples/nonsense/meta", meta, 400, ""),
        (f"/projects/proj/samples/{other}/meta", meta, 404, "not found in project"),
        ("/projects/proj/participants/999/meta", meta, 404, "not found"),
        ("/projects/proj/participants/x/meta", meta, 404, "not found"),
        ("/projects/proj/analyses/999/status", {"status": "failed"}, 404, "not found"),
    ):
        response = edit(wanda, path, **fields)
        assert response.status_code == status, (path, fields, response.text[:300])
        assert message in response.text and "text/html" in response.headers["content-type"]
    assert snapshot(api) == before


def test_form_values_and_patches() -> None:
    assert parse_value("7") == 7 and parse_value("7.5") == 7.5 and parse_value("true") is True
    assert parse_value("abc") == "abc" and parse_value("") == "" and parse_value('"7"') == "7"
    assert parse_value("[1, null]") == [1, None]  # nulls in lists are kept by a merge patch
    with pytest.raises(BadRequest):
        parse_value('{"a": {"b": null}}')
    assert replacing_patch({"a": 1, "b": {"c": 1, "d": 2}}, {"b": {"c": 3}}) == {
        "b": {"c": 3, "d": None},
        "a": None,
    }
    assert replacing_patch("old", {"x": 1}) == {"x": 1}
    assert meta_patch({"k": {"a": 1}}, "set", " k ", '{"b": 2}') == (
        {"k": {"b": 2, "a": None}},
        'Set meta.k to {"b":2}.',
    )


def test_meta_forms_keep_the_bounds_of_the_api(writable: Site) -> None:
    """The forms write through the same store functions, so meta's bounds hold there too (issue 19, items 6
    and 7); ids that are not ASCII digits are no page rather than a server error."""
    api = writable.api
    wanda = signed_in(api, "wanda")
    paths = pages(writable)
    # a form field takes at most 1 MiB, the bound itself: two halves of 60% show that the stored meta is bounded
    part = "x" * (LIMITS.meta_max_bytes * 6 // 10)
    api.ok("PATCH", f"/sample/{writable.samples[0]}", json={"meta": {"big": part}})
    api.ok("POST", "/participant/1/update-participant", json={"meta": {"big": part}})
    before = snapshot(api)
    deep: Any = 1
    for _ in range(32):  # under its key, one level more than meta takes
        deep = {"a": deep}
    too_large = f'"{part}"'
    for kind in ("sample", "participant"):
        for value, status, message in (
            (orjson.dumps(deep).decode(), 400, "nested too deeply"),
            (too_large, 413, "meta_max_bytes"),
            ('"a\\u0000b"', 400, "NUL character"),  # JSON's escape, parsed into the value
            ("a\x00b", 400, "The form field &#39;value&#39; contains a NUL character"),  # the text itself
        ):
            response = edit(wanda, f"{paths[kind]}/meta", action="set", key="x", value=value)
            assert response.status_code == status and message in response.text, (kind, response.text[:300])
    for path in (
        "/projects/proj/participants/\N{SUPERSCRIPT ONE}",
        "/projects/proj/participants/\N{FULLWIDTH DIGIT ONE}",
        f"/projects/proj/participants/{'9' * 30}",
        "/projects/proj/analyses/\N{SUPERSCRIPT TWO}",
        "/projects/proj/families/\N{ARABIC-INDIC DIGIT ONE}",
    ):
        assert wanda.get(path).status_code == 404, path
    assert (
        edit(wanda, "/projects/proj/participants/\N{SUPERSCRIPT ONE}/meta", action="set").status_code == 404
    )
    assert wanda.get("/projects/proj/families?page=\N{SUPERSCRIPT TWO}").status_code == 200
    refused = wanda.get("/projects/proj%00/analyses")
    assert refused.status_code == 400 and "The parameter &#39;project&#39; contains a NUL" in refused.text
    assert snapshot(api) == before
