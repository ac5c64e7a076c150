"""Cohort QC: the heat map of every sequencing group's latest QC summary, its outliers, pages, export,
who may see it, and what it costs in statements."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa

from genolog.metadata.context import AuditInfo
from genolog.metadata.models import AnalysisUpdate
from genolog.metadata.permissions import Caller
from genolog.metadata.service import analyses
from genolog.metadata.service.qc_outliers import find_outliers
from genolog.metadata.service.session import writing
from tests.metadata.support import Api, sample_with_group
from tests.web.support import Site, build_site, signed_in


def summary(mean: float, *, last: float | None = None, dip: float = 0.0, length: int = 150) -> dict[str, Any]:
    """A ``meta.qc`` as the FastQE example registers it: flat curves at ``mean`` (``last`` over the last
    third), with a dip of ``dip`` at positions 61-80 of R1."""
    tail = mean if last is None else last
    r1 = [mean if p < (2 * length) // 3 else tail for p in range(length)]
    if dip:
        r1[60:80] = [v - dip for v in r1[60:80]]
    return {
        "version": 1,
        "reads": 1000,
        "mean_quality": mean,
        "mean_quality_last_third": tail,
        "dip": dip,
        "dip_read": "R1",
        "dip_position": 70 if dip else 1,
        "bin": 1,
        "mean_quality_by_position": {"R1": r1, "R2": list(r1)},
    }


def add_qc(
    api: Api, sg: str, qc: dict[str, Any] | None, *, status: str = "completed", url: str | None = None
) -> int:
    meta: dict[str, Any] = {"display_url": url or f"http://127.0.0.1:8000/web/proj/qc/{sg}.html"}
    if qc is not None:
        meta["qc"] = qc
    body = {"type": "web", "status": status, "sequencing_group_ids": [sg], "meta": meta}
    return int(api.ok("PUT", "/analysis/proj/", json=body))


def heatmap_rows(html: str) -> list[tuple[str, str]]:
    """(sequencing group, its row's HTML) in page order."""
    body = html.split('id="qc-heatmap"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<tr id="qc-([^"]+)"[^>]*>(.*?)</tr>', body, re.S)


def cohort(api: Api, n: int) -> Site:
    """``proj`` with n groups, each with a normal QC summary (means 33.0 ... spread a little)."""
    site = build_site(api, n=n)
    for i, sg in enumerate(site.groups):
        add_qc(api, sg, summary(33.0 + (i % 5) * 0.3, last=30.0 + (i % 3) * 0.3))
    return site


def test_rows_latest_wins_and_outliers_are_flagged_with_reasons(api: Api) -> None:
    site = cohort(api, 8)
    g = site.groups
    latest_poor = add_qc(api, g[0], summary(18.0, last=10.0))  # replaces g[0]'s normal one
    add_qc(api, g[1], summary(12.0), status="failed")  # failed: ignored
    inactive = add_qc(api, g[2], summary(12.0))
    api.ok("PATCH", f"/analysis/{inactive}/", json={"active": False})  # inactive: ignored
    dipped = add_qc(api, g[3], summary(33.0, dip=12.0))
    add_qc(api, g[4], None)  # a newer analysis without a QC summary does not hide the older one
    reader = signed_in(api, "reader")

    page = reader.get("/projects/proj/qc")
    assert page.status_code == 200, page.text
    rows = dict(heatmap_rows(page.text))
    assert sorted(rows) == sorted(g)
    order = [sg for sg, _ in heatmap_rows(page.text)]
    assert order[:2] == [g[0], g[3]]  # outliers first, the most extreme first
    poor, dip, normal = rows[g[0]], rows[g[3]], rows[g[1]]
    assert "⚠ outlier" in poor and "mean quality 18.0 is" in poor and "below the cohort median 33.3" in poor
    assert "mean quality over the last third 10.0" in poor
    assert f'href="/projects/proj/analyses/{latest_poor}"' in poor
    assert "⚠ outlier" in dip and "mid-read dip of 12.0 Phred" in dip and f"analyses/{dipped}" in dip
    assert 'stroke="#d00"' in dip and "R1 70–72: Q 21.0 (dip)" in dip  # the dipped cell is outlined
    assert "outlier" not in normal and "qc-outlier" not in normal
    assert f'class="qc-report" href="http://127.0.0.1:8000/web/proj/qc/{g[1]}.html"' in normal
    assert f'href="/projects/proj/samples/{site.samples[1]}">S2</a>' in normal
    assert f'href="/projects/proj/sequencing-groups/{g[1]}">{g[1]}</a></th>' in normal  # the group's page
    flagged = page.text.split('id="qc-flagged"', 1)[1].split("</ul>", 1)[0]
    assert flagged.count("<li>") == 2 and f'href="#qc-{g[0]}"' in flagged and "mid-read dip" in flagged
    assert "Outliers (2)" in page.text
    # 150 positions: 50 columns per read, 3 positions each, R1 and R2 side by side, a tooltip per cell
    assert normal.count("<rect") == 100 and "<title>R2 148–150: Q 30.3</title>" in normal
    assert 'href="/projects/proj/qc"' in reader.get("/projects/proj").text  # linked from the project

    sorted_sg = reader.get("/projects/proj/qc?sort=sg")
    assert [sg for sg, _ in heatmap_rows(sorted_sg.text)] == g
    by_quality = reader.get("/projects/proj/qc?sort=quality")
    assert heatmap_rows(by_quality.text)[0][0] == g[0]  # the poorest first


def test_the_tsv_has_every_row_with_its_flag_and_reasons(api: Api) -> None:
    site = cohort(api, 6)
    add_qc(api, site.groups[5], summary(15.0))
    response = signed_in(api, "reader").get("/projects/proj/qc.tsv?sort=sg")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/tab-separated-values; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="proj-qc.tsv"'
    header, *lines = [line.split("\t") for line in response.text.splitlines()]
    assert header == [
        "sequencing_group",
        "sample",
        "sample_external_id",
        "analysis",
        "mean_quality",
        "mean_quality_last_third",
        "dip",
        "outlier",
        "reasons",
    ]
    assert [line[0] for line in lines] == site.groups
    assert lines[5][2] == "S6" and lines[5][4] == "15.0" and lines[5][7] == "yes"
    assert "mean quality 15.0 is" in lines[5][8]
    assert lines[0][7] == "no" and lines[0][8] == ""


def test_long_reads_are_binned_into_at_most_50_columns(api: Api) -> None:
    site = build_site(api, n=2)
    add_qc(api, site.groups[0], summary(30.0, length=600))
    coarse = summary(20.0, length=300) | {"bin": 2}  # 600 positions stored as 300 means of 2
    add_qc(api, site.groups[1], coarse)
    page = signed_in(api, "reader").get("/projects/proj/qc")
    rows = dict(heatmap_rows(page.text))
    for sg in site.groups:
        assert rows[sg].count("<rect") == 100, sg  # 600 positions: 50 columns of 12 per read
    assert "<title>R1 1–12: Q 30.0</title>" in rows[site.groups[0]]
    assert "<title>R2 589–600: Q 20.0</title>" in rows[site.groups[1]]
    assert "12 positions per column" in page.text


def test_pages_of_rows(api: Api) -> None:
    site = cohort(api, 30)
    reader = signed_in(api, "reader")
    first = reader.get("/projects/proj/qc?sort=sg&per=25")
    assert [sg for sg, _ in heatmap_rows(first.text)] == site.groups[:25]
    assert (
        "Page 1 of 2" in first.text
        and 'rel="next" href="/projects/proj/qc?sort=sg&amp;page=2&amp;per=25"' in first.text
    )
    second = reader.get("/projects/proj/qc?sort=sg&per=25&page=2")
    assert [sg for sg, _ in heatmap_rows(second.text)] == site.groups[25:]
    assert "Rows 26–30 of 30" in second.text
    beyond = reader.get("/projects/proj/qc?sort=sg&per=25&page=9")
    assert [sg for sg, _ in heatmap_rows(beyond.text)] == site.groups[25:]
    assert reader.get("/projects/proj/qc?page=x").status_code == 400


def test_empty_state_unsafe_links_and_who_may_see_it(site: Site) -> None:
    reader = signed_in(site.api, "reader")
    empty = reader.get("/projects/proj/qc")  # the site's one analysis has no meta.qc
    assert empty.status_code == 200 and "No QC yet" in empty.text and 'id="qc-heatmap"' not in empty.text
    add_qc(site.api, site.groups[0], summary(30.0), url="javascript:alert(1)")
    shown = reader.get("/projects/proj/qc")
    [(sg, row)] = heatmap_rows(shown.text)
    assert sg == site.groups[0] and "javascript:" not in row and "qc-report" not in row
    stranger = signed_in(site.api, "stranger")
    for path in ("/projects/proj/qc", "/projects/proj/qc.tsv", "/projects/nope/qc"):
        response = stranger.get(path)
        assert response.status_code == 404 and "not found" in response.text, path


def test_the_page_costs_a_fixed_number_of_statements(api: Api) -> None:
    def statements(path: str) -> int:
        client = signed_in(api, "reader")
        seen: list[str] = []

        def count(*args: object) -> None:
            seen.append(str(args[2]))

        engine = api.svc.db.engine
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get(path).status_code == 200, path
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    site = cohort(api, 3)
    paths = ["/projects/proj/qc", "/projects/proj/qc?per=25&page=2", "/projects/proj/qc.tsv"]
    few = [statements(p) for p in paths]
    created = api.ok("PUT", "/sample/proj/upsert-many", json=[sample_with_group(f"T{i}") for i in range(40)])
    for i, sample in enumerate(created):
        add_qc(api, sample["sequencing_groups"][0]["id"], summary(20.0 + i % 15))
    for sg in site.groups:
        add_qc(api, sg, summary(25.0))  # a newer QC of the first groups
    many = [statements(p) for p in paths]
    assert few == many, (few, many)
    assert few[1] == few[0] - 1  # the cohort had not changed since the first page: its scalars are kept


def test_a_change_to_the_project_shows_at_once(api: Api) -> None:
    site = cohort(api, 6)
    reader = signed_in(api, "reader")
    poor = add_qc(api, site.groups[0], summary(15.0))
    assert "⚠ outlier" in dict(heatmap_rows(reader.get("/projects/proj/qc").text))[site.groups[0]]
    api.ok("PATCH", f"/analysis/{poor}/", json={"active": False})  # back to the group's normal QC
    after = dict(heatmap_rows(reader.get("/projects/proj/qc").text))
    assert "outlier" not in after[site.groups[0]] and f"analyses/{poor}" not in after[site.groups[0]]
    api.ok(
        "PUT", "/sample/proj/upsert-many", json=[{"id": site.samples[1], "external_ids": {"": "S2-renamed"}}]
    )
    renamed = dict(heatmap_rows(reader.get("/projects/proj/qc").text))[site.groups[1]]
    assert ">S2-renamed</a>" in renamed


@pytest.mark.parametrize(
    ("values", "flagged"),
    [
        ([33.0, 33.5, 34.0, 32.8, 33.2, 33.9, 18.0], {6}),  # far below: flagged
        ([33.0, 33.5, 34.0, 32.8, 33.2, 33.9, 31.5], set()),  # a little below: within the cohort
        ([33.0, 33.0, 33.0, 33.0, 33.0, 32.9], set()),  # identical rows: the MAD floor keeps 32.9 in
        ([33.0, 18.0, 34.0], set()),  # three rows are no cohort
    ],
)
def test_the_outlier_rule(values: list[float], flagged: set[int]) -> None:
    rows = [{"mean_quality": v, "mean_quality_last_third": v, "dip": 0.0} for v in values]
    result = find_outliers(rows)
    assert {i for i, (reasons, _) in enumerate(result) if reasons} == flagged
    for i in flagged:
        reasons, score = result[i]
        assert reasons[0].full.startswith(f"mean quality {values[i]:.1f} is") and score > 3.5
        assert max(s for _, s in result) == score


def test_dips_are_flagged_when_deep_whatever_the_cohort() -> None:
    dips = [0.1, 0.2, 0.0, 0.1, 14.0, 3.0]
    rows = [{"mean_quality": 33.0, "mean_quality_last_third": 30.0, "dip": d} for d in dips]
    result = find_outliers(rows)
    assert [bool(r) for r, _ in result] == [False, False, False, False, True, False]  # 3.0 < 5 Phred
    assert [r.full for r in result[4][0]] == ["mid-read dip of 14.0 Phred"]
    assert [r.short for r in find_outliers([{"dip": 6.0}], ["R2 position 9"])[0][0]] == [
        "mid-read dip 6.0 at R2 position 9"
    ]
    assert find_outliers([{"dip": 4.0}, {"dip": None}]) == [([], 0.0), ([], 0.0)]


def test_a_write_recorded_first_commits_first_so_the_cohort_shows_it(api: Api, db_url: str) -> None:
    """On PostgreSQL two writers of a project could record their changes in one order and commit in the
    other: a cohort read between the two commits would then be kept under the later change's id, without
    the earlier change, until the project changed again. A writer that has recorded its changes makes
    the project's next writer wait for its commit (``context._take_turns_per_project``)."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite's writers take turns: no write commits while another is open")
    site = cohort(api, 6)
    reader = signed_in(api, "reader")
    slow = add_qc(api, site.groups[0], summary(33.0))
    other = add_qc(api, site.groups[1], summary(33.2))

    def row_of_first_group() -> str:
        return dict(heatmap_rows(reader.get("/projects/proj/qc").text))[site.groups[0]]

    with ThreadPoolExecutor(max_workers=1) as background:
        with writing(api.svc, Caller("admin", {"admin"}, {}), AuditInfo("admin")) as session:
            analyses.update(session, slow, AnalysisUpdate(meta={"qc": summary(14.0)}))
            session.tx.finish()  # its changes recorded, as a commit does first
            later = background.submit(api.ok, "PATCH", f"/analysis/{other}/", json={"meta": {"note": "x"}})
            time.sleep(1)
            assert not later.done(), "the later writer committed before the earlier one"
            assert "outlier" not in row_of_first_group()  # neither write is visible yet
        assert later.result(timeout=60) is True
    assert "⚠ outlier" in row_of_first_group()
