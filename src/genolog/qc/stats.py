"""Per-position quality statistics of a FASTQ (or FASTA) file, computed on whole blocks with numpy.

No Python code runs per base or per record: a block's line ends come from one vectorised newline
search, records are checked as arrays, and quality lines are gathered into a (reads x positions) byte
matrix through a sliding-window view, then reduced column-wise. Reads of different lengths are sorted
into geometric length classes, each padded to its own longest read and masked, so the padding never
more than doubles the work and long reads cost the same per base as short ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

PHRED_OFFSET = 33
_FIRST_QUAL = ord("!")
_LAST_QUAL = ord("~")
_NEWLINE = 10
_CR = 13
_AT = ord("@")
_PLUS = ord("+")
_GT = ord(">")

U8 = NDArray[np.uint8]
I64 = NDArray[np.int64]


class FormatError(Exception):
    """The content is not valid FASTQ/FASTA; the message names the line."""


@dataclass
class FileStats:
    """Everything computed for one input: read-length distribution and per-position quality sums.

    Quality arrays are indexed by 0-based position and cover every position that at least one counted
    read reaches; `qual_sum` holds Phred scores (not ASCII codes).
    """

    name: str
    format: str = "fastq"  # "fastq" or "fasta" (FASTA has no qualities)
    compression: str = "none"
    minlen: int = 0
    num_seqs: int = 0
    num_skipped_short: int = 0
    length_counts: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    qual_sum: NDArray[np.uint64] = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    qual_min: U8 = field(default_factory=lambda: np.zeros(0, dtype=np.uint8))
    qual_max: U8 = field(default_factory=lambda: np.zeros(0, dtype=np.uint8))

    @property
    def num_bases(self) -> int:
        lengths = np.arange(len(self.length_counts), dtype=np.int64)
        return int((lengths * self.length_counts).sum())

    @property
    def min_len(self) -> int | None:
        nz = np.flatnonzero(self.length_counts)
        return int(nz[0]) if len(nz) else None

    @property
    def max_len(self) -> int | None:
        nz = np.flatnonzero(self.length_counts)
        return int(nz[-1]) if len(nz) else None

    @property
    def mean_len(self) -> int | None:
        """Mean read length, floored (as FastQE reports it)."""
        return self.num_bases // self.num_seqs if self.num_seqs else None

    @property
    def coverage(self) -> I64:
        """Number of counted reads reaching each position (reads longer than p, for p = 0, 1, ...)."""
        if self.format != "fastq" or len(self.length_counts) < 2:
            return np.zeros(0, dtype=np.int64)
        return np.cumsum(self.length_counts[::-1])[::-1][1:].astype(np.int64)

    @property
    def mean(self) -> NDArray[np.float64]:
        """Unrounded per-position mean Phred score over the reads covering each position."""
        cov = self.coverage
        return self.qual_sum[: len(cov)].astype(np.float64) / cov

    @property
    def mean_rounded(self) -> I64:
        """Per-position mean as FastQE prints it: float mean, numpy round (half to even), int."""
        return np.round(self.mean).astype(np.int64)

    @property
    def phred_min(self) -> I64:
        return self.qual_min[: len(self.coverage)].astype(np.int64)

    @property
    def phred_max(self) -> I64:
        return self.qual_max[: len(self.coverage)].astype(np.int64)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready summary (exact integer sums, so files can be merged later)."""
        mean = self.mean if self.format == "fastq" else np.zeros(0)
        return {
            "name": self.name,
            "format": self.format,
            "compression": self.compression,
            "has_qualities": self.format == "fastq",
            "minlen": self.minlen,
            "num_seqs": self.num_seqs,
            "num_skipped_short": self.num_skipped_short,
            "num_bases": self.num_bases,
            "min_len": self.min_len,
            "max_len": self.max_len,
            "mean_len": self.mean_len,
            "length_counts": {str(n): int(c) for n, c in enumerate(self.length_counts) if c},
            "phred_offset": PHRED_OFFSET,
            "per_position": {
                "count": self.coverage.tolist(),
                "sum": [int(x) for x in self.qual_sum[: len(self.coverage)]],
                "min": self.phred_min.tolist(),
                "max": self.phred_max.tolist(),
                "mean": [round(float(x), 4) for x in mean],
                "mean_rounded": self.mean_rounded.tolist() if self.format == "fastq" else [],
            },
        }


