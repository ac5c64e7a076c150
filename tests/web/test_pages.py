"""Home and project pages: counts, activity, the sample grid (filters, sorting, pages), exports, and
what each user may see."""

from __future__ import annotations

import csv
import html
import io
import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import pytest
import sqlalchemy as sa

from genolog.metadata.app import create_app
from genolog.metadata.service import grid
from tests.metadata.support import Api, sample_with_group
from tests.web.support import Site, browser, build_site, signed_in, token_of


def grid_ids(html: str) -> list[str]:
    body = html.split('id="sample-grid"', 1)[1].split("</table>", 1)[0].split("<tbody>", 1)[1]
    return re.findall(r'/samples/(XPG\d+)">', body)


def test_home_shows_readable_projects_with_counts_and_activity(site: Site) -> None:
    page = signed_in(site.api, "reader").get("/")
    assert page.status_code == 200
    assert 'href="/projects/proj"' in page.text and 'href="/projects/proj-test"' in page.text
    assert "/projects/other" not in page.text  # no role on it
    card = page.text.split('href="/projects/proj"', 1)[1].split("</li>", 1)[0]
    assert re.search(r"<dt>Participants</dt><dd>3</dd>", card)
    assert re.search(r"<dt>Samples</dt><dd>3</dd>", card)
    assert "3 <span" in card and "(3 genome)" in card
    assert "1 completed</span>" in card
    activity = page.text.split('id="activity-heading"', 1)[1]
    assert "created 3 participants" in activity and "created 3 samples" in activity
    assert "created 1 analysis" in activity and "run-0001"[:8] in activity
    assert "/projects/other" not in activity
    assert 'href="/graphql"' in page.text and 'href="/docs"' in page.text


def test_non_members_get_404_pages(site: Site) -> None:
    stranger = signed_in(site.api, "stranger")
    home = stranger.get("/")
    assert home.status_code == 200 and "You have no role on any project" in home.text
    paths = [
        "/projects/proj",
        "/projects/proj/samples.csv",
        f"/projects/proj/samples/{site.samples[0]}",
        f"/projects/proj/analyses/{site.analysis}",
    ]
    for path in paths:
        response = stranger.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")
        assert "Project &#39;proj&#39; not found" in response.text, response.text
    reader = signed_in(site.api, "reader")
    assert reader.get("/projects/other").status_code == 404
    assert reader.get("/projects/nope").status_code == 404
    # another project's sample or analysis under a readable project's name is not there either
    assert reader.get(f"/projects/proj-test/samples/{site.samples[0]}").status_code == 404
    assert reader.get(f"/projects/proj-test/analyses/{site.analysis}").status_code == 404


def test_the_grid_filters_sorts_and_pages_on_the_server(site: Site) -> None:
    reader = signed_in(site.api, "reader")
    s1, s2, s3 = site.samples
    page = reader.get("/projects/proj")
    assert grid_ids(page.text) == [s1, s2, s3]
    assert "Rows 1–3 of 3" in page.text
    for label in ("meta.batch", "meta.site", "participant meta.cohort"):
        assert f'aria-label="Filter {label}"' in page.text
    cases = {
        "f.external_id=s2": [s2],
        "f.external_id==S1": [s1],
        "f.meta.site=north": [s1, s3],
        "f.meta.batch=>1": [s1, s3],  # S1 and S3 have batch 2
        "f.meta.batch==1": [s2],
        "f.participant.meta.cohort=c3": [s3],
        "f.participant=P2": [s2],
        "f.sex=female": [s1, s3],
        "f.type=blood&f.meta.site=south": [s2],
        f"f.sample={s2}": [s2],
        "f.sequencing_groups=exome": [],
        "sort=external_id&desc=1": [s3, s2, s1],
        "sort=meta.site": [s1, s3, s2],
        "sort=participant.meta.cohort&desc=1": [s3, s2, s1],
    }
    for query, expected in cases.items():
        response = reader.get(f"/projects/proj?{query}")
        assert response.status_code == 200, (query, response.text)
        assert grid_ids(response.text) == expected, query
    sorted_desc = reader.get("/projects/proj?sort=external_id&desc=1").text
    assert 'aria-sort="descending"' in sorted_desc
    assert "No samples match" in reader.get("/projects/proj?f.external_id=zzz").text
    bad = reader.get("/projects/proj?f.sample=nonsense")
    assert bad.status_code == 400 and "Sample filter" in bad.text


