"""genolog.client.AnalysisApi against a live server, and the tutorial's `create_analysis_entry`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from genolog.client import Analysis, AnalysisApi, AnalysisStatus, AnalysisUpdateModel, ApiError
from genolog.config import set_config_paths
from genolog.metadata.db import Database
from genolog.metadata.service import Service
from genolog.metadata.settings import ServerSettings
from tests.metadata.live import live_server
from tests.metadata.support import Api, sample_with_group


@pytest.fixture
def server(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Api, str]]:
    """A live server with `proj`/`proj-test` (admin writes, `viewer` reads) and one sequencing group."""
    svc = Service.create(ServerSettings(db=db_url), Database(db_url))
    api = Api(svc)
    api.project("proj", members={"viewer": ["reader"]})
    created = api.ok("PUT", "/sample/proj-test/upsert-many", json=[sample_with_group("S1")])
    sgid = created[0]["sequencing_groups"][0]["id"]
    with live_server(svc) as url:
        monkeypatch.setenv("GENOLOG_URL", url)
        monkeypatch.setenv(
            "GENOLOG_TOKEN", api.user("admin", "admin")["Authorization"].removeprefix("Bearer ")
        )
        yield api, sgid
    svc.db.dispose()


def test_create_and_update_an_analysis(server: tuple[Api, str]) -> None:
    _, sgid = server
    analyses = AnalysisApi()
    analysis_id = analyses.create_analysis(
        project="proj-test",
        analysis=Analysis(
            type="web",
            status=AnalysisStatus("completed"),
            meta={"display_url": "http://x/web/proj-test/a.html"},
            output="/data/a.html",
            active=True,
            sequencing_group_ids=[sgid],
        ),
    )
    assert isinstance(analysis_id, int)
    details = analyses.get_analysis_by_id(analysis_id)
    assert details["status"] == "completed" and details["output"] == "/data/a.html"
    assert details["sequencing_group_ids"] == [sgid]
    assert details["meta"] == {"display_url": "http://x/web/proj-test/a.html"}

    assert analyses.update_analysis(analysis_id, AnalysisUpdateModel(status="failed", active=False)) is True
    details = analyses.get_analysis_by_id(analysis_id)
    assert (details["status"], details["active"]) == ("failed", False)
    found = analyses.query_analyses(projects=["proj-test"], type="web")
    assert [a["id"] for a in found] == [analysis_id]


def test_refusals_are_api_errors_with_the_status(
    server: tuple[Api, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    api, _ = server
    with pytest.raises(ApiError, match="HTTP 404") as caught:
        AnalysisApi().create_analysis("nope", Analysis(type="web", status="completed"))
    assert caught.value.status == 404
    with pytest.raises(ValueError):
        Analysis(type="web", status="done").to_json()
    monkeypatch.setenv("GENOLOG_TOKEN", api.user("viewer")["Authorization"].removeprefix("Bearer "))
    with pytest.raises(ApiError, match="HTTP 403") as caught:
        AnalysisApi().create_analysis("proj-test", Analysis(type="web", status="completed"))


# The tutorial's function (section 4), with only its import lines changed.
TUTORIAL = """
import os

def create_analysis_entry(
    sgid: str,
    active: bool = True,
):
    # perform imports from within the function as Hail can be a bit finicky
    from genolog.paths import to_path
    from genolog.config import get_config
    from genolog.client import AnalysisApi
    from genolog.client import Analysis
    from genolog.client import AnalysisStatus

    project = get_config()['workflow']['dataset']
    if get_config()['workflow']['access_level'] == 'test' and 'test' not in project: # ensures we're running in test bucket
        project = f'{project}-test'
    output_prefix = get_config()['workflow']['output_prefix']
    output_path = os.path.join(
        get_config()['storage']['default']['web'], output_prefix, sgid, '.html'
    )
    display_url = os.path.join(
        get_config()['storage']['default']['web_url'], output_prefix, f'{sgid}.html'
    )
    AnalysisApi().create_analysis(
        project=f'{project}',
        analysis=Analysis(
            type='web',
            status=AnalysisStatus('completed'),
            meta={'display_url': display_url},
            output=output_path,
            active=active,
        ),
    )
"""


def tutorial_function(link_sequencing_group: bool) -> Any:
    text = TUTORIAL
    if link_sequencing_group:  # as metamist, the server wants the analysis linked to something
        text = text.replace("active=active,", "active=active, sequencing_group_ids=[sgid],")
    namespace: dict[str, Any] = {}
    exec(compile(text, "tutorial.py", "exec"), namespace)
    return namespace["create_analysis_entry"]


def test_the_tutorials_create_analysis_entry_runs(server: tuple[Api, str], tmp_path: Path) -> None:
    api, sgid = server
    config = tmp_path / "ar.toml"
    config.write_text(
        '[workflow]\ndataset = "proj"\naccess_level = "test"\noutput_prefix = "fastqe"\n'
        '[storage.default]\nweb = "/data/proj-test-web"\nweb_url = "http://srv/web/proj-test"\n'
    )
    set_config_paths([str(config)])
    with pytest.raises(ApiError, match="must be linked to at least one sequencing group or cohort"):
        tutorial_function(link_sequencing_group=False)(sgid)
    tutorial_function(link_sequencing_group=True)(sgid)
    [analysis] = api.ok("POST", "/analysis/query", json={"projects": ["proj-test"]})
    assert analysis["meta"] == {"display_url": f"http://srv/web/proj-test/fastqe/{sgid}.html"}
    assert analysis["status"] == "completed" and analysis["active"] is True
    assert analysis["sequencing_group_ids"] == [sgid]
