"""Building job images, as `hailtop.batch.docker` names it (on genolog's Debian base, with podman)."""

from genolog.batch._images import build_python_image

__all__ = ["build_python_image"]
