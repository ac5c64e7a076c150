"""The web pages of sequencing groups and families: a sequencing group with its sample, participant, read
files, analyses and history; a project's families; a family with its members, pedigree chart and history.

The sequencing group is read through the in-process GraphQL; families through ``service.pedigrees``.
Every page runs a fixed number of statements.
"""

from __future__ import annotations

import urllib.parse

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from genolog.metadata.ids import int_or_none
from genolog.metadata.read_files import read_files
from genolog.metadata.service import pedigrees
from genolog.metadata.service.history import entity_history
from genolog.metadata.service.pedigrees import PedigreeMember
from genolog.web.pages import found_entity
from genolog.web.pedigree_svg import Person, affection_name, generations, pedigree_svg, sex_name
from genolog.web.render import PageRoute, page_read, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

FAMILIES_PER_PAGE = 200

SEQUENCING_GROUP_QUERY = """
query ($project: String!, $id: String!) {
  project(name: $project) {
    name
    sequencingGroups(id: {eq: $id}, activeOnly: {in_: [true, false]}) {
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
        variables = {"project": project, "id": sg_id}
        found = found_entity(
            request,
            opened,
            project,
            SEQUENCING_GROUP_QUERY,
            variables,
            "sequencingGroups",
            f"Sequencing group {sg_id!r}",
        )
        name, group = found.name, found.entity
        pk = opened.codecs.sequencing_group.parse(group["id"])
        entities = {
            "sequencing_group": [pk],
            "assay": [a["id"] for a in group["assays"]],
            "analysis": [a["id"] for a in group["analyses"]],
        }
        history = entity_history(opened, found.project_id, entities)
    return render(
        request,
        "sequencing_group.html",
        opened.caller,
        project=name,
        group=group,
        files={a["id"]: read_files(a) for a in group["assays"]},
        history=history,
        names={("sequencing_group", pk): group["id"]},
    )


def _parents_first(members: list[PedigreeMember]) -> list[PedigreeMember]:
    """Members ordered by generation (founders first), in id order within one."""
    depth = generations(_people(members))
    return sorted(members, key=lambda m: (depth[m.id], m.id))


def _people(members: list[PedigreeMember]) -> list[Person]:
    return [Person(m.id, m.external_id, m.sex, m.affected, m.father, m.mother) for m in members]


def chart(project: str, title: str, members: list[PedigreeMember], standalone: bool = False) -> str:
    base = f"/projects/{urllib.parse.quote(project, safe='')}/participants/"
    return pedigree_svg(_people(members), title, lambda person: f"{base}{person.id}", standalone)


@router.get("/projects/{project}/families", response_class=HTMLResponse)
def families_page(request: Request, project: str, page: str = "1") -> HTMLResponse:
    number = max(int_or_none(page) or 1, 1)  # a bad page number: the first page
    with page_read(request) as opened:
        found = pedigrees.families(opened, project, number, FAMILIES_PER_PAGE)
    return render(
        request,
        "families.html",
        opened.caller,
        project=found.project,
        families=found.families,
        total=found.total,
        page=number,
        pages=max(1, -(-found.total // FAMILIES_PER_PAGE)),
    )


@router.get("/projects/{project}/families/{family_id}", response_class=HTMLResponse)
def family_page(request: Request, project: str, family_id: str) -> HTMLResponse:
    with page_read(request) as opened:
        found = pedigrees.pedigree(opened, project, family_id)
        history = entity_history(opened, found.family.project, {"family": [found.family.id]})
    members = _parents_first(found.members)
    svg = chart(found.project, f"Pedigree of family {found.name}", members) if members else ""
    return render(
        request,
        "family.html",
        opened.caller,
        project=found.project,
        family=found.family,
        family_name=found.name,
        members=members,
        sex_name=sex_name,
        affection_name=affection_name,
        svg=Markup(svg),  # built by pedigree_svg, which escapes every text and attribute
        history=history,
        names={("family", found.family.id): found.name},
    )


@router.get("/projects/{project}/families/{family_id}/pedigree.svg")
def family_pedigree_svg(request: Request, project: str, family_id: str) -> Response:
    with page_read(request) as opened:
        found = pedigrees.pedigree(opened, project, family_id)
    members = _parents_first(found.members)
    svg = chart(found.project, f"Pedigree of family {found.name}", members, standalone=True)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})
