"""Formatted internal ids: a prefix, the integer id and a Luhn check digit shifted by an offset.

Production sequencing groups use prefix ``CPG`` with offset 0, so ``CPG327239`` is raw id 32723.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from genolog.metadata.errors import BadRequest


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
            raise BadRequest(f"Invalid {self.kind} id {text!r}: it must start with {self.prefix!r}")
        digits = text[len(self.prefix) :]
        if len(digits) < 2 or not digits.isdigit():
            raise BadRequest(f"Invalid {self.kind} id {text!r}: expected {self.prefix!r} followed by digits")
        if luhn_sum(digits) % 10 != self.offset % 10:
            raise BadRequest(f"Invalid {self.kind} id {text!r}: the check digit does not match")
        return int(digits[:-1])

    def parse_many(self, texts: list[str]) -> list[int]:
        return [self.parse(t) for t in texts]
