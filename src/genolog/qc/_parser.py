"""Block-wise FASTQ/FASTA parsing into FileStats, with no Python work per base or per record.

A block's line ends come from one vectorised newline search; records are checked as arrays; quality
lines are gathered into a (reads x positions) byte matrix through a sliding-window view and reduced
column-wise. Reads of different lengths are split into length classes (max <= 2 x min within a class),
each padded to its own longest read and masked, so padding at most doubles the work and a 100 kb read
costs the same per base as a 150 bp one.

A record cut by a block boundary is completed with the first lines of the next block in a small
separate buffer, so blocks are never copied or concatenated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from genolog.qc.stats import PHRED_OFFSET, FileStats, FormatError

_FIRST_QUAL = ord("!")
_LAST_QUAL = ord("~")
_NEWLINE = 10
_CR = 13
_AT = ord("@")
_PLUS = ord("+")
_GT = ord(">")

U8 = NDArray[np.uint8]
I64 = NDArray[np.int64]
Bytes = U8 | bytes


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
        self.length_counts[: top + 1] += np.bincount(lengths, minlength=top + 1)

    def add_quals(self, sums: NDArray[np.uint32], lo: U8, hi: U8) -> None:
        """Fold in one group's column sums, minima and maxima (ASCII codes, positions from 0)."""
        w = len(sums)
        self.sums = _grow(self.sums, w, 0)  # type: ignore[assignment]
        self.mins = _grow(self.mins, w, 255)  # type: ignore[assignment]
        self.maxs = _grow(self.maxs, w, 0)  # type: ignore[assignment]
        self.sums[:w] += sums
        np.minimum(self.mins[:w], lo, out=self.mins[:w])
        np.maximum(self.maxs[:w], hi, out=self.maxs[:w])


def _length_classes(lengths: I64) -> list[I64]:
    """Read indices grouped so that within a group the longest read is at most twice the shortest."""
    lo, hi = int(lengths.min()), int(lengths.max())
    if hi <= 2 * max(lo, 1):
        return [np.arange(len(lengths))]
    order = np.argsort(lengths, kind="stable")
    cls = np.log2(np.maximum(lengths[order], 1)).astype(np.int64)
    return list(np.split(order, np.flatnonzero(np.diff(cls)) + 1))


def _describe_byte(b: int) -> str:
    if 32 < b < 127:
        return f"'{chr(b)}' (ASCII {b})"
    return f"byte 0x{b:02x}"


