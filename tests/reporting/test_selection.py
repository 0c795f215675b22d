"""--cis-id patterns: exact ids, section prefixes and shell patterns; a pattern matching nothing is refused."""

from __future__ import annotations

import pytest

from o365cis.catalogue import load_catalogue
from plugins.selection import id_keywords, parse_patterns, pattern_matches, selected_ids

CATALOGUE = list(load_catalogue())


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        ("1.1.1", ["1.1.1"]),  # exact: not 1.1.10 to 1.1.15
        ("1.1.1,2.10", ["1.1.1", "2.10"]),
        (" 2.10 , 1.1.1 ,", ["1.1.1", "2.10"]),  # blanks and a trailing comma are fine; benchmark order
        ("6", ["6.1", "6.2", "6.3", "6.4"]),  # a section
        ("6.", ["6.1", "6.2", "6.3", "6.4"]),
        ("1.1.1?", ["1.1.10", "1.1.11", "1.1.12", "1.1.13", "1.1.14", "1.1.15"]),
        ("6.*,1.1.1", ["1.1.1", "6.1", "6.2", "6.3", "6.4"]),
        ("*", CATALOGUE),
    ],
)
def test_patterns_select_ids_in_benchmark_order(option: str, expected: list[str]) -> None:
    assert selected_ids(parse_patterns(option), CATALOGUE) == expected


def test_section_prefix_stops_at_a_dot() -> None:
    assert pattern_matches("1.1", "1.1.5")
    assert not pattern_matches("1.1", "1.10")
    assert not pattern_matches("1", "10.1")


def test_a_pattern_matching_nothing_is_a_usage_error() -> None:
    with pytest.raises(pytest.UsageError, match=r"--cis-id 9\.\*, 1\.1\.99 matches no recommendation"):
        selected_ids(parse_patterns("1.1.1,9.*,1.1.99"), CATALOGUE)


def test_keywords_carry_the_id_in_both_spellings() -> None:
    assert id_keywords("1.1.10") == {"1.1.10", "1_1_10"}
