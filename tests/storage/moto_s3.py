"""moto's S3-compatible server (``python -m moto.server``) for the tests, on 127.0.0.1 and a free port.

The tests talk to it over the real S3 protocol, through the same boto3 and cloudpathlib code as AWS or an
on-premises store, with the endpoint and credentials in the usual AWS environment variables (fake values,
made up here). Once the server is set up, it checks signatures (moto's IAM authentication): only the
access key it issued is accepted, so a wrong key fails as it would against a real store.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx

from tests.metadata.live import free_port, wait_until_healthy

REGION = "us-east-1"
#: how long the server may take to answer its first request, and to stop
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
#: what the test user may do
S3_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}


@dataclass(frozen=True)
class S3Server:
    """A running server: its endpoint and the access key that it accepts."""

    endpoint_url: str
    access_key_id: str
    secret_access_key: str
    #: a folder without AWS config files (so that no ~/.aws is read)
    folder: Path

    def environment(self) -> dict[str, str]:
        """The usual AWS variables that point boto3 (and so genolog) at this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": str(self.folder / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.folder / "no-aws-credentials"),
        }

    def client(self) -> Any:
        """A boto3 client of its own, to set up and inspect buckets beside genolog's."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            region_name=REGION,
        )

    def new_bucket(self) -> str:
        name = f"genolog-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name


def _issue_access_key(url: str) -> tuple[str, str]:
    """An IAM user allowed everything on S3, and its access key (made while the server takes anyone)."""
    iam = boto3.client(
        "iam",
        endpoint_url=url,
        aws_access_key_id="setup",
        aws_secret_access_key="setup",
        region_name=REGION,
    )
    iam.create_user(UserName="genolog-tests")
    iam.put_user_policy(UserName="genolog-tests", PolicyName="s3", PolicyDocument=json.dumps(S3_POLICY))
    key = iam.create_access_key(UserName="genolog-tests")["AccessKey"]
    return str(key["AccessKeyId"]), str(key["SecretAccessKey"])


@contextmanager
def moto_s3(folder: Path) -> Iterator[S3Server]:
    """Start the server, issue its one access key, turn authentication on; stop it afterwards."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = folder / "moto_server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
    try:
        try:
            wait_until_healthy(
                url, alive=lambda: process.poll() is None, timeout=START_TIMEOUT, path="/moto-api/data.json"
            )
        except RuntimeError as e:
            raise RuntimeError(f"moto's server did not start ({e}): {log.read_text()[-2000:]}") from None
        key_id, secret = _issue_access_key(url)
        # from now on every request must be signed with that key (moto's IAM authentication)
        httpx.post(f"{url}/moto-api/reset-auth", content=b"0", timeout=10).raise_for_status()
        yield S3Server(url, key_id, secret, folder)
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)
