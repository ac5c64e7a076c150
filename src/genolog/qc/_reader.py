"""Large-block reading of (possibly compressed) sequence files.

Compression is recognised by magic bytes, never by file name. Decompression runs on a producer thread
(ISA-L and the standard-library codecs release the GIL), so that parsing and statistics on the calling
thread overlap with inflating the next block: on two cores the pass costs about max(inflate, compute).
"""

from __future__ import annotations

import bz2
import lzma
import os
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, cast

import numpy as np
from isal import igzip, isal_zlib
from numpy.typing import NDArray

from genolog.qc._bgzf import BgzfReader, is_bgzf

CHUNK_SIZE = 16 * 1024 * 1024
"""Bytes of decompressed text handed to the parser at a time (about 45,000 150 bp reads)."""

_SNIFF = 18  # a BGZF header is 18 bytes
_GZIP_MAGIC = b"\x1f\x8b"
_BZIP2_MAGIC = b"BZh"
_XZ_MAGIC = b"\xfd7zXZ\x00"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class InputError(Exception):
    """A problem with one input file, worded for the person who gave it to us."""


@dataclass
class Source:
    """An opened input: its label, its compression, and how far through the raw bytes we are."""

    label: str
    compression: str  # "none", "gzip", "bgzf", "bzip2" or "xz"
    size: int | None  # raw (compressed) size in bytes, when known
    raw: BinaryIO
    stream: BinaryIO
    owns_raw: bool

    def raw_position(self) -> int:
        try:
            return self.raw.tell()
        except (OSError, ValueError):
            return 0

    def close(self) -> None:
        if self.stream is not self.raw:
            self.stream.close()
        if self.owns_raw:
            self.raw.close()


def _sniff(raw: BinaryIO) -> bytes:
    peek = getattr(raw, "peek", None)
    if peek is not None:
        return bytes(peek(_SNIFF)[:_SNIFF])
    head = raw.read(_SNIFF)
    raw.seek(0)
    return head


def open_source(path: str, stdin: BinaryIO | None = None) -> Source:
    """Open `path` (or `stdin` when given) and wrap it in the right decompressor."""
    owns_raw = stdin is None
    raw: BinaryIO
    if stdin is not None:
        raw = stdin
        size = None
    else:
        try:
            raw = open(path, "rb")  # noqa: SIM115 - closed by Source.close
            size = os.fstat(raw.fileno()).st_size
        except IsADirectoryError:
            raise InputError("is a directory, not a sequence file") from None
        except FileNotFoundError:
            raise InputError("no such file") from None
        except PermissionError:
            raise InputError("permission denied") from None
        except OSError as e:
            raise InputError(e.strerror or str(e)) from None
    try:
        magic = _sniff(raw)
    except OSError as e:
        if owns_raw:
            raw.close()
        raise InputError(e.strerror or str(e)) from None
    stream: BinaryIO
    if is_bgzf(magic):
        compression = "bgzf"
        stream = BgzfReader(raw)  # type: ignore[assignment]
    elif magic.startswith(_GZIP_MAGIC):
        compression = "gzip"
        stream = igzip.IGzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
    elif magic.startswith(_BZIP2_MAGIC):
        compression = "bzip2"
        stream = bz2.BZ2File(raw, "rb")  # type: ignore[assignment]
    elif magic.startswith(_XZ_MAGIC):
        compression = "xz"
        stream = lzma.LZMAFile(raw, "rb")  # type: ignore[assignment]  # noqa: SIM115
    elif magic.startswith(_ZSTD_MAGIC):
        if owns_raw:
            raw.close()
        raise InputError("zstd-compressed input is not supported; decompress it first (zstd -dc FILE | ...)")
    else:
        compression = "none"
        stream = raw
    return Source(path, compression, size, raw, stream, owns_raw)


def _describe_read_error(e: BaseException, compression: str) -> str:
    if isinstance(e, EOFError):
        return f"truncated {compression} file: the compressed stream ends before its end-of-stream marker"
    if compression != "none":  # OSError, ValueError or the codec's own error type
        return f"corrupt {compression} data ({e})"
    if isinstance(e, OSError):
        return e.strerror or str(e)
    return str(e)


_READ_PIECE = 4 * 1024 * 1024
# what reading a damaged or truncated input raises (the codecs have their own error types)
_READ_ERRORS = (OSError, ValueError, EOFError, cast(type[Exception], isal_zlib.error), lzma.LZMAError)


def _fill(stream: BinaryIO, view: memoryview) -> int:
    """readinto() until `view` is full or the stream ends; returns the bytes filled."""
    filled = 0
    total = len(view)
    while filled < total:
        n = stream.readinto(view[filled : min(total, filled + _READ_PIECE)])  # type: ignore[attr-defined]
        if not n:
            break
        filled += n
    return filled


def iter_blocks(source: Source, chunk_size: int = CHUNK_SIZE) -> Iterator[NDArray[np.uint8]]:
    """Yield the decompressed bytes of `source` as uint8 arrays of about `chunk_size` bytes.

    A producer thread fills the next buffer while the caller works on the current one. Buffers are
    recycled (fresh 16 MB allocations cost page faults on every block), so a yielded array is only valid
    until the next one is requested. A read error is raised as InputError after the blocks before it.
    """
    if isinstance(source.stream, BgzfReader):
        # the thread pool already inflates ahead: hand its batches over as they are
        batches = source.stream.batches()
        while True:
            try:
                batch = next(batches)
            except StopIteration:
                return
            except _READ_ERRORS as e:
                raise InputError(_describe_read_error(e, source.compression)) from e
            yield np.frombuffer(batch, dtype=np.uint8)
    free: queue.Queue[NDArray[np.uint8]] = queue.Queue()
    for _ in range(3):  # one being filled, one queued, one with the caller
        free.put(np.empty(chunk_size, dtype=np.uint8))
    full: queue.Queue[tuple[NDArray[np.uint8], int] | BaseException | None] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(item: tuple[NDArray[np.uint8], int] | BaseException | None) -> None:
        while not stop.is_set():
            try:
                full.put(item, timeout=0.05)
                return
            except queue.Full:
                continue

    def produce() -> None:
        try:
            while not stop.is_set():
                try:
                    buf = free.get(timeout=0.05)
                except queue.Empty:
                    continue
                n = _fill(source.stream, memoryview(buf.data))
                if not n:
                    break
                put((buf, n))
            put(None)
        except BaseException as e:  # handed to the consumer, which raises it
            put(e)

    worker = threading.Thread(target=produce, name=f"qc-read:{source.label}", daemon=True)
    worker.start()
    try:
        while True:
            item = full.get()
            if item is None:
                return
            if isinstance(item, _READ_ERRORS):
                raise InputError(_describe_read_error(item, source.compression)) from item
            if isinstance(item, BaseException):
                raise item
            buf, n = item
            yield buf[:n]
            free.put(buf)
    finally:
        stop.set()
        worker.join()
