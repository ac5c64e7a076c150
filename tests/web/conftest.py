"""The web interface's tests use the metadata service's fixtures (a service on SQLite and PostgreSQL), and
the browser tests one live demo server for the whole session (``tests/web/browser.py``; the browser
itself is tests/conftest.py's, shared with the QC report's test)."""

from __future__ import annotations

import pytest

from tests.metadata.conftest import api, svc  # noqa: F401  (fixtures)
from tests.metadata.support import Api
from tests.web.browser import demo_server, page  # noqa: F401  (the demo server, a page on it)
from tests.web.support import Site, build_site


@pytest.fixture
def site(api: Api) -> Site:  # noqa: F811
    return build_site(api)
