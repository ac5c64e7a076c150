"""Who may do what: per-project roles plus the site-wide roles admin, project-creator and members-admin.

A project on which the caller holds no role does not exist for that caller (404); a project on which it
holds roles, but not the one needed, is forbidden (403).

Site roles: ``admin`` holds every role on every project; ``members-admin`` holds project_member_admin on
every project; ``project-creator`` may create projects and holds no role on others. Whoever creates a
project becomes its owner (``OWNER_ROLES``, recorded as member roles at creation, so they show on the
members page and can be taken away like any other). Metamist gives project-creators project_admin on
every project; genolog does not, so a project-creator cannot wipe or rewrite projects it was never given.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from genolog.metadata.errors import Forbidden, NotFound

READ = frozenset({"reader", "contributor", "writer"})
CONTRIBUTE = frozenset({"contributor", "writer"})
WRITE = frozenset({"writer"})
PROJECT_ADMIN = frozenset({"project_admin"})
MEMBER_ADMIN = frozenset({"project_member_admin"})
ALL_ROLES = READ | PROJECT_ADMIN | MEMBER_ADMIN
#: The site-wide roles (see the module's docstring).
SITE_ROLES = ("admin", "project-creator", "members-admin")
#: What the creator of a project gets on it (and on its ``-test`` twin): everything, members page included.
OWNER_ROLES = ("reader", "writer", "project_admin", "project_member_admin")


def run_roles(access_level: str) -> frozenset[str]:
    """What recording an analysis-runner run, or changing its outcome or meta, needs on its project:
    contributor for a test-level run, writer for a standard or full one (as the runner checks before it
    runs)."""
    return CONTRIBUTE if access_level == "test" else WRITE


@dataclass
class Caller:
    user: str
    site_roles: set[str] = field(default_factory=set)
    project_roles: dict[int, set[str]] = field(default_factory=dict)

    @property
    def is_admin(self) -> bool:
        return "admin" in self.site_roles

    @property
    def can_create_projects(self) -> bool:
        return self.is_admin or "project-creator" in self.site_roles

    def roles_on(self, project_id: int) -> set[str]:
        roles = set(self.project_roles.get(project_id, ()))
        if self.is_admin:
            roles |= ALL_ROLES
        if "members-admin" in self.site_roles:
            roles.add("project_member_admin")
        return roles

    def can_read(self, project_id: int) -> bool:
        return bool(self.roles_on(project_id) & READ)

    def require(
        self, project_id: int, project_name: str, needed: frozenset[str], not_found: str | None = None
    ) -> None:
        """Raise unless the caller holds one of ``needed``; ``not_found`` replaces the 404 message."""
        roles = self.roles_on(project_id)
        if not roles:
            raise NotFound(not_found or f"Project {project_name!r} not found")
        if not roles & needed:
            raise Forbidden(
                f"User {self.user!r} needs one of the roles {', '.join(sorted(needed))} on project "
                f"{project_name!r} (has {', '.join(sorted(roles))})"
            )
