"""Finding read files (local folders, gs://, s3://), their sizes and md5 checksums.

Cloud paths go through cloudpathlib (already a genolog dependency, via `genolog.paths.to_path`) rather
than fsspec: it brings the Google Cloud Storage and S3 clients and has local stand-in buckets for tests.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from genolog.paths import is_cloud_path, to_path

if TYPE_CHECKING:
    from cloudpathlib import CloudPath

CHUNK = 4 * 1024 * 1024
MD5 = re.compile(r"^(?:md5:)?([0-9a-fA-F]{32})$")


def is_absolute(name: str) -> bool:
    return is_cloud_path(name) or name.startswith("file://") or os.path.isabs(os.path.expanduser(name))


def join(base: str, name: str) -> str:
    if is_cloud_path(base):
        return f"{base.rstrip('/')}/{name}"
    return os.path.join(base, name)


def location_of(path: Path | CloudPath) -> str:
    """The location stored in the metadata: the URL of a cloud object, the absolute path of a local file."""
    return str(path) if not isinstance(path, Path) else os.path.abspath(path)


def find(name: str, search_paths: Sequence[str]) -> Path | CloudPath | None:
    """The first existing file: ``name`` itself when absolute or a URL, else under each search path in turn."""
    candidates = [name] if is_absolute(name) else [join(base, name) for base in search_paths]
    for candidate in candidates:
        path = to_path(candidate)
        if path.is_file():
            return path
    return None


def candidate_locations(names: Iterable[str], search_paths: Sequence[str]) -> set[str]:
    """Every location these names could be found at (no storage is asked): an absolute name's own, a
    relative name's under each search path."""
    out: set[str] = set()
    for name in names:
        for candidate in [name] if is_absolute(name) else [join(base, name) for base in search_paths]:
            out.add(location_of(to_path(candidate)))
    return out


def size_of(path: Path | CloudPath) -> int:
    return int(path.stat().st_size)


def parse_md5(text: str) -> str | None:
    """The lower-case hex digest of ``abc…`` or ``md5:abc…``, else None."""
    match = MD5.match(text.strip())
    return match[1].lower() if match else None


def sibling_md5(path: Path | CloudPath) -> tuple[str | None, bool]:
    """(digest, found): the checksum in ``<file>.md5`` (``md5sum`` output or the bare digest)."""
    sibling = to_path(f"{path}.md5")
    if not sibling.is_file():
        return None, False
    words = sibling.read_text(errors="replace").split()
    return (parse_md5(words[0]) if words else None), True


def compute_md5(path: Path | CloudPath, advance: Callable[[int], None] = lambda n: None) -> str:
    """Read the file through once; ``advance`` is called with each chunk's size (for a progress bar)."""
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            advance(len(chunk))
    return digest.hexdigest()