class FastqParser:
    """Feeds blocks of FASTQ/FASTA text into running statistics; records may span blocks."""

    def __init__(self, name: str, minlen: int = 0) -> None:
        self.stats = FileStats(name=name, minlen=minlen)
        self._acc = _Accumulator()
        self._carry = b""  # the incomplete record (FASTQ) or line (FASTA) at the end of the last block
        self._lines_done = 0  # lines parsed before the current buffer, for error messages
        self._format: str | None = None
        self._fasta_open = False  # FASTA: a record is still open at the end of what was parsed
        self._fasta_open_len = 0
        self._is_newline = np.empty(0, dtype=bool)

    # -- public -----------------------------------------------------------------------------------
    def feed(self, block: Bytes) -> None:
        buf = np.frombuffer(block, dtype=np.uint8) if isinstance(block, bytes) else block
        nl = self._newlines(buf)
        if self._carry:
            need = 4 - self._carry.count(b"\n") if self._format == "fastq" else 1
            if len(nl) < need:  # a record longer than a block: keep collecting
                self._carry += buf.tobytes()
                return
            cut = int(nl[need - 1]) + 1
            head = np.frombuffer(self._carry + buf[:cut].tobytes(), dtype=np.uint8)
            self._carry = b""
            self._parse(head, np.flatnonzero(head == _NEWLINE), final=False)
            buf, nl = buf[cut:], nl[need:] - cut
        self._parse(buf, nl, final=False)

    def finish(self) -> FileStats:
        tail = np.frombuffer(self._carry, dtype=np.uint8)
        self._carry = b""
        self._parse(tail, np.flatnonzero(tail == _NEWLINE), final=True)
        st = self.stats
        st.format = self._format or "fastq"
        acc = self._acc
        n = acc.max_len + 1
        st.length_counts = acc.length_counts[: max(n, 0)].copy()
        st.num_seqs = int(st.length_counts.sum())
        if st.format == "fastq":
            w = max(n - 1, 0)
            st.qual_sum = acc.sums[:w] - np.uint64(PHRED_OFFSET) * st.coverage.astype(np.uint64)
            st.qual_min = (acc.mins[:w] - PHRED_OFFSET).astype(np.uint8)
            st.qual_max = (acc.maxs[:w] - PHRED_OFFSET).astype(np.uint8)
        return st

    # -- internals --------------------------------------------------------------------------------
    def _newlines(self, buf: U8) -> I64:
        # a reused mask: a fresh 16 MB array per block costs page faults comparable to the search
        if len(self._is_newline) < len(buf):
            self._is_newline = np.empty(len(buf), dtype=bool)
        mask = self._is_newline[: len(buf)]
        np.equal(buf, _NEWLINE, out=mask)
        return np.flatnonzero(mask)

    def _parse(self, buf: U8, nl: I64, final: bool) -> None:
        if self._format is None:
            head = buf[:65536].tobytes().lstrip()
            if not head and len(buf) > 65536:
                head = buf.tobytes().lstrip()
            if not head:
                if not final:
                    self._carry += buf.tobytes()
                return
            self._format = "fasta" if head[0] == _GT else "fastq"
        if self._format == "fasta":
            self._parse_fasta(buf, nl, final)
        else:
            self._parse_fastq(buf, nl, final)

    def _lines(self, buf: U8, nl: I64, final: bool) -> tuple[I64, I64]:
        """Start and end (exclusive, CR stripped) of each complete line (at EOF, also an unterminated one)."""
        ends = nl
        if final and (int(nl[-1]) + 1 if len(nl) else 0) < len(buf):
            ends = np.append(nl, len(buf))
        starts = np.empty_like(ends)
        if len(ends):
            starts[0] = 0
            starts[1:] = ends[:-1] + 1
            has_cr = np.zeros(len(ends), dtype=bool)
            nonempty = ends > starts
            has_cr[nonempty] = buf[ends[nonempty] - 1] == _CR
            ends = ends - has_cr
        return starts, ends

    def _fail(self, line_in_buffer: int, message: str) -> None:
        raise FormatError(f"line {self._lines_done + line_in_buffer + 1}: {message}")

    def _parse_fastq(self, buf: U8, nl: I64, final: bool) -> None:
        if final:  # the small tail: allow an unterminated last line and trailing blank lines
            starts, ends = self._lines(buf, nl, final)
            nonblank = np.flatnonzero(ends > starts)
            nlines = int(nonblank[-1]) + 1 if len(nonblank) else 0
            terminators = np.append(nl, len(buf))[:nlines]
        else:
            nlines = len(nl)
            terminators = nl
        nrec = nlines // 4
        if not final:
            consumed = int(nl[4 * nrec - 1]) + 1 if nrec else 0
            self._carry = buf[consumed:].tobytes()
        if nrec:
            self._fastq_records(buf, terminators[: 4 * nrec])
        if final and nlines % 4:
            first = int(starts[4 * nrec])
            if ends[4 * nrec] == first or buf[first] != _AT:
                self._fail(0, "expected a FASTQ record header starting with '@'")
            self._fail(0, f"the file ends inside a record (only {nlines % 4} of its 4 lines): truncated?")

    def _fastq_records(self, buf: U8, nl: I64) -> None:
        """Check and fold in whole records; `nl` holds the newline ending each of their 4 lines."""
        nrec = len(nl) // 4
        # only the lines that matter are located, straight from the newline positions
        head_e, seq_e, plus_e, qual_e = nl[0::4], nl[1::4], nl[2::4], nl[3::4]
        head_s = np.empty_like(head_e)
        head_s[0] = 0
        head_s[1:] = qual_e[:-1] + 1
        seq_s, plus_s, qual_s = head_e + 1, seq_e + 1, plus_e + 1
        # CRLF: the byte before a newline (for an empty line, the previous newline) is a CR
        last = len(buf) - 1
        seq_cr = buf[np.maximum(seq_e - 1, 0)] == _CR
        qual_cr = buf[np.maximum(qual_e - 1, 0)] == _CR
        if seq_cr.any() or qual_cr.any():  # LF-only files (nearly all) skip the rest
            head_e = head_e - (buf[np.maximum(head_e - 1, 0)] == _CR)
            seq_e = seq_e - seq_cr
            qual_e = qual_e - qual_cr
        # an empty line's first byte is its newline, so the byte checks also catch empty lines
        bad_head = (head_e <= head_s) | (buf[np.minimum(head_s, last)] != _AT)
        bad_plus = buf[np.minimum(plus_s, last)] != _PLUS
        seq_len = seq_e - seq_s
        qual_len = qual_e - qual_s
        bad_len = seq_len != qual_len
        if bad_head.any() or bad_plus.any() or bad_len.any():
            self._report_structure(buf, head_s, head_e, bad_head, bad_plus, bad_len, seq_len, qual_len)
        if self.stats.minlen > 0:
            keep = np.flatnonzero(qual_len >= self.stats.minlen)
            self.stats.num_skipped_short += nrec - len(keep)
            qual_s, qual_len = qual_s[keep], qual_len[keep]
        else:
            keep = None
        self._reduce(buf, qual_s, qual_len, keep)
        self._acc.add_lengths(qual_len)
        self._lines_done += 4 * nrec

    def _report_structure(
        self,
        buf: U8,
        head_s: I64,
        head_e: I64,
        bad_head: NDArray[np.bool_],
        bad_plus: NDArray[np.bool_],
        bad_len: NDArray[np.bool_],
        seq_len: I64,
        qual_len: I64,
    ) -> None:
        """Raise for the earliest structural problem in the buffer."""
        firsts = [
            (int(np.argmax(bad)) * 4 + k, k)
            for k, bad in ((0, bad_head), (2, bad_plus), (3, bad_len))
            if bad.any()
        ]
        line, kind = min(firsts)
        rec = line // 4
        if kind == 0:
            got = chr(buf[head_s[rec]]) if head_e[rec] > head_s[rec] else "an empty line"
            self._fail(line, f"expected a FASTQ record header starting with '@', found {got!r}")
        elif kind == 2:
            self._fail(line, "expected the '+' separator line of a FASTQ record")
        self._fail(
            line,
            f"the quality string has {int(qual_len[rec])} characters "
            f"but the sequence has {int(seq_len[rec])}",
        )

    def _reduce(self, buf: U8, qual_s: I64, qual_len: I64, keep: I64 | None) -> None:
        """Fold the quality lines into the accumulator, class by class; reject non-Phred+33 bytes."""
        if not len(qual_len) or int(qual_len.max()) == 0:
            return
        for idx in _length_classes(qual_len):
            lens = qual_len[idx]
            w = int(lens.max())
            if w == 0:
                continue
            starts = qual_s[idx]
            # rows near the end of the buffer would read past it: gather those from a padded tail copy
            over = starts + w > len(buf)
            parts = [(buf, starts, lens, idx)]
            if over.any():
                t0 = int(starts[over].min())
                tail = np.concatenate([buf[t0:], np.zeros(w, dtype=np.uint8)])
                parts = [
                    (buf, starts[~over], lens[~over], idx[~over]),
                    (tail, starts[over] - t0, lens[over], idx[over]),
                ]
            for src, st, ln, ix in parts:
                if not len(st):
                    continue
                rows = sliding_window_view(src, w)[st]  # a fresh (reads x w) copy
                valid = None
                if int(ln.min()) == w:
                    lo = rows.min(axis=0)
                else:
                    # padding must count as 255 for the minimum and as 0 for the maximum and the sums;
                    # in-place arithmetic on a reused mask, not np.where's fresh arrays
                    valid = np.arange(w) < ln[:, None]
                    padding = np.logical_not(valid).view(np.uint8)
                    np.multiply(padding, 255, out=padding)
                    lo = np.bitwise_or(rows, padding).min(axis=0)
                    np.multiply(rows, valid, out=rows)
                hi = rows.max(axis=0)
                if int(lo.min()) < _FIRST_QUAL or int(hi.max()) > _LAST_QUAL:
                    self._report_bad_quality(sliding_window_view(src, w)[st], valid, ix, keep)
                # uint32 is exact for one block: a 16 MB block holds far fewer than 2**32 / 126 reads
                self._acc.add_quals(np.add.reduce(rows, axis=0, dtype=np.uint32), lo, hi)

    def _report_bad_quality(
        self, rows: U8, valid: NDArray[np.bool_] | None, ix: I64, keep: I64 | None
    ) -> None:
        wrong = (rows < _FIRST_QUAL) | (rows > _LAST_QUAL)
        if valid is not None:
            wrong &= valid
        bad_rows = np.flatnonzero(wrong.any(axis=1))
        row = int(bad_rows[np.argmin(ix[bad_rows])])  # the earliest record in the file
        byte = int(rows[row, int(np.argmax(wrong[row]))])
        rec = int(ix[row]) if keep is None else int(keep[ix[row]])
        self._fail(4 * rec + 3, f"quality character {_describe_byte(byte)} is outside Phred+33 ('!'..'~')")

    def _parse_fasta(self, buf: U8, nl: I64, final: bool) -> None:
        starts, ends = self._lines(buf, nl, final)
        if not final:
            used = int(nl[-1]) + 1 if len(nl) else 0
            self._carry = buf[used:].tobytes()
        if len(ends):
            first = np.where(ends > starts, buf[np.minimum(starts, max(len(buf) - 1, 0))], 0)
            is_head = first == _GT
            line_len = np.where(is_head, 0, ends - starts)
            rec_id = np.cumsum(is_head)  # lines before this buffer's first header continue the open record
            if not self._fasta_open:
                orphan = np.flatnonzero((rec_id == 0) & (line_len > 0))
                if len(orphan):
                    self._fail(int(orphan[0]), "expected a FASTA header starting with '>'")
            lengths = np.bincount(rec_id, weights=line_len).astype(np.int64)
            lengths[0] += self._fasta_open_len
            heads = int(is_head.sum())
            self._close_fasta(lengths[:heads] if self._fasta_open else lengths[1:heads])
            self._fasta_open_len = int(lengths[heads])
            self._fasta_open = self._fasta_open or heads > 0
            self._lines_done += len(ends)
        if final and self._fasta_open:
            self._close_fasta(np.array([self._fasta_open_len], dtype=np.int64))
            self._fasta_open = False

    def _close_fasta(self, lengths: I64) -> None:
        if self.stats.minlen > 0 and len(lengths):
            short = lengths < self.stats.minlen
            self.stats.num_skipped_short += int(short.sum())
            lengths = lengths[~short]
        self._acc.add_lengths(lengths)


def compute_stats(
    name: str,
    blocks: Iterable[Bytes],
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
