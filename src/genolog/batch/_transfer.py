"""Moving files in and out of a run's scratch directory, in-process (no copy subprocess)."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from genolog.paths import is_cloud_path, storage_problem, to_path


class TransferError(Exception):
    """An input could not be localised or an output could not be written."""


def localise(source: str, dest: Path) -> None:
    """Make `source` available at `dest`: a symlink for local files, a download for cloud URLs.

    A missing local file is not an error here: as upstream, an earlier job may create it.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    if is_cloud_path(source):
        remote = to_path(source)
        try:
            remote.download_to(dest)  # type: ignore[union-attr]
        except Exception as e:
            raise TransferError(f"cannot download input {source}: {storage_problem(e).message}") from e
        return
    target = os.path.realpath(os.path.expanduser(source.removeprefix("file://")))
    with contextlib.suppress(FileExistsError):
        os.symlink(target, dest)


def copy_out(source: Path, dest: str) -> None:
    """Copy a file or folder from scratch to `dest` (local path, gs:// or s3://)."""
    if not source.exists():
        raise TransferError(f"the job did not create {source.name!r} (expected at {source})")
    if is_cloud_path(dest):
        try:
            to_path(dest).upload_from(source, force_overwrite_to_cloud=True)  # type: ignore[union-attr]
        except Exception as e:
            raise TransferError(f"cannot upload to {dest}: {storage_problem(e).message}") from e
        return
    target = Path(dest)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            shutil.copyfile(source, target)
    except OSError as e:
        raise TransferError(f"cannot write {dest}: {e}") from e


def copy_input_to_output(source: str, dest: str) -> None:
    """`write_output` of a `read_input` file: copy straight from where it is."""
    if is_cloud_path(source):
        tmp = Path(dest + ".genolog-download") if not is_cloud_path(dest) else None
        if tmp is None:
            to_path(source).copy(to_path(dest))  # type: ignore[union-attr]
            return
        localise(source, tmp)
        tmp.replace(dest)
        return
    local = Path(os.path.expanduser(source.removeprefix("file://")))
    if not local.exists():
        raise TransferError("the input file does not exist")
    copy_out(local, dest)
