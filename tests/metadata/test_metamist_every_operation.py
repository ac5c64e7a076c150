"""Every operation of the published metamist client (its non-billing APIs, from ``metamist.apis``), called
through the client against a live genolog server on both databases: each is routed, answers, and the
client reads the answer back without raising."""

from __future__ import annotations

from pathlib import Path

from genolog.metadata.service import Service
from tests.metadata.live import live_server
from tests.metadata.test_metamist_client import SCRIPT, run_client

EVERY_OPERATION = SCRIPT.parent / "metamist_every_operation.py"

# Operations answered with a refusal on purpose here, and what they answer: both ask the seqr server, and
# none is configured (tests/metadata/test_client_ops_b.py runs them against a fake one).
REFUSED = {"WebApi.sync_seqr_project": 400, "WebApi.get_seqr_family_guid_map": 400}


def test_every_client_operation_is_served(dev_service: Service, metamist_python: Path) -> None:
    with live_server(dev_service) as url:
        out = run_client(metamist_python, url, "everyop", script=EVERY_OPERATION)

    operations, outcomes = out["operations"], out["outcomes"]
    assert len(operations) >= 80  # the client's non-billing operations (88 in 7.14)
    assert sorted(set(operations) - set(outcomes)) == [], "operations the script does not call"
    unrouted = {
        name: o
        for name, o in outcomes.items()
        if o.get("status") in (404, 405) and '"Not Found"' in o["body"]
    }
    assert unrouted == {}
    failed = {
        name: o for name, o in outcomes.items() if "ok" not in o and REFUSED.get(name) != o.get("status")
    }
    assert failed == {}
    for name, status in REFUSED.items():
        assert outcomes[name].get("status") == status, (name, outcomes[name])
        assert "seqr" in outcomes[name]["body"].lower()
