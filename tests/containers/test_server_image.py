"""The metadata server's image (images/server) on real podman: built by `genolog images build server` from
a wheel of this checkout, run with host networking against a scratch PostgreSQL database, administered
through its own command line (podman exec), and answering REST and GraphQL with real data."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.conftest import require_postgres, scratch_postgres_database
from tests.containers.images import BaseImage, build_on_base
from tests.metadata.live import free_port, wait_until_healthy

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture(scope="module")
def server_image(base_image: BaseImage) -> str:
    return build_on_base(base_image, "server")


def podman(base_image: BaseImage, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        base_image.engine.argv(*args), capture_output=True, text=True, timeout=timeout, check=False
    )


@contextmanager
def running(base_image: BaseImage, *args: str) -> Iterator[str]:
    """`podman run -d ARGS` as a container of its own name; stopped and removed afterwards with its
    anonymous /data volume, whatever happened. Yields the name."""
    name = f"genolog-test-server-{uuid.uuid4().hex[:8]}"
    started = podman(base_image, "run", "-d", "--name", name, *args)
    try:
        assert started.returncode == 0, started.stderr
        yield name
    finally:
        podman(base_image, "rm", "--force", "--volumes", "--time", "10", name)


def test_the_server_image_serves_postgres_to_a_token_made_inside_it(
    base_image: BaseImage, server_image: str
) -> None:
    require_postgres()
    inspected = json.loads(podman(base_image, "image", "inspect", server_image).stdout)[0]
    config = inspected["Config"]
    assert config["User"] == "genolog" and config["Entrypoint"] == ["genolog", "serve"]
    assert "8000/tcp" in config["ExposedPorts"] and "/data" in config["Volumes"]
    # podman shows the HEALTHCHECK beside the config (docker inside it); an OCI-format build loses it
    assert "/health" in " ".join(inspected["Healthcheck"]["Test"])
    port = free_port()
    with scratch_postgres_database("genolog_image") as db:
        settings = ["-e", f"GENOLOG_DB={db}", "-e", f"GENOLOG_PORT={port}"]
        with running(base_image, "--network", "host", *settings, server_image) as container:
            url = f"http://127.0.0.1:{port}"

            def alive() -> bool:
                state = podman(base_image, "inspect", "--format", "{{.State.Running}}", container)
                return state.stdout.strip() == "true"

            try:
                wait_until_healthy(url, alive=alive, timeout=120)
            except RuntimeError as e:
                logs = podman(base_image, "logs", container)
                raise AssertionError(f"{e}:\n{logs.stdout}{logs.stderr}") from None
            assert podman(base_image, "exec", container, "id", "-u").stdout.strip() != "0"
            check_first_admin_and_data(base_image, container, url)
            # the image's HEALTHCHECK, run by hand (podman schedules it through systemd, absent here)
            health = podman(base_image, "healthcheck", "run", container)
            assert health.returncode == 0, health.stdout + health.stderr


def check_first_admin_and_data(base_image: BaseImage, container: str, url: str) -> None:
    """No development mode: nothing is allowed until the container's own command line makes an admin
    and a token, which then writes a project and samples over REST and reads them back over GraphQL."""
    assert httpx.get(f"{url}/api/v1/project/").status_code == 401
    granted = podman(base_image, "exec", container, "genolog", "user", "grant", "alice", "admin")
    assert granted.returncode == 0, granted.stderr
    made = podman(base_image, "exec", container, "genolog", "token", "create", "--user", "alice", "--json")
    assert made.returncode == 0, made.stderr
    auth = {"Authorization": f"Bearer {json.loads(made.stdout)['token']}"}
    project = httpx.put(f"{url}/api/v1/project/", params={"name": "cohort"}, headers=auth)
    assert project.status_code == 200, project.text
    samples = [{"external_ids": {"": name}, "type": "blood"} for name in ("S1", "S2")]
    created = httpx.put(f"{url}/api/v1/sample/cohort/upsert-many", json=samples, headers=auth)
    assert created.status_code == 200, created.text
    answer = httpx.post(
        f"{url}/graphql",
        json={"query": '{ project(name: "cohort") { name samples { id externalId type } } }'},
        headers=auth,
    )
    assert answer.status_code == 200, answer.text
    found = answer.json()["data"]["project"]
    assert found["name"] == "cohort"
    assert sorted(s["externalId"] for s in found["samples"]) == ["S1", "S2"]
    assert {s["id"] for s in found["samples"]} == {s["id"] for s in created.json()}


def test_the_server_image_keeps_sqlite_in_its_volume_and_refuses_dev_mode_on_the_network(
    base_image: BaseImage, server_image: str
) -> None:
    volume = f"genolog-test-data-{uuid.uuid4().hex[:8]}"
    try:
        migrated = podman(
            base_image, "run", "--rm", "--network=none", "-v", f"{volume}:/data", "--entrypoint", "genolog",
            server_image, "migrate",
        )  # fmt: skip
        assert migrated.returncode == 0, migrated.stderr
        assert "sqlite:////data/genolog.sqlite is up to date" in migrated.stdout
        listed = podman(
            base_image, "run", "--rm", "--network=none", "-v", f"{volume}:/data", "--entrypoint", "sh",
            server_image, "-c", "ls -l /data",
        )  # fmt: skip
        assert "genolog.sqlite" in listed.stdout and " genolog genolog " in listed.stdout
    finally:
        podman(base_image, "volume", "rm", "--force", volume)
    dev = podman(base_image, "run", "--rm", "--network=none", "-e", "GENOLOG_DEV_USER=me", server_image)
    assert dev.returncode == 1 and "only allowed on a loopback host" in dev.stdout + dev.stderr
    assert "Traceback" not in dev.stdout + dev.stderr
