"""`genolog serve --sandbox`, as the README's Quickstart runs it, in a real process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.metadata.live import free_port, wait_until_healthy


def test_serve_with_sandbox_answers_and_restarts_on_the_same_data(tmp_path: Path, db_url: str) -> None:
    port = free_port()
    command = [sys.executable, "-m", "genolog.cli", "serve", "--sandbox", "--dev-user", "demo"]
    command += ["--port", str(port), "--data-dir", str(tmp_path)]
    if db_url.startswith("postgresql"):
        command += ["--db", db_url]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENOLOG_")}
    for attempt in range(2):  # the second start must reuse the existing database and sandbox
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_healthy(base, alive=lambda p=process: p.poll() is None)
            projects = httpx.get(f"{base}/api/v1/project/").json()
            assert projects == ["sandbox", "sandbox-test"]
            groups = httpx.get(f"{base}/api/v1/sequencing-group/project/sandbox-test").json()
            assert len(groups) == 6
            pedigree = httpx.get(f"{base}/api/v1/family/sandbox/pedigree").json()
            assert {r["individual_id"] for r in pedigree} == {"SB001", "SB002", "SB003"}
            # the dev user owns the sandbox, its members page included
            members = httpx.get(f"{base}/projects/sandbox/members")
            assert members.status_code == 200 and "project_member_admin" in members.text
        finally:
            process.send_signal(signal.SIGINT)
            output, _ = process.communicate(timeout=20)
        assert "genolog" in output and f"127.0.0.1:{port}" in output
        assert ("Loaded the sandbox" in output) == (attempt == 0)
    assert (tmp_path / "genolog.sqlite").exists() == db_url.startswith("sqlite")
