"""Formatted internal ids: a prefix, the integer id and a Luhn check digit shifted by an offset.

Production sequencing groups use prefix ``CPG`` with offset 0, so ``CPG327239`` is raw id 32723.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from genolog.metadata.errors import BadRequest
from genolog.metadata.inputs import check_list_length


@functools.lru_cache(maxsize=1 << 16)
def luhn_check_digit(number: int) -> int:
    """The standard Luhn check digit for a non-negative integer."""
    total = 0
    for position, char in enumerate(reversed(str(number))):
        digit = int(char)
        if position % 2 == 0:  # the rightmost digit is doubled, as it will sit left of the check digit
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


def luhn_sum(digits: str) -> int:
    """The Luhn sum of a digit string that already ends in its check digit."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total


@dataclass(frozen=True)
class IdCodec:
    """Formats and parses one kind of id (samples, sequencing groups, cohorts)."""

    kind: str
    prefix: str
    offset: int = 0

    def format(self, raw: int) -> str:
        return f"{self.prefix}{raw}{(luhn_check_digit(raw) + self.offset) % 10}"

    def parse(self, text: str) -> int:
        if not isinstance(text, str) or not text.startswith(self.prefix):
            raise BadRequest(f"Invalid {self.kind} id {_shown(text)}: it must start with {self.prefix!r}")
        digits = text[len(self.prefix) :]
        if len(digits) < 2 or not is_ascii_digits(digits):
            raise BadRequest(
                f"Invalid {self.kind} id {_shown(text)}: expected {self.prefix!r} followed by ASCII digits 0-9"
            )
        if not _at_most(digits, MAX_FORMATTED):
            raise BadRequest(f"Invalid {self.kind} id {_shown(text)}: the number is out of range")
        if luhn_sum(digits) % 10 != self.offset % 10:
            raise BadRequest(f"Invalid {self.kind} id {text!r}: the check digit does not match")
        return int(digits[:-1])

    def parse_many(self, texts: list[str]) -> list[int]:
        check_list_length(texts, f"{self.kind} ids")
        return [self.parse(t) for t in texts]


# Ids are 64-bit integers in both databases; a formatted id adds one check digit.
MAX_ID = 2**63 - 1
MAX_FORMATTED = MAX_ID * 10 + 9


def is_ascii_digits(text: str) -> bool:
    """Only 0-9: ``str.isdigit`` also takes superscripts, Arabic-Indic and fullwidth digits (which
    ``int`` then takes or refuses in turn)."""
    return text.isascii() and text.isdigit()


def _at_most(digits: str, largest: int) -> bool:
    # by length first: int() refuses over 4,300 digits, and a long string need not be converted at all
    return len(digits) <= len(str(largest)) and int(digits) <= largest


def int_or_none(text: str) -> int | None:
    """A non-negative 64-bit integer written in ASCII digits (a numeric id, a cursor, a page), else None."""
    return int(text) if is_ascii_digits(text) and _at_most(text, MAX_ID) else None


def parse_int(text: str, what: str, hint: str = "") -> int:
    """``int_or_none``, or a 400 naming ``what``."""
    number = int_or_none(text)
    if number is None:
        raise BadRequest(
            f"Invalid {what} {_shown(text)}: expected a number from 0 to {MAX_ID} in digits 0-9{hint}"
        )
    return number


def _shown(text: str) -> str:
    """The id as the message quotes it, cut short: a 5,000-digit id need not come back whole."""
    return repr(text) if len(text) <= 40 else f"{text[:40]!r}... ({len(text):,} characters)"
