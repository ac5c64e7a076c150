"""Run in a venv with genolog[hail] (see test_detach_hail.py), in a repository, as
``python hail_detach_run.py ANALYSIS-RUNNER-ARGS...``: ``genolog analysis-runner --detach`` to the Hail
Batch service, with gs:// as a local folder (cloudpathlib's local client) and no Hail login, so the
service is never reached and the submission fails as it would for a caller who is not logged in.

The test's metadata server listens on 127.0.0.1, which a real run refuses (the workers could not reach
it); here nothing reaches the workers, so that one check is lifted."""

from __future__ import annotations

import os
import sys

from cloudpathlib import implementation_registry
from cloudpathlib.local import local_gs_implementation

from genolog import cli
from genolog.runner import detach_hail

implementation_registry["gs"] = local_gs_implementation
os.environ["HAIL_GCS_BUCKET_ALLOW_LIST"] = "sandbox-tmp"
detach_hail.on_this_machine = lambda url: False

if __name__ == "__main__":
    sys.argv = ["genolog", *sys.argv[1:]]
    cli.app()
