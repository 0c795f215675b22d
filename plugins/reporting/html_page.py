"""The top of the HTML report: who and what was scanned, the score, the six counts, the chart, the filter bar.

pytest-html renders the page; these blocks go into its summary (`prefix` above its controls, `postfix` right
above the results table), with the page's stylesheet and filter script inline, so the file works offline.
Every fragment is one line: pytest-html's template places them as they are. All tenant text is escaped.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

from o365cis.catalogue import SECTIONS
from o365cis.findings import STATUS_ORDER, Status
from plugins.reporting.baseline import change_counts
from plugins.reporting.chart import status_chart_svg
from plugins.reporting.document import benchmark_info, summary_counts
from plugins.reporting.html_fragments import text_html
from plugins.reporting.palette import STATUS_COLOURS, STATUS_LABELS
from plugins.reporting.records import ScanRecords

_MODE_WORDS = {"live": "live scan", "snapshot": "saved snapshot", "demo": "demo tenant (a saved snapshot)"}


@functools.cache
def asset(name: str) -> str:
    """A file of plugins/reporting/assets (the page's stylesheet and script), shipped with the package."""
    return resources.files("plugins.reporting").joinpath("assets", name).read_text(encoding="utf-8")


def score(scan: ScanRecords) -> float | None:
    """compliant / (compliant + non_compliant), or None when nothing was decided either way."""
    counts = summary_counts(scan.records)
    decided = counts[Status.COMPLIANT.value] + counts[Status.NON_COMPLIANT.value]
    return counts[Status.COMPLIANT.value] / decided if decided else None


def readable_time(iso: str | None) -> str:
    """`2026-11-27 02:33 UTC` from the results document's ISO 8601 UTC times."""
    if not iso:
        return "unknown"
    return iso.replace("T", " ")[:16] + " UTC"


def header_html(scan: ScanRecords) -> str:
    """The page header: facts of the run, the score, the six status tiles (filters too), changes, the chart."""
    return (
        f"<style>{asset('report.css')}</style>"
        '<section class="cis-header" aria-label="Scan summary">'
        f'<div class="cis-overview">{_facts(scan)}{_score(scan)}{_tiles(scan)}{_changes(scan)}</div>'
        f'<div class="cis-chart-panel"><h2>By section</h2>{status_chart_svg(scan)}</div>'
        "</section>"
    )


def filter_bar_html(scan: ScanRecords) -> str:
    """Section, level and text filters, a reset button, the shown count, and the script that runs them."""
    present = {record.section for record in scan.records}
    sections = "".join(
        f'<option value="{number}">{text_html(title)}</option>'
        for number, title in SECTIONS.items()
        if title in present
    )
    return (
        '<div class="cis-filters" role="search">'
        '<label for="cis-search">Search</label>'
        '<input id="cis-search" type="search" placeholder="id, title or reason" autocomplete="off">'
        '<label for="cis-filter-section">Section</label>'
        f'<select id="cis-filter-section"><option value="">All sections</option>{sections}</select>'
        '<label for="cis-filter-level">Level</label>'
        '<select id="cis-filter-level"><option value="">Levels 1 and 2</option>'
        '<option value="1">Level 1</option><option value="2">Level 2</option></select>'
        '<button id="cis-clear" type="button">Clear filters</button>'
        '<span id="cis-shown" class="cis-shown" aria-live="polite"></span>'
        "</div>"
        '<p id="cis-empty" class="cis-empty" hidden>No recommendation matches these filters.</p>'
        f"<script>{asset('report.js')}</script>"
    )


def _facts(scan: ScanRecords) -> str:
    run: dict[str, Any] = scan.run
    tenant = " · ".join(text_html(part) for part in (scan.tenant_name, scan.tenant_domain, scan.tenant_id) if part)
    mode = run.get("mode")
    read = "recorded" if mode in ("snapshot", "demo") else "read"
    data = f"{_MODE_WORDS.get(mode or '', 'scan')}, data {read} {readable_time(run.get('data_as_of') or scan.started)}"
    benchmark = benchmark_info()
    catalogue = f" (catalogue {text_html(run['catalogue_version'])})" if run.get("catalogue_version") else ""
    level = run.get("level", 2)
    scope = ("Level 1 only" if level == 1 else "Levels 1 and 2") + (
        ", E3 licence (E5-only recommendations left out)" if run.get("license") == "E3" else ", E5 licence"
    )
    selected = run.get("selected")
    if selected is not None:
        scope += f"; {len(selected)} recommendations selected"
    rows = [
        ("Tenant", tenant or "unknown tenant"),
        ("Data", text_html(data)),
        ("Benchmark", f"{text_html(benchmark['name'])} v{text_html(benchmark['version'])}{catalogue}"),
        ("Scope", text_html(scope)),
        ("Scanner", f"o365-cis {text_html(scan.scanner_version)}, scan started {readable_time(scan.started)}"),
    ]
    return '<dl class="cis-facts">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows) + "</dl>"


def _score(scan: ScanRecords) -> str:
    value = score(scan)
    counts = summary_counts(scan.records)
    compliant = counts[Status.COMPLIANT.value]
    decided = compliant + counts[Status.NON_COMPLIANT.value]
    shown = "–" if value is None else f"{value:.0%}"
    return (
        '<div class="cis-score"><span class="cis-score__value">'
        f"{shown}</span>"
        f'<span class="cis-score__text">score: {compliant} compliant of {decided} decided '
        "(compliant and non-compliant)</span></div>"
    )


def _tiles(scan: ScanRecords) -> str:
    counts = summary_counts(scan.records)
    tiles = "".join(
        f'<button type="button" class="cis-count-tile" data-status="{status.value}" aria-pressed="false" '
        f'title="Show only {STATUS_LABELS[status].lower()} (click again to undo)" '
        f'style="--cis-status-colour:{STATUS_COLOURS[status]}">'
        f'<span class="cis-count-tile__number">{counts[status.value]}</span>'
        f'<span class="cis-count-tile__label">{STATUS_LABELS[status]}</span></button>'
        for status in STATUS_ORDER
    )
    return f'<div class="cis-counts" role="group" aria-label="Filter by status">{tiles}</div>'


def _changes(scan: ScanRecords) -> str:
    if scan.baseline is None:
        return ""
    counts = change_counts(scan.records)
    parts = [
        f'<strong class="cis-{change}">{count} {change}</strong>'
        if change == "regressed" and count
        else f"{count} {change}"
        for change, count in counts.items()
    ]
    since = readable_time(scan.baseline.get("started"))
    return f'<p class="cis-changes">Since {since}: {", ".join(parts)}</p>'
