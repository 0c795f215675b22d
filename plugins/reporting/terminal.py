"""The terminal's words for recommendations: `-v` lines and the short summary name them by id and title.

pytest's own short summary names a test by its node id, and a skipped one by the file and line that called
`pytest.skip` (the plugin's): a reader would see `SKIPPED [1] plugins/cis_plugin.py:450` for a manual review.
In a scan, the plugin takes the failed, error and skipped letters out of `-r` and writes its own summary,
one line per recommendation that needs a reader: regressions first (with a baseline), then by attention.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from o365cis.findings import Status
from plugins.reporting.baseline import change_counts, fails_run
from plugins.reporting.palette import attention_rank
from plugins.reporting.records import CisRecord, ScanRecords

#: The `-r` letters whose lines the CIS summary replaces (F and S are pytest's old spellings of f and s).
_REPLACED_CHARS = frozenset("fEsFS")
#: The terminal colour of each status word.
STATUS_MARKUP: dict[Status, dict[str, bool]] = {
    Status.COMPLIANT: {"green": True},
    Status.NON_COMPLIANT: {"red": True},
    Status.ERROR: {"red": True, "bold": True},
    Status.MANUAL: {"blue": True},
    Status.NOT_APPLICABLE: {},
    Status.WAIVED: {"purple": True},
}
_REASON_LIMIT = 240


def split_reportchars(reportchars: str) -> tuple[str, bool]:
    """pytest's `-r` letters without those the CIS summary replaces, and whether any of them was asked for.

    `a` and `A` are expanded as pytest does, so `-ra` keeps its x and X lines.
    """
    kept = ""
    replaced = False
    for char in reportchars:
        if char == "a":
            kept, replaced = "xX", True
        elif char == "A":
            kept, replaced = "PpxX", True
        elif char == "N":
            kept, replaced = "", False
        elif char in _REPLACED_CHARS:
            replaced = True
        elif char not in kept:
            kept += char
    # "N" keeps pytest from adding its default "fE" back when nothing else is left.
    return kept or "N", replaced


def verbose_word(record: CisRecord) -> str:
    """The `-v` outcome word: the status, then the recommendation it is about."""
    return f"{Status(record.status).value.upper()} {record.id} {record.title}"


def summary_lines(records: Iterable[CisRecord]) -> list[tuple[str, dict[str, bool]]]:
    """`NON_COMPLIANT 1.1.1 Ensure ...: reason` lines (with colour), compliant ones left out.

    Regressions against a baseline come first, then by attention (error, non_compliant, waived, manual,
    not_applicable), each group in benchmark order (records arrive in it).
    """
    needing_reader = [r for r in records if Status(r.status) is not Status.COMPLIANT or r.change == "regressed"]
    ordered = sorted(needing_reader, key=lambda r: (r.change != "regressed", attention_rank(Status(r.status))))
    lines = []
    for record in ordered:
        status = Status(record.status)
        change = f" (regressed from {record.baseline_status})" if record.change == "regressed" else ""
        text = f"{status.value.upper()} {record.id} {record.title}{change}: {_one_line(record.reason)}"
        lines.append((text, STATUS_MARKUP[status]))
    return lines


def write_summary(terminalreporter: Any, config: pytest.Config, records: Iterable[CisRecord]) -> None:
    """The CIS short summary section, when `-r` asked for failures or skips (pytest's default and `-ra` do)."""
    lines = summary_lines(records)
    if not lines or not config.stash.get(SHORT_SUMMARY, True):
        return
    terminalreporter.write_sep("=", "CIS short summary: what needs attention")
    for text, markup in lines:
        terminalreporter.write_line(text, **markup)


def write_changes(terminalreporter: Any, scan: ScanRecords) -> None:
    """With --cis-baseline: one line counting the changes since the baseline, and what decides the exit status."""
    if scan.baseline is None:
        return
    counts = change_counts(scan.records)
    since = scan.baseline.get("started") or scan.baseline.get("path")
    changes = ", ".join(f"{count} {change}" for change, count in counts.items())
    markup = {"red": True, "bold": True} if counts["regressed"] else {"green": True}
    terminalreporter.write_line(f"Since {since}: {changes}", **markup)


def write_gate(terminalreporter: Any, config: pytest.Config, records: Iterable[CisRecord]) -> None:
    """Under --cis-fail-on regression or error: one line saying what decided the exit status."""
    fail_on = config.option.cis_fail_on
    if fail_on == "non-compliant":
        return
    records = list(records)
    counted = "regressed" if fail_on == "regression" else "error"
    count = sum(1 for r in records if (r.change if fail_on == "regression" else Status(r.status).value) == counted)
    outcome = "exit status 1" if fails_run(records, fail_on) else "exit status 0"
    terminalreporter.write_line(f"--cis-fail-on {fail_on}: {count} {counted}, {outcome}", bold=True)


def _one_line(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= _REASON_LIMIT else text[: _REASON_LIMIT - 1] + "…"


#: config.stash key: True when the user's `-r` asked for the lines the CIS short summary replaces.
SHORT_SUMMARY = pytest.StashKey[bool]()


def configure_terminal(config: pytest.Config) -> None:
    """Take pytest's failed/error/skipped summary lines out of `-r`, and remember whether they were asked for."""
    kept, replaced = split_reportchars(config.option.reportchars)
    config.option.reportchars = kept
    config.stash[SHORT_SUMMARY] = replaced