def test_pages_of_the_grid(api: Api) -> None:
    site = build_site(api, n=30)
    reader = signed_in(api, "reader")
    first = reader.get("/projects/proj?per=25")
    assert grid_ids(first.text) == site.samples[:25] and "Page 1 of 2" in first.text
    assert 'rel="next" href="/projects/proj?per=25&amp;page=2"' not in first.text  # page comes before per
    assert 'rel="next" href="/projects/proj?page=2&amp;per=25"' in first.text
    second = reader.get("/projects/proj?page=2&per=25")
    assert grid_ids(second.text) == site.samples[25:] and "Rows 26–30 of 30" in second.text
    beyond = reader.get("/projects/proj?page=9&per=25")  # past the end: the last page
    assert grid_ids(beyond.text) == site.samples[25:]
    filtered = reader.get("/projects/proj?f.meta.site=south&per=25&sort=external_id")
    assert (
        "of 15" in filtered.text
        and 'href="/projects/proj/samples.csv?f.meta.site=south&amp;sort=external_id' in filtered.text
    )


@pytest.mark.parametrize("order", ["", "sort=meta.site", "sort=meta.site&desc=1", "sort=external_id&desc=1"])
def test_pages_read_from_the_end_keep_the_grids_order(api: Api, order: str) -> None:
    """A page in the grid's second half is read backwards from its end: the pages, one after another,
    are the grid's rows in its order (the export's), empty values last whichever way it is sorted."""
    build_site(api, n=60)
    no_site = [
        {"external_ids": {"": f"Q{i}"}, "samples": [{"external_ids": {"": f"T{i}"}, "type": "blood"}]}
        for i in range(7)
    ]
    api.ok("PUT", "/participant/proj/upsert-many", json=no_site)
    reader = signed_in(api, "reader")
    export = reader.get(f"/projects/proj/samples.csv?{order}").text
    exported = [row["Sample"] for row in csv.DictReader(io.StringIO(export))]
    paged = [
        sample
        for page in (1, 2, 3)  # 67 rows by 25: the third page is read from the end
        for sample in grid_ids(reader.get(f"/projects/proj?{order}&page={page}&per=25").text)
    ]
    assert len(exported) == 67 and paged == exported
    if "meta.site" in order:  # the samples without meta.site come last, whichever way
        assert [row["meta.site"] for row in csv.DictReader(io.StringIO(export))][-7:] == [""] * 7


def test_export_has_the_filtered_rows_in_grid_order(site: Site) -> None:
    reader = signed_in(site.api, "reader")
    s1, _, s3 = site.samples
    response = reader.get(
        "/projects/proj/samples.csv?f.meta.site=north&sort=external_id&desc=1&page=2&per=25"
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="proj-samples.csv"'
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["Sample"] for r in rows] == [s3, s1]  # every filtered row, whatever the page
    assert (
        rows[0]["External id"] == "S3" and rows[0]["Participant"] == "P3" and rows[0]["meta.site"] == "north"
    )
    assert rows[0]["participant meta.cohort"] == "c3" and rows[0]["Sequencing groups"] == "1 genome"
    tsv = reader.get("/projects/proj/samples.tsv?f.participant=P2")
    assert tsv.headers["content-type"] == "text/tab-separated-values; charset=utf-8"
    lines = tsv.text.splitlines()
    assert len(lines) == 2 and lines[0].split("\t")[:3] == ["Sample", "External id", "Type"]
    assert lines[1].split("\t")[1] == "S2"
    assert reader.get("/projects/proj/samples.xlsx").status_code == 404


def test_every_page_costs_a_fixed_number_of_statements(api: Api) -> None:
    def statements(site: Site, paths: list[str]) -> list[int]:
        client = signed_in(site.api, "reader")
        counts = []
        engine = site.api.svc.db.engine
        for path in paths:
            seen: list[str] = []

            def count(*args: object, seen: list[str] = seen) -> None:
                seen.append(str(args[2]))

            sa.event.listen(engine, "before_cursor_execute", count)
            try:
                assert client.get(path).status_code == 200, path
            finally:
                sa.event.remove(engine, "before_cursor_execute", count)
            counts.append(len(seen))
        return counts

    small = build_site(api, n=3)
    paths = lambda s: [  # noqa: E731
        "/",
        "/projects/proj?per=200",
        "/projects/proj/samples.csv",
        f"/projects/proj/samples/{s.samples[0]}",
        f"/projects/proj/analyses/{s.analysis}",
        "/projects/proj/participants/1",
    ]
    few = statements(small, paths(small))
    more = [
        {"external_ids": {"": f"Q{i}"}, "samples": [{"external_ids": {"": f"T{i}"}, "type": "blood"}]}
        for i in range(40)
    ]
    api.ok("PUT", "/participant/proj/upsert-many", json=more)
    many = statements(small, paths(small))
    assert few == many, (few, many)


