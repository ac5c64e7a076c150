"""The analyses list (filters alone and together, sorting, pages, the date range, bad input), the
analysis-runner runs list and a run's page with its driver log (present, missing, truncated, or
somewhere the server does not read), and what each page costs in statements."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.paths import local_storage_config
from genolog.runner.runconfig import run_files
from genolog.web import runs
from tests.metadata.support import Api
from tests.web.support import RUN, Site, build_site, signed_in


@dataclass
class Cohort:
    site: Site
    ids: dict[str, int]  # name -> analysis id
    log_guid: str
    data_dir: Path


def analysis(site: Site, group: int, guid: str | None = None, **fields: Any) -> int:
    headers = {"sm-ar-guid": guid} if guid else {}
    body = {"sequencing_group_ids": [site.groups[group]], **fields}
    return int(site.api.ok("PUT", "/analysis/proj/", headers=headers, json=body))


def record_run(
    api: Api, guid: str, user: str, status: str | None, meta: dict[str, Any], **fields: Any
) -> None:
    params = {**RUN, "ar_guid": guid, "submitting_user": user, **fields}
    api.ok("PUT", "/analysis-runner/proj/", params=params, json=meta)
    if status:
        api.ok(
            "PATCH",
            f"/analysis-runner/{guid}/outcome",
            json={"status": status, "exit_code": 0 if status == "succeeded" else 2, "duration_seconds": 75.5},
        )


def build_cohort(api: Api) -> Cohort:
    """``build_site`` with 4 samples, plus analyses of several types, statuses and dates (``web`` is
    ``build_site``'s, by run-0001); run ``b-run`` (standard access, on proj) with a local log created
    ``cram`` and ``qc`` and completed ``cram``."""
    site = build_site(api, n=4)
    data_dir = api.svc.settings.data_dir
    config = local_storage_config(data_dir, ["proj"], "standard")
    config_path, log_path = run_files({"storage": config}, "proj", "b-run")
    record_run(
        api,
        "b-run",
        "alice",
        "failed",
        {"log_path": log_path},
        access_level="standard",
        config_path=config_path,
        batch_url=f"file://{log_path}",
    )
    day = lambda d: f"2026-11-{d:02d}T12:00:00+00:00"  # noqa: E731
    ids = {
        "web": site.analysis,
        "cram1": analysis(site, 0, "b-run", type="cram", status="queued", output="gs://b/S1.cram"),
        "qc2": analysis(site, 1, "b-run", type="qc", status="failed", timestamp_completed=day(3)),
        "cram2": analysis(site, 1, type="cram", status="completed", timestamp_completed=day(10)),
        "qc3": analysis(site, 2, type="qc", status="completed", timestamp_completed=day(20), author="bob"),
        "old": analysis(site, 3, type="qc", status="completed", timestamp_completed=day(5)),
    }
    api.ok("PATCH", f"/analysis/{ids['old']}/", json={"active": False})
    api.ok(
        "PATCH", f"/analysis/{ids['cram1']}/", headers={"sm-ar-guid": "b-run"}, json={"status": "completed"}
    )
    return Cohort(site, ids, "b-run", Path(data_dir))


@pytest.fixture
def cohort(api: Api) -> Cohort:
    return build_cohort(api)


def newest(ids: dict[str, int], *names: str) -> list[int]:
    return sorted((ids[n] for n in names), reverse=True)


def listed(html: str, table: str = "analyses") -> list[int]:
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0].split("<tbody>", 1)[1]
    return [int(i) for i in re.findall(r'<td><a href="/projects/proj/analyses/(\d+)">', body)]


def test_filters_each_alone_and_together(cohort: Cohort) -> None:
    reader = signed_in(cohort.site.api, "reader")
    ids = cohort.ids
    sg1 = cohort.site.groups[1]

    def get(query: str) -> list[int]:
        page = reader.get(f"/projects/proj/analyses?{query}")
        assert page.status_code == 200, (query, page.text)
        return listed(page.text)

    active = [ids[k] for k in ("qc3", "cram2", "qc2", "cram1", "web")]  # newest first
    assert get("") == active
    cases = {
        "type=cram": [ids["cram2"], ids["cram1"]],
        "type=qc": [ids["qc3"], ids["qc2"]],
        "type=gvcf": [],
        "status=completed": [ids["qc3"], ids["cram2"], ids["cram1"], ids["web"]],
        "status=failed": [ids["qc2"]],
        f"sg={sg1}": [ids["cram2"], ids["qc2"]],
        "active=inactive": [ids["old"]],
        "active=all": [ids["old"], *active],
        "ar_guid=b-run": [ids["qc2"], ids["cram1"]],
        f"ar_guid={RUN['ar_guid']}": [ids["web"]],
        "type=qc&status=completed&active=all": [ids["old"], ids["qc3"]],
        f"type=cram&status=completed&sg={sg1}": [ids["cram2"]],
        "ar_guid=b-run&status=completed": [ids["cram1"]],
        "type=qc&from=2026-11-04&to=2026-11-30&active=all": [ids["old"], ids["qc3"]],
    }
    for query, expected in cases.items():
        assert get(query) == expected, query
    page = reader.get("/projects/proj/analyses?type=qc").text
    assert "<option selected>qc</option>" in page and "<option>cram</option>" in page
    assert "<option>web</option>" in page and "Rows 1–2 of 2" in page
    assert "No analyses match" in reader.get("/projects/proj/analyses?type=gvcf").text


def test_the_date_range_on_completion_or_creation(cohort: Cohort) -> None:
    reader = signed_in(cohort.site.api, "reader")
    ids = cohort.ids

    def get(query: str) -> list[int]:
        page = reader.get(f"/projects/proj/analyses?active=all&{query}")
        assert page.status_code == 200, (query, page.text)
        return listed(page.text)

    assert get("from=2026-11-03&to=2026-11-10") == newest(ids, "qc2", "old", "cram2")  # both ends
    assert get("from=2026-11-11") == newest(ids, "qc3", "cram1", "web")  # the others completed today
    assert get("to=2026-11-04") == [ids["qc2"]]
    assert get("date=completed&from=2026-11-10&to=2026-11-10") == [ids["cram2"]]
    # creation: every analysis was made today; move one back a year
    with cohort.site.api.svc.db.write() as conn:
        conn.execute(
            t.analysis.update()
            .where(t.analysis.c.id == ids["qc3"])
            .values(created_at=datetime.datetime(2025, 6, 1, 8, tzinfo=datetime.UTC))
        )
    assert get("date=created&to=2025-12-31") == [ids["qc3"]]
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    assert ids["qc3"] not in get(f"date=created&from={today}") and len(get(f"date=created&from={today}")) == 5


def test_sorting_and_pages(api: Api) -> None:
    site = build_site(api, n=3)
    made = [
        analysis(site, i % 3, type=("qc", "cram", "sv")[i % 3], status=("queued", "completed")[i % 2])
        for i in range(30)
    ]
    every = [site.analysis, *made]
    reader = signed_in(api, "reader")
    first = reader.get("/projects/proj/analyses?per=25")
    assert listed(first.text) == sorted(every, reverse=True)[:25]
    assert "Rows 1–25 of 31" in first.text and "Page 1 of 2" in first.text
    assert 'rel="next" href="/projects/proj/analyses?page=2&amp;per=25"' in first.text
    second = reader.get("/projects/proj/analyses?page=2&per=25")
    assert listed(second.text) == sorted(every, reverse=True)[25:] and "Rows 26–31 of 31" in second.text
    assert (
        listed(reader.get("/projects/proj/analyses?page=9&per=25").text) == sorted(every, reverse=True)[25:]
    )
    ascending = reader.get("/projects/proj/analyses?sort=id&desc=0&per=100")
    assert listed(ascending.text) == sorted(every) and 'aria-sort="ascending"' in ascending.text
    by_type = listed(reader.get("/projects/proj/analyses?sort=type&per=100").text)
    types = {a: ("web" if a == site.analysis else ("qc", "cram", "sv")[made.index(a) % 3]) for a in every}
    assert by_type == sorted(every, key=lambda a: (types[a], a))
    by_status = listed(reader.get("/projects/proj/analyses?sort=status&desc=1&per=100").text)
    statuses = {
        a: "completed" if a == site.analysis else ("queued", "completed")[made.index(a) % 2] for a in every
    }
    assert by_status == sorted(every, key=lambda a: (statuses[a], a), reverse=True)
    by_completed = listed(reader.get("/projects/proj/analyses?sort=completed&per=100").text)
    done = [a for a in by_completed if statuses[a] == "completed"]
    assert by_completed[: len(done)] == done and set(by_completed[len(done) :]) == {
        a for a in every if statuses[a] == "queued"
    }  # not completed: last
    page = reader.get("/projects/proj/analyses?sort=type&status=queued&per=25").text
    assert (
        'href="/projects/proj/analyses?status=queued&amp;sort=type&amp;desc=1&amp;per=25"' in page
    )  # again: reversed
    assert 'href="/projects/proj/analyses?status=queued&amp;per=25"' in page  # ids: newest first
    assert listed(reader.get("/projects/proj/analyses?sort=nonsense&per=100").text) == sorted(
        every, reverse=True
    )


def test_the_rows_link_their_pages(cohort: Cohort) -> None:
    reader = signed_in(cohort.site.api, "reader")
    site = cohort.site
    page = reader.get(f"/projects/proj/analyses?sg={site.groups[0]}").text
    row = page.split(f'<td><a href="/projects/proj/analyses/{site.analysis}">', 1)[1].split("</tr>", 1)[0]
    assert f'<a href="/projects/proj/sequencing-groups/{site.groups[0]}">{site.groups[0]}</a>' in row
    assert f'(<a href="/projects/proj/samples/{site.samples[0]}">S1</a>)' in row
    assert 'class="display-link" href="http://127.0.0.1:8000/web/proj/qc/S1.html"' in row
    assert "<code>gs://web/S1.html</code>" in row and "UTC" in row and "<td>admin</td>" in row
    qc3 = reader.get("/projects/proj/analyses?type=qc").text.split(f'/analyses/{cohort.ids["qc3"]}">', 1)[1]
    assert "<td>bob</td>" in qc3.split("</tr>", 1)[0]  # the analysis' author
    unsafe = analysis(site, 2, type="web", status="completed", meta={"display_url": "javascript:alert(1)"})
    page = reader.get("/projects/proj/analyses?type=web").text
    assert f'/analyses/{unsafe}">' in page and 'href="javascript' not in page
    assert "<code>javascript:alert(1)</code>" in page


def test_bad_filters_are_400_pages(cohort: Cohort) -> None:
    reader = signed_in(cohort.site.api, "reader")
    good = cohort.site.groups[0]
    wrong_check_digit = f"{good[:-1]}{(int(good[-1]) + 1) % 10}"
    for query, words in (
        ("status=done", "Unknown status &#39;done&#39;"),
        ("from=2026-13-01", "The &#39;from&#39; date &#39;2026-13-01&#39; is not a date"),
        ("to=yesterday", "&#39;to&#39; date"),
        ("from=2026-11-10&to=2026-11-01", "The date range is empty"),
        ("sg=nonsense", "Sequencing group filter"),
        (f"sg={wrong_check_digit}", "Sequencing group filter"),
        ("active=maybe", "&#39;active&#39; must be one of"),
        ("date=updated", "&#39;date&#39; must be completed or created"),
        ("page=two", "whole numbers"),
    ):
        response = reader.get(f"/projects/proj/analyses?{query}")
        assert response.status_code == 400, (query, response.status_code, response.text)
        assert response.headers["content-type"].startswith("text/html")
        assert words in response.text, (query, response.text)
    bad = reader.get("/projects/proj/runs?status=exploded")
    assert bad.status_code == 400 and "Unknown run status" in bad.text


def test_non_members_get_404(cohort: Cohort) -> None:
    stranger = signed_in(cohort.site.api, "stranger")
    for path in ("/projects/proj/analyses", "/projects/proj/runs", "/projects/proj/runs/b-run"):
        response = stranger.get(path)
        assert response.status_code == 404, path
        assert "Project &#39;proj&#39; not found" in response.text
    reader = signed_in(cohort.site.api, "reader")
    assert reader.get("/projects/other/analyses").status_code == 404
    missing = reader.get("/projects/proj/runs/no-such-run")
    assert missing.status_code == 404 and "No analysis-runner run" in missing.text
    # a run of another project under a readable project's name is not there
    assert reader.get(f"/projects/proj/runs/{RUN['ar_guid']}").status_code == 200
    assert reader.get(f"/projects/proj-test/runs/{RUN['ar_guid']}").status_code == 404


def test_the_project_page_links_the_lists(cohort: Cohort) -> None:
    page = signed_in(cohort.site.api, "reader").get("/projects/proj").text
    assert 'href="/projects/proj/analyses?status=completed">4 completed</a>' in page
    assert 'href="/projects/proj/analyses?status=failed">1 failed</a>' in page
    assert 'href="/projects/proj/analyses">Analyses</a>' in page and 'href="/projects/proj/runs"' in page


def runs_listed(html: str) -> list[str]:
    body = html.split('id="runs"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'href="/projects/proj(?:-test)?/runs/([^"]+)"', body)


def test_the_runs_list(cohort: Cohort) -> None:
    api = cohort.site.api
    record_run(api, "c-run", "bob", None, {}, access_level="standard")
    for i in range(30):
        record_run(api, f"d-run-{i:02d}", "carol", "succeeded", {}, access_level="standard")
    reader = signed_in(api, "reader")
    page = reader.get("/projects/proj/runs")
    assert page.status_code == 200
    latest = [f"d-run-{i:02d}" for i in range(29, 4, -1)]
    assert runs_listed(page.text) == latest and "Runs 1–25 of 33, newest first" in page.text
    second = reader.get("/projects/proj/runs?page=2").text
    earliest = [*(f"d-run-{i:02d}" for i in range(4, -1, -1)), "c-run", "b-run", RUN["ar_guid"]]
    assert runs_listed(second) == earliest
    assert runs_listed(reader.get("/projects/proj/runs?status=failed").text) == ["b-run"]
    assert runs_listed(reader.get("/projects/proj/runs?status=unknown").text) == ["c-run", RUN["ar_guid"]]
    assert runs_listed(reader.get("/projects/proj/runs?user=alice").text) == ["b-run"]
    assert runs_listed(reader.get("/projects/proj/runs?user=carol&status=failed").text) == []
    assert runs_listed(reader.get("/projects/proj/runs?user=nobody").text) == []
    row = second.split('href="/projects/proj/runs/b-run"', 1)[1].split("</tr>", 1)[0]
    assert "<td>alice</td>" in row and "<td>standard</td>" in row and "failed" in row
    assert "0123abcd" in row and "python3 qc.py" in row and ">2</td>" in row and "1:16" in row
    assert 'href="/projects/proj/analyses?ar_guid=b-run&amp;active=all"' in row
    assert 'aria-label="Analyses of run b-run: 2"' in row
    listed_page = reader.get("/projects/proj/analyses?ar_guid=b-run&active=all").text
    assert len(listed(listed_page)) == 2 and 'href="/projects/proj/runs/b-run"' in listed_page
    assert 'aria-label="Analyses of run run-0001: 1"' in second
    assert "No runs match" in reader.get("/projects/proj-test/runs").text


def test_a_run_page_with_its_log(cohort: Cohort) -> None:
    api = cohort.site.api
    reader = signed_in(api, "reader")
    log_path = Path(runs.recorded_log_path(run_of(api, "b-run")) or "")
    assert log_path == cohort.data_dir / "proj-main-tmp" / "analysis-runner" / "b-run.log"
    log_path.parent.mkdir(parents=True)
    log_path.write_text("starting\nQC of 4 groups <b>done</b>\n")
    page = reader.get("/projects/proj/runs/b-run")
    assert page.status_code == 200
    facts = page.text.split('id="run"', 1)[1].split("</dl>", 1)[0]
    for value in (
        "alice",
        "0123abcd",
        "https://example.org/qc.git",
        "genolog/driver:1",
        "proj/qc",
        "standard",
    ):
        assert value in facts, value
    assert str(log_path.with_suffix(".toml")) in facts and "exit code 2" in facts and "1:16" in facts
    assert f"file://{log_path}" in facts and "<dt>Finished</dt><dd>20" in facts
    assert "log_path" in page.text  # the meta
    assert listed(page.text, "run-analyses") == [cohort.ids["qc2"], cohort.ids["cram1"]]
    assert "2 analyses of proj created or changed by this run" in page.text
    log = page.text.split('id="run-log"', 1)[1].split("</pre>", 1)[0]
    assert "starting\nQC of 4 groups &lt;b&gt;done&lt;/b&gt;" in log
    assert "older lines left out" not in page.text
    analysis_page = reader.get(f"/projects/proj/analyses/{cohort.ids['qc2']}").text
    assert 'href="/projects/proj/runs/b-run"><code>b-run</code></a>' in analysis_page


def test_a_long_log_shows_its_end(cohort: Cohort) -> None:
    log_path = cohort.data_dir / "proj-main-tmp" / "analysis-runner" / "b-run.log"
    log_path.parent.mkdir(parents=True)
    lines = [f"line {i:06d} " + "x" * 40 for i in range(10_000)]
    log_path.write_text("\n".join(lines) + "\n")
    page = signed_in(cohort.site.api, "reader").get("/projects/proj/runs/b-run").text
    log = page.split('id="run-log"', 1)[1].split(">", 1)[1].split("</pre>", 1)[0]
    assert "older lines left out" in page and "(530.0 kB in all" in page
    assert log.endswith(f"{lines[-1]}\n") and log.startswith("line ")  # a whole first line
    assert "line 000000" not in log and len(log.encode()) <= runs.LOG_TAIL_BYTES
    assert len(log.splitlines()) == len(log.encode()) // 53


def test_logs_the_server_does_not_read(cohort: Cohort, tmp_path: Path) -> None:
    api = cohort.site.api
    reader = signed_in(api, "reader")
    missing = reader.get("/projects/proj/runs/b-run")
    assert missing.status_code == 200
    assert "is not on this server (or is gone)" in missing.text and 'id="run-log"' not in missing.text
    secret = tmp_path / "secret.log"
    secret.write_text("the secret")
    elsewhere = cohort.data_dir / "proj-main-tmp" / "analysis-runner"
    elsewhere.mkdir(parents=True)
    (elsewhere / "e-run.log").symlink_to(secret)  # the right name, leading out of the folder
    cases: dict[str, tuple[dict[str, Any], str]] = {
        "r-run": ({"log_path": "gs://bucket/tmp/analysis-runner/r-run.log"}, "remote storage (gs://bucket"),
        "s-run": ({"log_path": str(secret)}, "outside the run logs of this server"),
        "t-run": ({"log_path": str(elsewhere / ".." / ".." / "s.log")}, "outside the run logs"),
        "u-run": ({"log_path": str(elsewhere / "b-run.log")}, "outside the run logs"),  # another run's log
        "e-run": ({"log_path": str(elsewhere / "e-run.log")}, "is not on this server"),
        "n-run": ({}, "The run recorded no log file."),
    }
    for guid, (meta, words) in cases.items():
        record_run(api, guid, "eve", "succeeded", meta, access_level="standard", config_path="/etc/x.toml")
        page = reader.get(f"/projects/proj/runs/{guid}")
        assert page.status_code == 200, guid
        assert words in page.text, (guid, page.text.split('id="log-heading"', 1)[1])
        assert "the secret" not in page.text and 'id="run-log"' not in page.text
    # no log_path: the one beside its config, when the config is where the runner puts it
    (elsewhere / "v-run.log").write_text("derived\n")
    record_run(
        api,
        "v-run",
        "eve",
        "succeeded",
        {},
        access_level="standard",
        config_path=str(elsewhere / "v-run.toml"),
    )
    assert "derived" in reader.get("/projects/proj/runs/v-run").text


def test_the_log_folder_is_where_the_runner_puts_logs(tmp_path: Path) -> None:
    for project, level, dataset in (
        ("proj-test", "test", "proj"),
        ("proj", "standard", "proj"),
        ("proj", "full", "proj"),
    ):
        config = {"storage": local_storage_config(tmp_path, [dataset], level)}
        _, log_path = run_files(config, dataset, "g-1")
        assert Path(log_path) == runs.log_folder(tmp_path, project, level) / "g-1.log"


def run_of(api: Api, guid: str) -> dict[str, Any]:
    with api.svc.db.read() as conn:
        return dict(
            conn.execute(sa.select(t.analysis_runner).where(t.analysis_runner.c.ar_guid == guid))
            .mappings()
            .one()
        )


def statements(api: Api, paths: list[str]) -> list[int]:
    client = signed_in(api, "reader")
    engine = api.svc.db.engine
    counts = []
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


def test_every_page_costs_a_fixed_number_of_statements(cohort: Cohort) -> None:
    api, site = cohort.site.api, cohort.site
    paths: Callable[[], list[str]] = lambda: [  # noqa: E731
        "/projects/proj/analyses?active=all&per=200",
        f"/projects/proj/analyses?type=qc&status=completed&sg={site.groups[2]}&from=2026-01-01&sort=completed",
        "/projects/proj/analyses?ar_guid=b-run",
        "/projects/proj/runs?per=200",
        "/projects/proj/runs?status=failed&user=alice",
        "/projects/proj/runs/b-run",
    ]
    few = statements(api, paths())
    for i in range(12):
        analysis(site, i % 4, "b-run", type=("qc", "gvcf", "sv")[i % 3], status="completed")
    api.ok(
        "PUT",
        "/analysis/proj/",
        headers={"sm-ar-guid": "b-run"},
        json={"type": "joint-calling", "status": "completed", "sequencing_group_ids": site.groups},
    )
    for i in range(6):
        record_run(api, f"f-run-{i}", "carol", "succeeded", {}, access_level="standard")
    many = statements(api, paths())
    assert few == many, (few, many)
    joint = signed_in(api, "reader").get("/projects/proj/analyses?type=joint-calling").text
    assert joint.count("/sequencing-groups/") == 4  # 4 groups: all shown


def test_many_groups_are_counted_not_listed(api: Api) -> None:
    site = build_site(api, n=8)
    api.ok(
        "PUT",
        "/analysis/proj/",
        json={"type": "joint-calling", "status": "completed", "sequencing_group_ids": site.groups},
    )
    page = signed_in(api, "reader").get("/projects/proj/analyses?type=joint-calling").text
    row = page.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert row.count("/sequencing-groups/") == 5 and "and 3 more" in row
    assert all(f"/sequencing-groups/{g}" in row for g in site.groups[:5])
