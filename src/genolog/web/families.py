"""The web pages of sequencing groups and families: a sequencing group with its sample, participant, read
files, analyses and history; a project's families; a family with its members, pedigree chart and history.

The sequencing group is read through the in-process GraphQL; families through explicit SQL (the pedigree's
parent links are not in the GraphQL family types). Every page runs a fixed number of statements.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from genolog.metadata import access
from genolog.metadata import tables as t
from genolog.metadata.context import Tx
from genolog.metadata.errors import NotFound
from genolog.metadata.ids import int_or_none
from genolog.metadata.permissions import READ
from genolog.metadata.store import external_ids
from genolog.metadata.store import families as family_store
from genolog.web import changes
from genolog.web.pages import _one, read_files
from genolog.web.pedigree_svg import Person, affection_name, generations, pedigree_svg, sex_name
from genolog.web.render import PageRoute, page_read, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

FAMILIES_PER_PAGE = 200

SEQUENCING_GROUP_QUERY = """
query ($project: String!, $id: String!) {
  project(name: $project) {
    name
    sequencingGroups(id: {eq: $id}, activeOnly: {eq: false}) {
      id type technology platform archived meta externalIds
      sample { id externalId type active participant { id externalId reportedSex } }
      assays { id type meta }
      analyses(active: {in_: [true, false]}) { id type status active output meta timestampCompleted }
    }
  }
}
"""


@router.get("/projects/{project}/sequencing-groups/{sg_id}", response_class=HTMLResponse)
def sequencing_group_page(request: Request, project: str, sg_id: str) -> HTMLResponse:
    with page_read(request) as opened:
        caller, tx = opened
        variables = {"project": project, "id": sg_id}
        name, group = _one(
            request,
            opened,
            project,
            SEQUENCING_GROUP_QUERY,
            variables,
            "sequencingGroups",
            f"Sequencing group {sg_id!r}",
        )
        pk = tx.codecs.sequencing_group.parse(group["id"])
        entities = {
            "sequencing_group": [pk],
            "assay": [a["id"] for a in group["assays"]],
            "analysis": [a["id"] for a in group["analyses"]],
        }
        history = changes.history(tx, entities)
    return render(
        request,
        "sequencing_group.html",
        caller,
        project=name,
        group=group,
        files={a["id"]: read_files(a) for a in group["assays"]},
        history=history,
        names={("sequencing_group", pk): group["id"]},
    )


@dataclass
class Member:
    """A pedigree row of the family page: the participant and the ids and names of its parents."""

    id: int
    external_id: str
    sex: int | None
    affected: int | None
    notes: str | None
    father: int | None
    mother: int | None
    father_name: str | None
    mother_name: str | None

    @property
    def sex_name(self) -> str:
        return sex_name(self.sex)

    @property
    def affection(self) -> str:
        return affection_name(self.affected)


def _primary(ids: dict[str, str], fallback: object) -> str:
    return ids.get("") or next(iter(ids.values()), None) or str(fallback)


def family_of(tx: Tx, project_id: int, family_id: str) -> tuple[dict[str, Any], list[Member]]:
    """The family (``family_store.views``) and its members, parents first; a 404 if not in the project.

    Six statements: the family, its external ids and pedigree rows, and the sex and external ids of its
    members and of any parent outside it."""
    missing = NotFound(f"Family {family_id} not found in this project")
    fid = int_or_none(family_id)
    if fid is None:
        raise missing
    family = family_store.views(tx, [fid]).get(fid)
    if family is None or family["project"] != project_id:
        raise missing
    fp, p = t.family_participant, t.participant
    rows = sa.select(fp).where(fp.c.family_id == fid).subquery()
    people = sa.select(p.c.id).where(
        sa.or_(
            p.c.id.in_(sa.select(rows.c.participant_id)),
            p.c.id.in_(sa.select(rows.c.paternal_participant_id)),
            p.c.id.in_(sa.select(rows.c.maternal_participant_id)),
        )
    )
    sexes = dict(tx.conn.execute(sa.select(p.c.id, p.c.reported_sex).where(p.c.id.in_(people))).all())
    names = {i: _primary(ids, i) for i, ids in external_ids.get_many(tx.conn, "participant", people).items()}
    members = [
        Member(
            id=r["participant_id"],
            external_id=names.get(r["participant_id"], str(r["participant_id"])),
            sex=sexes.get(r["participant_id"]),
            affected=r["affected"],
            notes=r["notes"],
            father=r["paternal_participant_id"],
            mother=r["maternal_participant_id"],
            father_name=names.get(r["paternal_participant_id"]) if r["paternal_participant_id"] else None,
            mother_name=names.get(r["maternal_participant_id"]) if r["maternal_participant_id"] else None,
        )
        for r in family["participants"]
    ]
    return family, _parents_first(members)


def _parents_first(members: list[Member]) -> list[Member]:
    """Members ordered by generation (founders first), in id order within one."""
    depth = generations(_people(members))
    return sorted(members, key=lambda m: (depth[m.id], m.id))


def _people(members: list[Member]) -> list[Person]:
    return [Person(m.id, m.external_id, m.sex, m.affected, m.father, m.mother) for m in members]


def chart(project: str, title: str, members: list[Member], standalone: bool = False) -> str:
    base = f"/projects/{urllib.parse.quote(project, safe='')}/participants/"
    return pedigree_svg(_people(members), title, lambda person: f"{base}{person.id}", standalone)


@router.get("/projects/{project}/families", response_class=HTMLResponse)
def families_page(request: Request, project: str, page: str = "1") -> HTMLResponse:
    number = max(int_or_none(page) or 1, 1)  # a bad page number: the first page
    f, fp = t.family, t.family_participant
    with page_read(request) as (caller, tx):
        row = access.project_by_name(tx, caller, project, READ)
        total = tx.conn.execute(sa.select(sa.func.count()).where(f.c.project_id == row["id"])).scalar_one()
        shown = (
            sa.select(f.c.id)
            .where(f.c.project_id == row["id"])
            .order_by(f.c.id)
            .limit(FAMILIES_PER_PAGE)
            .offset((number - 1) * FAMILIES_PER_PAGE)
        )
        family_rows = tx.conn.execute(
            sa.select(f.c.id, f.c.description, f.c.coded_phenotype).where(f.c.id.in_(shown)).order_by(f.c.id)
        ).all()
        names = external_ids.get_many(tx.conn, "family", shown)
        sizes = {
            r.family_id: (r.members, r.affected or 0)
            for r in tx.conn.execute(
                sa.select(
                    fp.c.family_id,
                    sa.func.count().label("members"),
                    sa.func.sum(sa.case((fp.c.affected == 2, 1), else_=0)).label("affected"),
                )
                .where(fp.c.family_id.in_(shown))
                .group_by(fp.c.family_id)
            )
        }
    families = [
        {
            "id": r.id,
            "external_id": _primary(names.get(r.id, {}), r.id),
            "description": r.description,
            "coded_phenotype": r.coded_phenotype,
            "members": sizes.get(r.id, (0, 0))[0],
            "affected": sizes.get(r.id, (0, 0))[1],
        }
        for r in family_rows
    ]
    pages = max(1, -(-total // FAMILIES_PER_PAGE))
    return render(
        request,
        "families.html",
        caller,
        project=row["name"],
        families=families,
        total=total,
        page=number,
        pages=pages,
    )


@router.get("/projects/{project}/families/{family_id}", response_class=HTMLResponse)
def family_page(request: Request, project: str, family_id: str) -> HTMLResponse:
    with page_read(request) as (caller, tx):
        row = access.project_by_name(tx, caller, project, READ)
        family, members = family_of(tx, row["id"], family_id)
        history = changes.history(tx, {"family": [family["id"]]})
    name = _primary(family["external_ids"], family["id"])
    svg = chart(row["name"], f"Pedigree of family {name}", members) if members else ""
    return render(
        request,
        "family.html",
        caller,
        project=row["name"],
        family=family,
        family_name=name,
        members=members,
        svg=Markup(svg),  # built by pedigree_svg, which escapes every text and attribute
        history=history,
        names={("family", family["id"]): name},
    )


@router.get("/projects/{project}/families/{family_id}/pedigree.svg")
def family_pedigree_svg(request: Request, project: str, family_id: str) -> Response:
    with page_read(request) as (caller, tx):
        row = access.project_by_name(tx, caller, project, READ)
        family, members = family_of(tx, row["id"], family_id)
    name = _primary(family["external_ids"], family["id"])
    svg = chart(row["name"], f"Pedigree of family {name}", members, standalone=True)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})
