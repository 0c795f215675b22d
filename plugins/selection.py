"""Selecting recommendations by CIS id: `--cis-id 1.1.1,4.*`, and `-k 1.1.1` through keywords on each item.

`--cis-id` takes a comma list of patterns. A pattern selects an id equal to it, an id below it as a section
prefix (`1` or `1.1` selects 1.1.1 ... 1.1.15), or an id it matches as a shell pattern (`4.*`, `1.1.1?`).
A pattern that matches nothing in the catalogue is a usage error: a typo must not quietly scan nothing.

`-k` matches its words as case-insensitive substrings of an item's names and keywords; each recommendation
gets its id as a keyword in two spellings, `1.1.1` and `1_1_1`, so `-k 1.1.1` works (and, being a substring
match, also selects 1.1.10 ... 1.1.15: `--cis-id` is the exact one).

A run that selects nothing exits 5 (pytest's "no tests collected") and writes no report: the HTML and JUnit
writers are unregistered before they can replace the reports of an earlier run.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Collection, Generator, Iterable
from pathlib import Path
from typing import Any

import pytest

from o365cis.catalogue import sort_key
from o365cis.outputs import release
from plugins.fixtures import output_paths


def parse_patterns(text: str | None) -> tuple[str, ...]:
    """The comma list of --cis-id as patterns, blanks dropped (`"1.1.1, 4.*"` -> ("1.1.1", "4.*"))."""
    if not text:
        return ()
    return tuple(part.strip() for part in text.split(",") if part.strip())


def pattern_matches(pattern: str, recommendation_id: str) -> bool:
    """True when the pattern selects this id: equal, a section prefix of it, or a shell pattern matching it."""
    return (
        recommendation_id == pattern
        or recommendation_id.startswith(pattern.rstrip(".") + ".")
        or fnmatch.fnmatchcase(recommendation_id, pattern)
    )


def selected_ids(patterns: Iterable[str], known_ids: Iterable[str]) -> list[str]:
    """The known ids any pattern selects, in benchmark order; UsageError naming each pattern that selects none."""
    known = list(known_ids)
    patterns = list(patterns)
    unknown = [p for p in patterns if not any(pattern_matches(p, rec_id) for rec_id in known)]
    if unknown:
        raise pytest.UsageError(
            f"o365-cis: --cis-id {', '.join(unknown)} matches no recommendation of the benchmark "
            "(use ids such as 1.1.1, section prefixes such as 4 or 1.1, or patterns such as 4.*)"
        )
    return sorted((i for i in known if any(pattern_matches(p, i) for p in patterns)), key=sort_key)


def id_keywords(recommendation_id: str) -> set[str]:
    """The keywords `-k` can select a recommendation by: `1.1.1` and `1_1_1`."""
    return {recommendation_id, recommendation_id.replace(".", "_")}


def cis_id_of(item: pytest.Item) -> str | None:
    """The recommendation id on an item's `cis` marker (`cis("1.1.1")` or `cis(id="1.1.1", ...)`), if any."""
    marker = item.get_closest_marker("cis")
    if marker is None:
        return None
    value = marker.args[0] if marker.args else marker.kwargs.get("id")
    return value if isinstance(value, str) else None


class CisSelection:
    """The pytest plugin object doing the selection of one run (registered by plugins.cis_plugin)."""

    def __init__(self, wanted: Collection[str] | None) -> None:
        #: The ids --cis-id selects, or None when the option was not given.
        self.wanted = frozenset(wanted) if wanted is not None else None
        self.nothing_selected = False

    @pytest.hookimpl(wrapper=True)
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> Generator[None, None, None]:
        # Keywords go on before -k deselects (inside the yield); --cis-id deselects after the marker checks.
        for item in items:
            rec_id = cis_id_of(item)
            if rec_id is not None:
                item.extra_keyword_matches.update(id_keywords(rec_id))
        yield
        if self.wanted is None:
            return
        keep = [item for item in items if cis_id_of(item) in self.wanted]
        dropped = [item for item in items if cis_id_of(item) not in self.wanted]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
        items[:] = keep

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if session.items or session.config.option.collectonly:
            return
        self.nothing_selected = True
        silence_report_writers(session.config)
        # The scan claimed its report files when it opened; those it created are empty and go again.
        config = session.config
        release(Path(path) for _, path in output_paths(config, {"snapshot_save": config.option.snapshot_save}) if path)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.nothing_selected:
            terminalreporter.write_line("o365-cis: no recommendation selected; existing reports left untouched")


def narrowed_by_user(config: pytest.Config) -> bool:
    """True when --cis-id, -k or -m narrowed the run (the results document then lists the ids selected)."""
    option = config.option
    return bool(getattr(option, "cis_id", None) or option.keyword or option.markexpr)


def silence_report_writers(config: pytest.Config) -> None:
    """Unregister the pytest-html and JUnit XML writers, so an empty run leaves earlier reports as they were."""
    from pytest_html.basereport import BaseReport  # a dependency of the product (requirements.txt)

    for plugin in list(config.pluginmanager.get_plugins()):
        if isinstance(plugin, BaseReport):
            config.pluginmanager.unregister(plugin)
    # pytest keeps its JUnit writer in the config's stash; its unconfigure hook unregisters what it finds there.
    from _pytest.junitxml import xml_key

    writer = config.stash.get(xml_key, None)
    if writer is not None:
        del config.stash[xml_key]
        config.pluginmanager.unregister(writer)
