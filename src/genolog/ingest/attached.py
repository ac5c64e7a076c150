"""Files that travel with reads: index files found beside them, and reference assemblies named for them.

Indexes (Metamist's secondary files, CWL's ``secondaryFiles``): a CRAM's ``.crai``, a BAM's ``.bai`` or
``.csi``, a gVCF's ``.tbi`` or ``.csi``, each looked for as ``<file>.crai`` and, for CRAMs and BAMs, with
the extension replaced (``<name>.crai``). A CRAM needs its reference assembly to be read, and an
ORA-compressed FASTQ its ORA reference: the assay records them (``reference_assembly``, with the
reference's ``.fai``, and ``ora_reference``) as file objects. References are large: their checksum comes
from a sibling ``.md5`` only, never from hashing them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from genolog.ingest import files, reads
from genolog.ingest.issues import Issue
from genolog.ingest.manifest import Defaults, Row
from genolog.paths import storage_problem, to_path

if TYPE_CHECKING:
    from pathlib import Path

    from cloudpathlib import CloudPath

#: read kind -> suffixes of its index files; a leading ``^`` replaces the file's last extension (CWL)
INDEX_PATTERNS: dict[str, tuple[str, ...]] = {
    "cram": (".crai", "^.crai"),
    "bam": (".bai", "^.bai", ".csi", "^.csi"),
    "gvcf": (".tbi", ".csi"),
}
REFERENCE_INDEX = ".fai"


def index_name(location: str, pattern: str) -> str:
    """``x.cram`` with ``.crai`` is ``x.cram.crai``; with ``^.crai``, ``x.crai``."""
    if not pattern.startswith("^"):
        return location + pattern
    folder, _, name = location.rpartition("/")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return f"{folder}/{stem}{pattern[1:]}" if folder else stem + pattern[1:]


def indexes_of(path: Path | CloudPath, kind: str) -> list[Path | CloudPath]:
    """The index files that exist beside a read file of this kind, in pattern order."""
    found: list[Path | CloudPath] = []
    for pattern in INDEX_PATTERNS.get(kind, ()):
        candidate = to_path(index_name(str(path), pattern))
        if candidate.is_file() and candidate not in found:
            found.append(candidate)
    return found


@dataclass(frozen=True)
class Reference:
    """A reference assembly as the assay records it."""

    location: str
    size: int
    checksum: str | None
    index: Reference | None = None  # the ``.fai`` beside a FASTA

    @property
    def basename(self) -> str:
        return self.location.rstrip("/").rsplit("/", 1)[-1]

    def file_object(self) -> dict[str, Any]:
        obj: dict[str, Any] = {"location": self.location, "basename": self.basename, "class": "File"}
        if self.checksum:
            obj["checksum"] = f"md5:{self.checksum}"
        obj["size"] = self.size
        if self.index is not None:
            obj["secondaryFiles"] = [self.index.file_object()]
        return obj


def _described(path: Path | CloudPath) -> Reference:
    checksum, _ = files.sibling_md5(path)
    return Reference(files.location_of(path), files.size_of(path), checksum)


def find_reference(name: str, search_paths: Sequence[str]) -> Reference | str:
    """The reference ``name`` (relative names under the search paths), or what is wrong with it."""
    path = files.find(name, search_paths)
    if path is None:
        where = "" if files.is_absolute(name) else f" under {' or '.join(search_paths)}"
        return f"reference {name} not found{where}"
    reference = _described(path)
    index = to_path(f"{path}{REFERENCE_INDEX}")
    if index.is_file():
        reference = Reference(reference.location, reference.size, reference.checksum, _described(index))
    return reference


#: reference name (as written) -> the reference found
References = dict[str, Reference]


def locate_references(
    rows: Iterable[Row], defaults: Defaults, search_paths: Sequence[str], manifest_folders: dict[str, str]
) -> tuple[References, list[Issue]]:
    """Find each reference assembly named by the defaults (``--reference-assembly``,
    ``--ora-reference-assembly``: in the current folder, else under the search paths) or by a row (under
    the search paths, else the manifest's folder), once per name."""
    found: References = {}
    issues: list[Issue] = []
    failed: set[str] = set()
    for option, name in (
        ("--reference-assembly", defaults.reference_assembly),
        ("--ora-reference-assembly", defaults.ora_reference_assembly),
    ):
        if name and name not in found:
            result = _reference(name, [".", *search_paths])
            if isinstance(result, str):
                issues.append(Issue(option, 0, None, result, whole_file=True))
                failed.add(name)
            else:
                found[name] = result
    for row in rows:
        for field_name in ("reference_assembly", "ora_reference"):
            name = getattr(row, field_name)
            if not name or name in found or name in failed:
                continue
            result = _reference(name, search_paths or [manifest_folders[row.source]])
            if isinstance(result, str):
                issues.append(Issue(row.source, row.line, row.column(field_name), result))
                failed.add(name)
            else:
                found[name] = result
    return found, issues


def _reference(name: str, search_paths: Sequence[str]) -> Reference | str:
    try:
        return find_reference(name, search_paths)
    except Exception as e:  # a cloud client's error: a message, not a traceback
        return f"cannot look for reference {name}: {storage_problem(e).message}"


def _is_read_file(name: str) -> bool:
    kind = reads.kind_of(name)
    return kind is not None and kind in reads.READ_KINDS


def unlisted_files(search_paths: Sequence[str], listed: Iterable[str]) -> list[Issue]:
    """Read files directly in a search path that no row lists (Metamist's check that a sheet covers its
    upload folder); an issue per search path, naming up to ten of them."""
    known = set(listed)
    issues: list[Issue] = []
    for base in search_paths:
        try:
            folder = to_path(base)
            if not folder.is_dir():
                continue  # no such folder: the rows' files are reported as not found
            children: list[Path | CloudPath] = sorted(folder.iterdir(), key=str)
            extra = [
                files.location_of(child)
                for child in children
                if _is_read_file(child.name) and child.is_file()
            ]
        except Exception as e:  # a missing folder, or a cloud client's error
            message = f"cannot list the search path: {storage_problem(e).message}"
            issues.append(Issue(base, 0, None, message, whole_file=True))
            continue
        extra = [location for location in extra if location not in known]
        if extra:
            names = ", ".join(location.rsplit("/", 1)[-1] for location in extra[:10])
            more = f" and {len(extra) - 10} more" if len(extra) > 10 else ""
            message = (
                f"{len(extra)} read file{'s' * (len(extra) != 1)} in the search path that no row lists: "
                f"{names}{more} (--allow-extra-files-in-search-path ingests anyway)"
            )
            issues.append(Issue(base, 0, None, message, whole_file=True))
    return issues
