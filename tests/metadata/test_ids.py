import pytest

from genolog.metadata.errors import BadRequest
from genolog.metadata.ids import IdCodec, luhn_check_digit


def test_production_sequencing_group_id_parses_with_prefix_cpg_offset_0() -> None:
    codec = IdCodec("sequencing group", "CPG", 0)
    assert codec.parse("CPG327239") == 32723
    assert codec.format(32723) == "CPG327239"


@pytest.mark.parametrize(
    ("prefix", "offset", "raw", "formatted"),
    [
        ("XPGLCL", 2, 1, "XPGLCL10"),
        ("XPGLCL", 2, 3, "XPGLCL36"),
        ("CPGLCL", 9, 1, "CPGLCL17"),
        ("CPGLCL", 9, 2, "CPGLCL25"),
    ],
)
def test_reference_examples_format_and_parse(prefix: str, offset: int, raw: int, formatted: str) -> None:
    codec = IdCodec("id", prefix, offset)
    assert codec.format(raw) == formatted
    assert codec.parse(formatted) == raw


def test_luhn_check_digit_matches_worked_example() -> None:
    assert luhn_check_digit(32723) == 9


@pytest.mark.parametrize("offset", range(10))
def test_every_formatted_id_round_trips_and_every_other_check_digit_is_rejected(offset: int) -> None:
    codec = IdCodec("sample", "XPG", offset)
    for raw in [*range(1, 200), 12345, 987654321]:
        text = codec.format(raw)
        assert codec.parse(text) == raw
        wrong = [f"XPG{raw}{d}" for d in range(10) if f"XPG{raw}{d}" != text]
        for candidate in wrong:
            with pytest.raises(BadRequest, match="check digit"):
                codec.parse(candidate)


@pytest.mark.parametrize(
    "text", ["", "CPG", "CPG1", "XPG327239", "CPG32723x", "cpg327239", "CPG-327239", "CPG 327239"]
)
def test_malformed_ids_are_bad_requests_naming_the_id(text: str) -> None:
    with pytest.raises(BadRequest, match="Invalid sequencing group id"):
        IdCodec("sequencing group", "CPG", 0).parse(text)
