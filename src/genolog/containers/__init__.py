"""genolog's container images: a Debian base built from Debian's packages, the images of genolog's own
tools (``images/<name>/Dockerfile``), and the engine (podman, or docker) that builds and runs them.

    genolog images base            # debootstrap the base image (no registry needed)
    genolog images build fastqe    # build images/fastqe on it, tag and record it
    genolog images list
"""

from genolog.containers._engine import ContainerError, Engine, containers_conf, engine_for, find_engine
from genolog.containers.build import BuiltImage, build_base, build_image, image_names, image_tag, recorded

__all__ = [
    "BuiltImage",
    "ContainerError",
    "Engine",
    "build_base",
    "build_image",
    "containers_conf",
    "engine_for",
    "find_engine",
    "image_names",
    "image_tag",
    "recorded",
]
