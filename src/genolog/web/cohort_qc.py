"""The Cohort QC page: the per-position mean quality of every sequencing group's latest QC, as one heat
map with the outliers flagged (``/projects/{project}/qc``), and its summary as TSV
(``/projects/{project}/qc.tsv``). ``service.cohort_qc`` reads the cohort and finds its outliers (and
keeps it while the project does not change); this module draws it.
"""

from __future__ import annotations

import io
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from genolog.metadata.gc_pause import gc_paused
from genolog.metadata.service import cohort_qc
from genolog.metadata.service.cohort_qc import Curves
from genolog.metadata.service.page_numbers import page_and_size
from genolog.metadata.service.qc_outliers import RULES
from genolog.metadata.spreadsheet import SpreadsheetWriter
from genolog.web import heatmap
from genolog.web.render import PageRoute, link_target, page_read, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

# -- the page --------------------------------------------------------------------------------------------

SORTS = {
    "outlier": "outliers first",
    "sg": "sequencing group",
    "sample": "sample external id",
    "quality": "mean quality, lowest first",
}


@dataclass(frozen=True)
class QcQuery:
    sort: str = "outlier"
    page: int = 1
    per_page: int = 200

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> QcQuery:
        page, per_page = page_and_size(params, 200)
        sort = params.get("sort", "outlier")
        return cls(sort if sort in SORTS else "outlier", page, per_page)

    def params(self, **changes: Any) -> str:
        q = replace(self, **changes)
        pairs = [
            (k, str(v))
            for k, v, default in (("sort", q.sort, "outlier"), ("page", q.page, 1), ("per", q.per_page, 200))
            if v != default
        ]
        return urllib.parse.urlencode(pairs)


@router.get("/projects/{project}/qc", response_class=HTMLResponse)
def cohort_qc_page(request: Request, project: str) -> HTMLResponse:
    with gc_paused():  # the cohort's columns and the page's rows and cells: no collection meanwhile
        return _cohort_qc_page(request, project)


def _cohort_qc_page(request: Request, project: str) -> HTMLResponse:
    query = QcQuery.from_params(request.query_params)
    with page_read(request) as opened:
        found = cohort_qc.page(opened, project, query.sort, query.page, query.per_page)
    query = replace(query, page=found.page)
    known, shown, arrays = found.cohort, found.rows, found.curves
    empty: Curves = ({}, 1)
    layout = heatmap.Layout.for_rows([arrays.get(r.analysis_id, empty) for r in shown])
    drawn = [
        (
            row,
            heatmap.row_svg(
                layout,
                *arrays.get(row.analysis_id, empty),
                f"Mean quality by position of {row.sequencing_group}",
                row.dip_at if any("dip" in reason.full for reason in row.reasons) else None,
            ),
            link_target(row.display_url),
        )
        for row in shown
    ]
    return render(
        request,
        "cohort_qc.html",
        opened.caller,
        project=found.project,
        query=query,
        total=len(known),
        pages=found.pages,
        first_row=found.first + 1,
        rows=drawn,
        flagged=[known.row(i) for i in known.ordered("outlier")[: len(known.reasons)]],
        sorts=SORTS,
        axis=heatmap.axis_svg(layout),
        legend=heatmap.legend_svg(),
        columns_per_read=layout.columns,
        positions_per_column=layout.width,
    )


@router.get("/projects/{project}/qc.tsv")
def cohort_qc_export(request: Request, project: str) -> Response:
    with gc_paused():
        return _cohort_qc_export(request, project)


def _cohort_qc_export(request: Request, project: str) -> Response:
    query = QcQuery.from_params(request.query_params)
    with page_read(request) as opened:
        found = cohort_qc.project_cohort(opened, project)
    known = found.cohort
    out = io.StringIO()
    writer = SpreadsheetWriter(out, "\t")
    writer.writerow(
        [
            "sequencing_group",
            "sample",
            "sample_external_id",
            "analysis",
            *(r.key for r in RULES),
            "outlier",
            "reasons",
        ]
    )
    columns = [known.scalars[r.key] for r in RULES]
    for i in known.ordered(query.sort):
        reasons = known.reasons.get(i)
        writer.writerow(
            [
                known.sg_format(known.sg_ids[i]),
                known.sample_format(known.sample_ids[i]),
                known.external_ids[i],
                known.analysis_ids[i],
                *("" if (v := column[i]) is None else f"{v:.1f}" for column in columns),
                "yes" if reasons else "no",
                "; ".join(map(str, reasons or ())),
            ]
        )
    return Response(
        out.getvalue(),
        media_type="text/tab-separated-values; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{found.project}-qc.tsv"'},
    )