def test_the_apis_and_web_storage_still_answer_beside_the_pages(site: Site) -> None:
    client = browser(site.api)
    assert client.get("/graphql").status_code == 200 and "graphiql" in client.get("/graphql").text.lower()
    assert client.get("/docs").status_code == 200
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/static/web/web.css").headers["content-type"].startswith("text/css")
    assert client.get("/api/v1/project/").status_code == 401  # the API takes no cookie ...
    signed = signed_in(site.api, "reader")
    assert signed.get("/api/v1/project/").status_code == 401  # ... even a valid one
    assert signed.post("/graphql", json={"query": "{ myProjects { name } }"}).status_code == 401
    assert signed.get("/web/proj/missing.html").status_code == 404  # web storage: the reader is let in
    assert browser(site.api).get("/web/proj/missing.html").status_code == 401
    assert signed_in(site.api, "stranger").get("/web/proj/missing.html").status_code == 404


def header_labels(page: str) -> list[str]:
    head = page.split('id="sample-grid"', 1)[1].split("</tr>", 1)[0]
    return [
        html.unescape(re.sub(r"<[^>]+>|[▲▼]", "", cell)).strip()
        for cell in re.findall(r"<th[^>]*>(.*?)</th>", head, re.S)
    ]


def grid_cells(page: str) -> list[list[str]]:
    body = page.split('id="sample-grid"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [
            html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<td>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_the_column_chooser_keeps_its_choice_in_the_url(site: Site) -> None:
    reader = signed_in(site.api, "reader")
    everything = reader.get("/projects/proj").text
    default = header_labels(everything)
    assert default[:3] == ["Sample", "External id", "Type"] and "participant meta.cohort" in default
    chooser = everything.split('id="column-chooser"', 1)[1].split("</details>", 1)[0]
    assert "<summary>Columns</summary>" in chooser and "<legend>" in chooser
    boxes = re.findall(r'<input type="checkbox" name="cols" value="([^"]+)" checked', chooser)
    assert boxes == [
        "sample",
        "external_id",
        "type",
        "participant",
        "sex",
        "sequencing_groups",
        "created",
        "meta.batch",
        "meta.site",
        "participant.meta.cohort",
    ]
    query = "cols=meta.site&cols=external_id&f.meta.batch=2&sort=external_id&desc=1"
    page = reader.get(f"/projects/proj?{query}").text
    # the chosen columns in the grid's order, the sample id always; the rows as filtered and sorted
    assert header_labels(page) == ["Sample", "External id", "meta.site"]
    s1, _, s3 = site.samples
    assert grid_cells(page) == [[s3, "S3", "north"], [s1, "S1", "north"]]
    assert 'aria-label="Filter meta.batch"' not in page  # hidden, but its filter is kept and shown
    assert (
        '<input type="hidden" name="f.meta.batch" value="2">' in page and "<code>meta.batch 2</code>" in page
    )
    assert "(3 of 10 shown)" in page and 'id="column-chooser" open' in page
    chosen = page.split('id="column-chooser"', 1)[1].split("</details>", 1)[0]
    assert re.findall(r'name="cols" value="([^"]+)" checked', chosen) == [
        "sample",
        "external_id",
        "meta.site",
    ]
    assert '<input type="hidden" name="cols" value="sample">' in chosen  # only the sample: cols=sample
    # sorting, paging and export links keep the choice; the reset link drops it
    kept = "f.meta.batch=2&amp;sort=external_id&amp;desc=1&amp;cols=meta.site&amp;cols=external_id"
    assert f'id="export-csv" href="/projects/proj/samples.csv?{kept}"' in page
    assert (
        'href="/projects/proj?f.meta.batch=2&amp;sort=meta.site&amp;cols=meta.site&amp;cols=external_id"'
        in page
    )
    assert 'id="columns-reset" href="/projects/proj?f.meta.batch=2&amp;sort=external_id&amp;desc=1"' in page
    exported = reader.get(f"/projects/proj/samples.csv?{html.unescape(kept)}").text
    assert exported == f"Sample,External id,meta.site\n{s3},S3,north\n{s1},S1,north\n"
    # what a bare form sends: only the sample id; unknown names are left out, never an error
    assert header_labels(reader.get("/projects/proj?cols=sample").text) == ["Sample"]
    odd = reader.get("/projects/proj?cols=nope&cols=meta.nope&cols=participant.meta.cohort&cols=%3Cb%3E")
    assert odd.status_code == 200 and header_labels(odd.text) == ["Sample", "participant meta.cohort"]
    assert reader.get("/projects/proj/samples.tsv?cols=nope").text.splitlines()[0] == "Sample"
    assert header_labels(reader.get("/projects/proj?cols=").text) == default  # empty: the default
    # sorting by a hidden column still sorts
    assert [r[0] for r in grid_cells(reader.get("/projects/proj?cols=sample&sort=meta.site").text)] == [
        s1,
        s3,
        site.samples[1],
    ]


def test_the_export_streams_the_grids_rows(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    site = build_site(api, n=30)
    reader = signed_in(api, "reader")
    page = reader.get("/projects/proj?per=200&sort=meta.site&desc=1").text
    cells = grid_cells(page)
    assert len(cells) == 30
    whole = reader.get("/projects/proj/samples.csv?sort=meta.site&desc=1")
    assert "content-length" not in whole.headers  # streamed: sent chunked
    rows = list(csv.reader(io.StringIO(whole.text)))
    assert rows[0] == header_labels(page) and rows[1:] == cells  # what the grid shows, every row
    monkeypatch.setattr(grid, "EXPORT_CHUNK_ROWS", 4)
    assert reader.get("/projects/proj/samples.csv?sort=meta.site&desc=1").text == whole.text
    bodies, headers = asgi_body(site, "/projects/proj/samples.csv", "sort=meta.site&desc=1")
    assert headers[b"content-type"] == b"text/csv; charset=utf-8"
    assert b"".join(bodies).decode() == whole.text
    assert [len(b.decode().splitlines()) for b in bodies if b] == [1] + [4] * 7 + [
        2
    ]  # header, 4 rows at a time
    assert api.svc.db.engine.pool.checkedout() == 0  # the read transaction ended with the stream
    for leave_after in (1, 3):  # after the header, in the rows: the cursor and transaction end all the same
        bodies, _ = asgi_body(site, "/projects/proj/samples.tsv", "", leave_after=leave_after)
        assert len(bodies) < 9
        assert all_returned(api.svc.db.engine.pool)


def all_returned(pool: sa.pool.QueuePool, seconds: float = 5) -> bool:
    """Every connection back in the pool within ``seconds``, with no help from the garbage collector: the
    response closes its stream (cursor, then transaction) when the client goes away, once the chunk being
    read then is finished, which on a busy machine can be some time after the request's task has ended."""
    deadline = time.monotonic() + seconds
    while True:
        if pool.checkedout() == 0:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)


def asgi_body(
    site: Site, path: str, query: str, leave_after: int | None = None
) -> tuple[list[bytes], dict[bytes, bytes]]:
    """The body messages of one request straight through the app (no test client gathering them); the
    client goes away after ``leave_after`` of them if given."""
    app = create_app(site.api.svc)
    token = token_of(site.api, "reader")
    messages: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"authorization", f"Bearer {token}".encode())],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }

    async def run() -> None:
        finished = anyio.Event()
        asked = False

        async def receive() -> dict[str, Any]:
            nonlocal asked
            if not asked:
                asked = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await finished.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            messages.append(message)
            if leave_after is not None and len(messages) > leave_after:
                finished.set()
                await anyio.sleep(0.1)  # the disconnect arrives while the next chunk is on its way

        await app(scope, receive, send)
        finished.set()

    # in a thread of its own: playwright's session-wide event loop may be running in this one
    with ThreadPoolExecutor(1) as pool:
        pool.submit(anyio.run, run).result()
    start = messages[0]
    assert start["type"] == "http.response.start" and start["status"] == 200
    return [m["body"] for m in messages[1:]], dict(start["headers"])


