"""Whether files, folders and Hail tables exist, in local folders and gs:// and s3:// buckets; the API of
`cpg_utils.existence_checks` (scripts change only the import).

A path exists when its name is in a listing of its folder, so a workflow that checks many files of one
folder lists it once, and needs only the right to list a bucket, not to read its objects. Hail's
matrix tables and tables (``.mt``, ``.ht``) exist once their ``_SUCCESS`` file does, variant datasets
(``.vds``) once ``variant_data/_SUCCESS`` does: a folder that a failed write left behind does not count.

What is kept for the process, as in cpg_utils (a workflow is built in one go, and nothing it checks is
expected to appear meanwhile), however many (cpg_utils keeps the last 128 of each):

- `exists` keeps each answer (``exists.cache_clear()`` forgets them);
- `check_exists_path` answers from the folder listings that `get_contents_of_path` keeps
  (``get_contents_of_path.cache_clear()`` forgets them);
- `exists_not_cached` lists the folder anew on every call. Unlike cpg_utils', whose answer comes from the
  kept listing, it sees a file written after its folder was first listed.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from genolog.paths import to_path

if TYPE_CHECKING:
    from genolog.paths import Path

__all__ = ["check_exists_path", "exists", "exists_not_cached", "get_contents_of_path"]

_log = logging.getLogger(__name__)

#: Hail's outputs that a successful write marks with a file inside them, by suffix.
_SUCCESS_MARKERS = {".mt": "_SUCCESS", ".ht": "_SUCCESS", ".vds": "variant_data/_SUCCESS"}

_Lister = Callable[[str], frozenset[str]]


@functools.cache
def exists(path: Path | str, verbose: bool = True) -> bool:
    """`exists_not_cached`, answered once per path for the process, from the kept folder listings."""
    return _exists(path, verbose, get_contents_of_path)


def exists_not_cached(path: Path | str, verbose: bool = True) -> bool:
    """Whether a local file or folder, a cloud object or folder, or a Hail ``.mt``/``.ht``/``.vds``
    (by its ``_SUCCESS`` file) exists, from a fresh listing of its folder.

    With `verbose` (the default) each answer is logged at debug level, a missing folder answers False
    (its error is logged), and any other error is logged and raised; without it every error is raised,
    a missing local folder as `FileNotFoundError`.
    """
    return _exists(path, verbose, _list_folder)


def check_exists_path(test_path: Path | str) -> bool:
    """Whether `test_path` is in the kept listing of its folder (no ``_SUCCESS`` rule). Raises
    `FileNotFoundError` when a local folder is missing, `NotADirectoryError` when it is a file; a cloud
    folder with nothing in it is simply empty."""
    return _listed(to_path(test_path), get_contents_of_path)


@functools.cache
def get_contents_of_path(test_path: str) -> frozenset[str]:
    """The names in a local folder or under a cloud prefix (its files and its subfolders), listed once
    for the process: ``get_contents_of_path("gs://bucket/dir/")`` -> ``{"file.txt", "sub"}``."""
    return _list_folder(test_path)


def _list_folder(folder: str) -> frozenset[str]:
    text = folder.rstrip("/") or "/"
    return frozenset(entry.name for entry in to_path(text).iterdir())


def _target(path: Path | str) -> Path:
    """The path to look for: a Hail output's success marker, else the path itself."""
    target = to_path(path)
    marker = _SUCCESS_MARKERS.get(target.suffix)
    return target / marker if marker else target


def _listed(path: Path, listing: _Lister) -> bool:
    parent = path.parent
    if parent == path or str(parent).endswith("://"):  # "/" or a bucket: no folder to list it in
        return path.exists()
    # str(), not os.fspath(): a cloud path's os.fspath() downloads it
    return path.name in listing(str(parent))


def _exists(path: Path | str, verbose: bool, listing: _Lister) -> bool:
    target = _target(path)
    if not verbose:
        return _listed(target, listing)
    try:
        found = _listed(target, listing)
    except FileNotFoundError as e:
        # a missing folder means a missing path, as in cpg_utils; only in verbose mode
        _log.error("Failed checking %s: %s", target, e)
        return False
    except BaseException as e:
        _log.error("Failed checking %s: %s: %s", target, type(e).__name__, e)
        raise
    _log.debug("Checked %s [%s]", target, "exists" if found else "missing")
    return found
