"""Collection and selection: the `cis` marker names a recommendation, the catalogue supplies its metadata.

Every broken marker is a one-line usage error before any recommendation runs; the benchmark's level,
licence, section and automation flag become markers (`-m "level1 and not e5"`), `--cis-level` and
`--cis-license` deselect, and the selection runs in benchmark order.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from o365cis.catalogue import LEVELS, LICENSES, SECTIONS, Recommendation, load_catalogue, selected, sort_key

CIS_TESTS = Path(__file__).resolve().parent.parent / "cis_tests"

#: item.stash key: the catalogue's recommendation named by the item's `cis` marker (set at collection).
RECOMMENDATION = pytest.StashKey[Recommendation]()
_ID_FORMAT = re.compile(r"\d+(\.\d+){1,2}")


def register_markers(config: pytest.Config) -> None:
    """Declare the `cis` marker and the selection markers derived from it."""
    config.addinivalue_line(
        "markers", "cis(id): the CIS recommendation a test decides; its metadata comes from the catalogue"
    )
    for name, text in (
        ("level1", "CIS Level 1"),
        ("level2", "CIS Level 2"),
        ("e3", "needs an E3 licence"),
        ("e5", "needs an E5 licence (E5-only recommendation)"),
        ("automated", "the benchmark labels it Automated"),
        ("manual_assessment", "the benchmark labels it Manual"),
    ):
        config.addinivalue_line("markers", f"{name}: {text}")
    for number, title in SECTIONS.items():
        config.addinivalue_line("markers", f"section{number}: CIS section {title}")


def recommendation_of(item: pytest.Item) -> Recommendation | None:
    """The recommendation a collected test decides (None for a test without a `cis` marker)."""
    return item.stash.get(RECOMMENDATION, None)


def _marker_problem(marker: pytest.Mark, catalogue: dict[str, Recommendation]) -> str | None:
    if marker.kwargs or len(marker.args) != 1:
        return 'cis marker takes the recommendation id alone, e.g. @pytest.mark.cis("4.14")'
    rec_id = marker.args[0]
    if not isinstance(rec_id, str) or not _ID_FORMAT.fullmatch(rec_id):
        return f"cis id {rec_id!r} is not a recommendation id"
    if rec_id not in catalogue:
        return f"cis id {rec_id} is not one of the benchmark's {len(catalogue)} recommendations"
    return _catalogue_problem(catalogue[rec_id])


def _catalogue_problem(recommendation: Recommendation) -> str | None:
    """The catalogue entry's values must come from the fixed sets the selection markers are made of."""
    rec_id = recommendation.id
    if recommendation.level not in LEVELS:
        return f"{rec_id}: catalogue level must be 1 or 2"
    if recommendation.license not in LICENSES:
        return f"{rec_id}: catalogue license must be one of {LICENSES}"
    if recommendation.section not in SECTIONS.values():
        return f"{rec_id}: catalogue section must be one of {list(SECTIONS.values())}"
    return None


def _add_selection_markers(item: pytest.Item, recommendation: Recommendation) -> None:
    item.add_marker(f"level{recommendation.level}")
    item.add_marker(recommendation.license.lower())
    item.add_marker(f"section{recommendation.id.split('.')[0]}")
    item.add_marker("automated" if recommendation.automated else "manual_assessment")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Validate every cis marker, fill in the catalogue's metadata, select by level and licence, sort."""
    catalogue = load_catalogue()
    seen: dict[str, str] = {}
    problems: list[str] = []
    for item in items:
        marker = item.get_closest_marker("cis")
        if marker is None:
            if CIS_TESTS in Path(str(item.path)).resolve().parents:
                problems.append(f"{item.nodeid}: no @pytest.mark.cis marker")
            continue
        problem = _marker_problem(marker, catalogue)
        if problem:
            problems.append(f"{item.nodeid}: {problem}")
            continue
        recommendation = catalogue[marker.args[0]]
        if recommendation.id in seen:
            problems.append(f"{item.nodeid}: cis id {recommendation.id} is already used by {seen[recommendation.id]}")
            continue
        seen[recommendation.id] = item.nodeid
        item.stash[RECOMMENDATION] = recommendation
        _add_selection_markers(item, recommendation)
    if problems:
        raise pytest.UsageError("o365-cis: invalid cis marker: " + "; ".join(problems))
    wanted = {r.id for r in selected(config.option.cis_level, config.option.cis_license)}
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        rec = recommendation_of(item)
        (dropped if rec is not None and rec.id not in wanted else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    keep.sort(key=lambda it: sort_key(r.id) if (r := recommendation_of(it)) else (999,))
    items[:] = keep