def _grow(arr: NDArray[np.generic], size: int, fill: int) -> NDArray[np.generic]:
    if len(arr) >= size:
        return arr
    out = np.full(max(size, 2 * len(arr)), fill, dtype=arr.dtype)
    out[: len(arr)] = arr
    return out


class _Accumulator:
    """Running per-position sums/min/max (in ASCII codes) and the read-length histogram."""

    def __init__(self) -> None:
        self.length_counts = np.zeros(512, dtype=np.int64)
        self.sums = np.zeros(512, dtype=np.uint64)
        self.mins = np.full(512, 255, dtype=np.uint8)
        self.maxs = np.zeros(512, dtype=np.uint8)
        self.max_len = -1

    def add_lengths(self, lengths: I64) -> None:
        if not len(lengths):
            return
        top = int(lengths.max())
        self.max_len = max(self.max_len, top)
        self.length_counts = _grow(self.length_counts, top + 1, 0)  # type: ignore[assignment]
        counts = np.bincount(lengths, minlength=top + 1)
        self.length_counts[: top + 1] += counts

    def add_quals(self, sums: NDArray[np.uint64], mins: U8, maxs: U8) -> None:
        n = len(sums)
        self.sums = _grow(self.sums, n, 0)  # type: ignore[assignment]
        self.mins = _grow(self.mins, n, 255)  # type: ignore[assignment]
        self.maxs = _grow(self.maxs, n, 0)  # type: ignore[assignment]
        self.sums[:n] += sums
        np.minimum(self.mins[:n], mins, out=self.mins[:n])
        np.maximum(self.maxs[:n], maxs, out=self.maxs[:n])


def _length_classes(lengths: I64) -> list[I64]:
    """Indices of reads grouped so that within a group max length <= 2 x min length (or all equal)."""
    lo, hi = int(lengths.min()), int(lengths.max())
    if lo == hi or hi <= 2 * max(lo, 1):
        return [np.arange(len(lengths))]
    order = np.argsort(lengths, kind="stable")
    cls = np.log2(np.maximum(lengths[order], 1)).astype(np.int64)
    cuts = np.flatnonzero(np.diff(cls)) + 1
    return list(np.split(order, cuts))


def _reduce_quals(
    buf: U8, starts: I64, lengths: I64
) -> tuple[NDArray[np.uint64], U8, U8, tuple[int, int] | None]:
    """Column sums/min/max of the quality lines at `starts` (ASCII codes), and the first bad byte.

    The bad byte, when there is one, is returned as (record index, byte) of the earliest record that
    holds a character outside '!'..'~'.
    """
    width = int(lengths.max()) if len(lengths) else 0
    sums = np.zeros(width, dtype=np.uint64)
    mins = np.full(width, 255, dtype=np.uint8)
    maxs = np.zeros(width, dtype=np.uint8)
    bad: tuple[int, int] | None = None
    for idx in _length_classes(lengths) if width else []:
        group_len = lengths[idx]
        w = int(group_len.max())
        if w == 0:
            continue
        rows = sliding_window_view(buf, w)[starts[idx]]
        if int(group_len.min()) != w:
            outside = np.arange(w) >= group_len[:, None]
            lo_rows = np.where(outside, np.uint8(255), rows)
            rows = np.where(outside, np.uint8(0), rows)
            col_min = lo_rows.min(axis=0)
        else:
            col_min = rows.min(axis=0)
        col_max = rows.max(axis=0)
        # uint32 is exact for any block: a 16 MB block holds < 2**32 / 126 reads.
        sums[:w] += np.add.reduce(rows, axis=0, dtype=np.uint32)
        np.minimum(mins[:w], col_min, out=mins[:w])
        np.maximum(maxs[:w], col_max, out=maxs[:w])
        if int(col_min.min()) < _FIRST_QUAL or int(col_max.max()) > _LAST_QUAL:
            full = sliding_window_view(buf, w)[starts[idx]]
            inside = np.arange(w) < group_len[:, None]
            wrong = inside & ((full < _FIRST_QUAL) | (full > _LAST_QUAL))
            row = int(np.flatnonzero(wrong.any(axis=1))[0])
            col = int(np.flatnonzero(wrong[row])[0])
            candidate = (int(idx[row]), int(full[row, col]))
            if bad is None or candidate[0] < bad[0]:
                bad = candidate
    return sums, mins, maxs, bad


