"""Host stand-ins for the tools of genolog's own images, for jobs that run without a container.

A job with ``j.image(image_path('fastqe'))`` runs ``fastqe ...`` inside the image on a cloud backend or
under podman/docker. On the host (no container runtime) there is usually no ``fastqe``; when the image
is genolog's FastQE image (`genolog.config.FASTQE_IMAGE`, whatever its tag), the job gets a folder at
the front of its PATH holding a ``fastqe`` script that runs genolog's QC (``genolog-fastqe``) with this
interpreter. Only that job sees it: other jobs, and the user's shell, keep their own ``fastqe``.
"""

from __future__ import annotations

import shlex
import shutil
import sys
import uuid
from pathlib import Path

from genolog.config import FASTQE_IMAGE

#: image name (without tag) -> {command: Python module run with ``-m``}
HOST_TOOLS: dict[str, dict[str, str]] = {
    FASTQE_IMAGE.rsplit(":", 1)[0]: {"fastqe": "genolog.qc.fastqe_cli"},
}


def _image_name(image: str) -> str:
    last = image.rsplit("/", 1)[-1]
    return image.rsplit(":", 1)[0] if ":" in last else image


def host_tools(image: str | None) -> dict[str, str]:
    """The commands a host-run job with this image gets, or an empty dict."""
    return HOST_TOOLS.get(_image_name(image), {}) if image else {}


def shim_folder(scratch: Path, image: str, create: bool = True) -> Path | None:
    """Write the image's host tools under `scratch` (once) and return their folder, or None."""
    tools = host_tools(image)
    if not tools:
        return None
    folder = scratch / ".genolog-host-tools" / _image_name(image).replace("/", "_")
    if create and not folder.is_dir():
        # Built aside and renamed into place: jobs starting at the same time never see a half-written one.
        building = folder.with_name(f".{folder.name}-{uuid.uuid4().hex}")
        building.mkdir(parents=True)
        python = shlex.quote(sys.executable)
        for command, module in tools.items():
            script = building / command
            script.write_text(f'#!/bin/sh\nexec {python} -m {module} "$@"\n')
            script.chmod(0o755)
        try:
            building.rename(folder)
        except OSError:  # another job got there first
            shutil.rmtree(building, ignore_errors=True)
    return folder
