"""Symbol tables that turn a Phred score into an emoji (or a block character), as FastQE draws them.

The tables are written out here from FastQE's documented behaviour (0.5.x, with the 0.3.1 variant for
Q33). A score without an entry falls back to the table's default (😍, or █ for the no-emoji table).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

PHRED_CHARS = "".join(chr(c) for c in range(33, 127))
"""Every Phred+33 character, '!' (Q0) to '~' (Q93): the rows of `--scale`."""

HEART_EYES = "\U0001f60d"  # 😍

# Q0 .. Q40; Q41 and above fall back to 😍.
_DEFAULT = [
    "\U0001f6ab",  # 0  🚫
    "\u274c",  # 1  ❌
    "\U0001f47a",  # 2  👺
    "\U0001f494",  # 3  💔
    "\U0001f645",  # 4  🙅
    "\U0001f47e",  # 5  👾
    "\U0001f47f",  # 6  👿
    "\U0001f480",  # 7  💀
    "\U0001f47b",  # 8  👻
    "\U0001f648",  # 9  🙈
    "\U0001f649",  # 10 🙉
    "\U0001f64a",  # 11 🙊
    "\U0001f435",  # 12 🐵
    "\U0001f63f",  # 13 😿
    "\U0001f63e",  # 14 😾
    "\U0001f640",  # 15 🙀
    "\U0001f4a3",  # 16 💣
    "\U0001f525",  # 17 🔥
    "\U0001f621",  # 18 😡
    "\U0001f4a9",  # 19 💩
    "\U0001f6a8",  # 20 🚨
    "\U0001f600",  # 21 😀
    "\U0001f605",  # 22 😅
    "\U0001f60f",  # 23 😏
    "\U0001f60a",  # 24 😊
    "\U0001f619",  # 25 😙
    "\U0001f617",  # 26 😗
    "\U0001f61a",  # 27 😚
    "\U0001f603",  # 28 😃
    "\U0001f618",  # 29 😘
    "\U0001f606",  # 30 😆
    "\U0001f604",  # 31 😄
    "\U0001f60b",  # 32 😋
    "\U0001f60c",  # 33 😌 (0.3.1: ☺️, see _Q33_031)
    "\U0001f61d",  # 34 😝
    "\U0001f61b",  # 35 😛
    "\U0001f61c",  # 36 😜
    "\U0001f609",  # 37 😉
    "\U0001f601",  # 38 😁
    "\U0001f604",  # 39 😄 (same as Q31)
    "\U0001f60e",  # 40 😎
]
_Q33_031 = "\u263a\ufe0f"  # ☺️

# (first Q of the bin, binned emoji, block character); a bin runs to the next bin's first Q.
_BINS = [
    (0, "\U0001f6ab", "\u2581"),  # 🚫 ▁
    (2, "\U0001f480", "\u2582"),  # 💀 ▂
    (10, "\U0001f4a9", "\u2583"),  # 💩 ▃
    (20, "\U0001f6a8", "\u2584"),  # 🚨 ▄
    (25, "\U0001f604", "\u2585"),  # 😄 ▅
    (30, "\U0001f606", "\u2586"),  # 😆 ▆
    (35, "\U0001f60e", "\u2587"),  # 😎 ▇
    (40, "\U0001f60d", "\u2588"),  # 😍 █
]
_LAST_BINNED_Q = 41


@dataclass(frozen=True)
class SymbolTable:
    """One emoji table: symbols by Phred score, the fallback, the label suffix and the separator."""

    name: str  # "default", "binned", "no-emoji" or "custom"
    symbols: dict[int, str]
    fallback: str
    label_suffix: str  # appended to "mean"/"max"/"min" in the text output
    separator: str

    def symbol(self, q: int) -> str:
        return self.symbols.get(q, self.fallback)

    def render(self, scores: list[int]) -> str:
        return self.separator.join(self.symbol(q) for q in scores)


class CustomTableError(Exception):
    """A --custom file that cannot be used; the message says why."""


def default_table(fastqe_version: str = "0.5.2") -> SymbolTable:
    symbols = dict(enumerate(_DEFAULT))
    if fastqe_version == "0.3.1":
        symbols[33] = _Q33_031
    return SymbolTable("default", symbols, HEART_EYES, "", " ")


def _binned(column: int) -> dict[int, str]:
    out: dict[int, str] = {}
    for i, (first, *syms) in enumerate(_BINS):
        last = _BINS[i + 1][0] - 1 if i + 1 < len(_BINS) else _LAST_BINNED_Q
        for q in range(first, last + 1):
            out[q] = syms[column]
    return out


def binned_table() -> SymbolTable:
    return SymbolTable("binned", _binned(0), HEART_EYES, " (binned)", " ")


def noemoji_table() -> SymbolTable:
    return SymbolTable("no-emoji", _binned(1), "\u2588", " (no-emoji)", "")


def emojize(text: str) -> str:
    """Replace `:shortcode:`s by emoji; unknown shortcodes stay as they are (as FastQE leaves them)."""
    import emoji as emoji_lib  # its tables are large; only --custom needs them

    return emoji_lib.emojize(text, language="alias")


def custom_table(path: str | Path) -> SymbolTable:
    """Load a FastQE `--custom` file: a Python dict literal from Phred+33 characters to emoji/shortcodes."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise CustomTableError(f"cannot read custom emoji map {path}: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise CustomTableError(f"custom emoji map {path} is not UTF-8 text") from None
    try:
        mapping = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise CustomTableError(
            f"custom emoji map {path} is not a Python dict literal, e.g. {{'!': ':skull:', 'I': ':smile:'}}"
        ) from None
    if not isinstance(mapping, dict):
        raise CustomTableError(f"custom emoji map {path} must be a dict, found {type(mapping).__name__}")
    symbols: dict[int, str] = {}
    for key, value in mapping.items():
        if not isinstance(value, str):
            raise CustomTableError(f"custom emoji map {path}: the value for {key!r} is not a string")
        if isinstance(key, str) and len(key) == 1 and key in PHRED_CHARS:
            symbols[ord(key) - 33] = emojize(value)
        # other keys can never match a Phred+33 character, as in FastQE
    return SymbolTable("custom", symbols, HEART_EYES, " (custom)", " ")


def choose_table(
    *, custom: str | None = None, noemoji: bool = False, binned: bool = False, fastqe_version: str = "0.5.2"
) -> SymbolTable:
    """FastQE's precedence: --custom, then --noemoji, then --bin, then the default table."""
    if custom:
        return custom_table(custom)
    if noemoji:
        return noemoji_table()
    if binned:
        return binned_table()
    return default_table(fastqe_version)