def _describe_byte(b: int) -> str:
    if 32 < b < 127:
        return f"'{chr(b)}' (ASCII {b})"
    return f"byte 0x{b:02x}"


class FastqParser:
    """Feeds blocks of FASTQ/FASTA text into an accumulator; records may span blocks."""

    def __init__(self, name: str, minlen: int = 0) -> None:
        self.stats = FileStats(name=name, minlen=minlen)
        self._acc = _Accumulator()
        self._carry = b""
        self._lines_done = 0  # lines consumed before the current buffer (for error messages)
        self._format: str | None = None
        self._fasta_open_len = 0  # FASTA: bases of the record still open at the end of the buffer
        self._fasta_open = False

    # -- public -----------------------------------------------------------------------------------
    def feed(self, block: bytes) -> None:
        data = self._carry + block if self._carry else block
        self._carry = b""
        self._parse(data, final=False)

    def finish(self) -> FileStats:
        data, self._carry = self._carry, b""
        self._parse(data, final=True)
        st = self.stats
        st.format = self._format or "fastq"
        acc = self._acc
        n = acc.max_len + 1
        st.length_counts = acc.length_counts[: max(n, 0)].copy()
        st.num_seqs = int(st.length_counts.sum())
        if st.format == "fastq":
            st.qual_sum = acc.sums[: max(n - 1, 0)] - np.uint64(PHRED_OFFSET) * st.coverage.astype(np.uint64)
            st.qual_min = (acc.mins[: max(n - 1, 0)] - PHRED_OFFSET).astype(np.uint8)
            st.qual_max = (acc.maxs[: max(n - 1, 0)] - PHRED_OFFSET).astype(np.uint8)
        return st

    # -- internals --------------------------------------------------------------------------------
    def _parse(self, data: bytes, final: bool) -> None:
        if self._format is None:
            head = data.lstrip()
            if not head:
                if final:
                    self._format = "fastq"
                else:
                    self._carry = data
                return
            self._format = "fasta" if head[0] == _GT else "fastq"
        if self._format == "fasta":
            self._parse_fasta(data, final)
        else:
            self._parse_fastq(data, final)

    def _line_bounds(self, data: bytes, final: bool) -> tuple[U8, I64, I64, int]:
        """Byte view, start and end (exclusive, CR stripped) of each complete line, bytes used."""
        buf = np.frombuffer(data, dtype=np.uint8)
        ends = np.flatnonzero(buf == _NEWLINE)
        used = int(ends[-1]) + 1 if len(ends) else 0
        if final and used < len(data):
            ends = np.append(ends, len(data))
            used = len(data)
        starts = np.empty_like(ends)
        if len(ends):
            starts[0] = 0
            starts[1:] = ends[:-1] + 1
            nonempty = ends > starts
            cr = np.zeros(len(ends), dtype=bool)
            cr[nonempty] = buf[ends[nonempty] - 1] == _CR
            ends = ends - cr
        return buf, starts, ends, used

    def _fail(self, line_in_buffer: int, message: str) -> None:
        raise FormatError(f"line {self._lines_done + line_in_buffer + 1}: {message}")

    def _parse_fastq(self, data: bytes, final: bool) -> None:
        buf, starts, ends, _ = self._line_bounds(data, final)
        nlines = len(ends)
        if final:
            # trailing blank lines at the end of the file are harmless
            nonblank = np.flatnonzero(ends > starts)
            nlines = int(nonblank[-1]) + 1 if len(nonblank) else 0
            if nlines % 4:
                last_header = nlines - nlines % 4
                self._fail(
                    last_header,
                    f"the file ends inside a record ({nlines % 4} of its 4 lines present); "
                    "is it truncated?",
                )
        nrec = nlines // 4
        if not final:
            consumed = int(ends[4 * nrec - 1]) + 1 if nrec else 0
            # the CR-stripped end may sit one before the newline
            if nrec and buf[consumed - 1] != _NEWLINE:
                consumed += 1
            self._carry = data[consumed:]
        if nrec == 0:
            return
        s = starts[: 4 * nrec]
        e = ends[: 4 * nrec]
        head_s, seq_s, plus_s, qual_s = s[0::4], s[1::4], s[2::4], s[3::4]
        head_e, seq_e, plus_e, qual_e = e[0::4], e[1::4], e[2::4], e[3::4]
        # A missing byte at a line start reads as the line's newline, which fails each check below.
        bad_head = (head_e == head_s) | (buf[head_s] != _AT)
        bad_plus = (plus_e == plus_s) | (buf[plus_s] != _PLUS)
        seq_len = seq_e - seq_s
        qual_len = qual_e - qual_s
        bad_len = seq_len != qual_len
        if bad_head.any() or bad_plus.any() or bad_len.any():
            first = {
                0: np.flatnonzero(bad_head)[:1],
                2: np.flatnonzero(bad_plus)[:1],
                3: np.flatnonzero(bad_len)[:1],
            }
            where = min((int(v[0]) * 4 + k, k) for k, v in first.items() if len(v))
            line, kind = where
            rec = line // 4
            if kind == 0:
                got = bytes(buf[head_s[rec] : head_s[rec] + 1]).decode("latin-1") if head_e[rec] > head_s[rec] else ""
                self._fail(line, f"expected a FASTQ header starting with '@', found {got!r}")
            elif kind == 2:
                self._fail(line, "expected the '+' separator line of a FASTQ record")
            else:
                self._fail(
                    line,
                    f"quality string is {int(qual_len[rec])} characters long but its sequence has "
                    f"{int(seq_len[rec])}",
                )
        keep_short = qual_len >= self.stats.minlen if self.stats.minlen > 0 else None
        if keep_short is not None and not keep_short.all():
            self.stats.num_skipped_short += int((~keep_short).sum())
            qual_s, qual_len = qual_s[keep_short], qual_len[keep_short]
            rec_index = np.flatnonzero(keep_short)
        else:
            rec_index = None
        width = int(qual_len.max()) if len(qual_len) else 0
        if width and int(qual_s.max()) + width > len(buf):
            buf = np.concatenate([buf, np.zeros(width, dtype=np.uint8)])
        sums, mins, maxs, bad = _reduce_quals(buf, qual_s, qual_len)
        if bad is not None:
            rec = bad[0] if rec_index is None else int(rec_index[bad[0]])
            self._fail(
                4 * rec + 3,
                f"quality character {_describe_byte(bad[1])} is outside Phred+33 ('!'..'~')",
            )
        self._acc.add_lengths(qual_len)
        self._acc.add_quals(sums.astype(np.uint64), mins, maxs)
        self._lines_done += 4 * nrec

    def _parse_fasta(self, data: bytes, final: bool) -> None:
        buf, starts, ends, used = self._line_bounds(data, final)
        if not final:
            self._carry = data[used:]
        if not len(ends):
            if final and self._fasta_open:
                self._close_fasta(np.array([self._fasta_open_len], dtype=np.int64))
            return
        first_byte = np.where(ends > starts, buf[np.minimum(starts, len(buf) - 1)], 0)
        is_head = first_byte == _GT
        line_len = np.where(is_head, 0, ends - starts)
        # record number per line: lines before the first header here continue the open record
        rec_id = np.cumsum(is_head)
        if not self._fasta_open:
            orphan = np.flatnonzero((rec_id == 0) & (line_len > 0))
            if len(orphan):
                self._fail(int(orphan[0]), "expected a FASTA header starting with '>'")
        lengths = np.bincount(rec_id, weights=line_len).astype(np.int64)
        lengths[0] += self._fasta_open_len
        heads = int(is_head.sum())
        closed = lengths[: heads] if self._fasta_open else lengths[1:heads]
        self._fasta_open_len = int(lengths[heads])
        self._fasta_open = self._fasta_open or heads > 0
        self._close_fasta(closed)
        self._lines_done += len(ends)
        if final and self._fasta_open:
            self._close_fasta(np.array([self._fasta_open_len], dtype=np.int64))

    def _close_fasta(self, lengths: I64) -> None:
        if self.stats.minlen > 0 and len(lengths):
            short = lengths < self.stats.minlen
            self.stats.num_skipped_short += int(short.sum())
            lengths = lengths[~short]
        self._acc.add_lengths(lengths)


def compute_stats(
    name: str,
    blocks: Iterable[bytes],
    minlen: int = 0,
    on_block: Callable[[], None] | None = None,
) -> FileStats:
    """Statistics of one input given as an iterable of decompressed blocks."""
    parser = FastqParser(name, minlen=minlen)
    for block in blocks:
        parser.feed(block)
        if on_block is not None:
            on_block()
    return parser.finish()
