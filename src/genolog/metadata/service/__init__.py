"""The service layer of the metadata service: every read and write, with the caller's rights checked.

The three front ends (REST in ``metadata.api``, GraphQL in ``metadata.graphql``, the pages in
``genolog.web``) parse a request, call one function here with a ``Session`` (the caller in a
transaction) and format what it returns. Only this layer and what lies below it (``metadata.store``,
``metadata.tables``, ``metadata.db``) touch SQL; ``ARCHITECTURE.md`` has the rules, and the import-linter
contracts in ``pyproject.toml`` check them.
"""

from genolog.metadata.service._service import Service
from genolog.metadata.service.session import Session, in_project, reading, session_on, writing

__all__ = ["Service", "Session", "in_project", "reading", "session_on", "writing"]