def test_the_counts_and_meta_keys_follow_every_change(site: Site) -> None:
    """The project page's counts and meta keys are the project's tallies, which every write keeps
    (``store.tallies``): each change to them, and an analysis's to the analyses' count, shows on the next
    view."""
    api, reader = site.api, signed_in(site.api, "reader")

    def counts() -> dict[str, str]:
        page = reader.get("/projects/proj").text
        shown = page.split('<dl class="counts">', 1)[1].split("</dl>", 1)[0]
        found = dict(re.findall(r"<dt>([^<]+)</dt><dd>(\d+)", shown))
        found["new column"] = str('aria-label="Filter meta.added"' in page)
        return found

    assert counts() == {
        "Participants": "3",
        "Samples": "3",
        "Sequencing groups": "3",
        "Analyses": "1",
        "new column": "False",
    }
    new = {"external_ids": {"": "Q1"}, "samples": [{**sample_with_group("T1"), "meta": {"added": 1}}]}
    api.ok("PUT", "/participant/proj/upsert-many", json=[new])
    assert counts() == {
        "Participants": "4",
        "Samples": "4",
        "Sequencing groups": "4",
        "Analyses": "1",
        "new column": "True",
    }
    api.ok(
        "PUT",
        "/analysis/proj/",
        json={"type": "qc", "status": "queued", "sequencing_group_ids": [site.groups[1]]},
    )
    assert counts()["Analyses"] == "2"
    api.ok("PUT", "/sample/proj/upsert-many", json=[{"external_ids": {"": "T1"}, "meta": {"added": None}}])
    assert counts()["new column"] == "False"  # the only sample with the key lost it
