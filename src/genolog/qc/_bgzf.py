"""BGZF (blocked gzip, as written by `bgzip`) decompressed on several threads.

A BGZF file is a series of independent gzip members of at most 64 KiB, each announcing its own
compressed size in a `BC` extra field. So the blocks can be cut out of the compressed stream without
inflating anything, and inflated in parallel: ISA-L releases the GIL, so a thread pool scales.
"""

from __future__ import annotations

import io
import os
import struct
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import BinaryIO

from isal import isal_zlib

_HEADER = struct.Struct("<4s6xH2sH")  # magic+CM+FLG, (MTIME XFL OS), XLEN, SI1SI2, SLEN
_BGZF_PREFIX = b"\x1f\x8b\x08\x04"
_EOF_BLOCK = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
_BATCH_BYTES = 2 * 1024 * 1024  # compressed bytes per task: about 5 MB of FASTQ
_HEADER_LEN = 18


def is_bgzf(head: bytes) -> bool:
    """True if `head` (at least 18 bytes) starts with a BGZF block header."""
    if len(head) < _HEADER_LEN or not head.startswith(_BGZF_PREFIX):
        return False
    _, xlen, tag, slen = _HEADER.unpack_from(head)
    return xlen >= 6 and tag == b"BC" and slen == 2


def _inflate(blocks: list[memoryview]) -> bytes:
    # Each block is a complete gzip member: wbits=31 checks its CRC32 and length too. Its trailer
    # gives the inflated size, so the output buffer is allocated once instead of grown.
    return b"".join(
        [isal_zlib.decompress(b, wbits=31, bufsize=max(1, int.from_bytes(b[-4:], "little"))) for b in blocks]
    )


class BgzfReader(io.RawIOBase):
    """A readable stream of the decompressed content, inflating blocks ahead on `threads` threads."""

    def __init__(self, raw: BinaryIO, threads: int | None = None) -> None:
        super().__init__()
        self._raw = raw
        self._threads = threads or min(4, os.cpu_count() or 1)
        self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="qc-bgzf")
        self._pending: deque[Future[bytes]] = deque()
        self._compressed = b""  # bytes read from raw but not yet cut into blocks
        self._offset = 0  # compressed offset of self._compressed, for error messages
        self._raw_eof = False
        self._current = memoryview(b"")

    def readable(self) -> bool:
        return True

    def _cut_blocks(self) -> list[memoryview]:
        """Read about one batch of compressed bytes and cut it into whole blocks."""
        data = self._compressed
        while len(data) < _BATCH_BYTES and not self._raw_eof:
            more = self._raw.read(_BATCH_BYTES)
            if not more:
                self._raw_eof = True
            data += more
        blocks = []
        pos = 0
        view = memoryview(data)
        while len(data) - pos >= _HEADER_LEN:
            if not is_bgzf(data[pos : pos + _HEADER_LEN]):
                raise OSError(f"not a BGZF block at compressed byte {self._offset + pos}")
            size = struct.unpack_from("<H", data, pos + 16)[0] + 1
            if pos + size > len(data):
                break
            blocks.append(view[pos : pos + size])  # a view: `data` is immutable and stays alive
            pos += size
        self._compressed = data[pos:]
        self._offset += pos
        if self._raw_eof and self._compressed and not blocks:
            raise EOFError("truncated BGZF block")
        return blocks

    def _fill_pipeline(self) -> None:
        while len(self._pending) < self._threads and not (self._raw_eof and not self._compressed):
            blocks = self._cut_blocks()
            if not blocks:
                break
            self._pending.append(self._pool.submit(_inflate, blocks))

    def batches(self) -> Iterator[bytes]:
        """The decompressed content as whole batches, in order (no copy into a caller's buffer)."""
        while True:
            self._fill_pipeline()
            if not self._pending:
                return
            yield self._pending.popleft().result()

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        while not len(self._current):
            self._fill_pipeline()
            if not self._pending:
                return 0
            self._current = memoryview(self._pending.popleft().result())
        n = min(len(b), len(self._current))
        b[:n] = self._current[:n]
        self._current = self._current[n:]
        return n

    def close(self) -> None:
        if not self.closed:
            for fut in self._pending:
                fut.cancel()
            self._pool.shutdown(wait=True, cancel_futures=True)
        super().close()


def write_bgzf(data: bytes, out: BinaryIO, block_size: int = 65280, level: int = 2) -> None:
    """Write `data` as BGZF (for tests and benchmarks; `bgzip` writes the same layout)."""
    for start in range(0, len(data), block_size):
        chunk = data[start : start + block_size]
        c = isal_zlib.compressobj(level, isal_zlib.DEFLATED, -15)
        deflated = c.compress(chunk) + c.flush()
        size = _HEADER_LEN + len(deflated) + 8
        out.write(struct.pack("<4sIBBHBBHH", _BGZF_PREFIX, 0, 0, 0xFF, 6, ord("B"), ord("C"), 2, size - 1))
        out.write(deflated)
        out.write(struct.pack("<II", isal_zlib.crc32(chunk) & 0xFFFFFFFF, len(chunk) & 0xFFFFFFFF))
    out.write(_EOF_BLOCK)
