"""pytest-html 4.x hooks: CIS id, level and status columns, a detail block per result, the CIS summary.

Register this module when pytest-html is active (`--html`):
`config.pluginmanager.register(html_report, "o365cis-html")`. The hooks are optional, so registering it
without pytest-html is harmless, but pointless.
Every hook reads the one record per test (`report.cis_record`) and the scan (`config.stash[SCAN_RECORDS]`).
"""

from __future__ import annotations

from typing import Any

import pytest

from plugins.reporting import html_fragments
from plugins.reporting.records import SCAN_RECORDS, ScanRecords, record_of

# pytest-html's ReportData (the title lives there), kept per run so the title can name the tenant
# once it is known: the title hook runs at session start, before the plugin may have read it.
_REPORT_DATA = pytest.StashKey[Any]()

_NO_LOG_PLACEHOLDER = "No log output captured."


@pytest.hookimpl(optionalhook=True)
def pytest_html_report_title(report: Any) -> None:
    """Title the report after the benchmark and the tenant."""
    config = report.config
    config.stash[_REPORT_DATA] = report
    report.title = html_fragments.report_title(_scan_of(config))


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_header(cells: list[str]) -> None:
    """Add the sortable CIS id, level and status columns after the result column."""
    position = _after_result(cells, 'data-column-type="result"')
    cells[position:position] = html_fragments.header_cells()


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_row(report: Any, cells: list[str]) -> None:
    """Fill the CIS columns of a result row (empty for a report that carries no record)."""
    position = _after_result(cells, 'class="col-result"')
    cells[position:position] = html_fragments.row_cells(record_of(report))


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_html(report: Any, data: list[str]) -> None:
    """Put the reason, the evidence table and the remediation at the top of the detail row."""
    record = record_of(report)
    if record is None:
        return
    if data == [_NO_LOG_PLACEHOLDER]:
        data.clear()
    data.insert(0, html_fragments.detail_html(record))


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_summary(
    prefix: list[str], summary: list[str], postfix: list[str], session: pytest.Session
) -> None:
    """Add the counts by status, the chart and the counts by section; retitle now the tenant is known."""
    scan = _scan_of(session.config)
    report_data = session.config.stash.get(_REPORT_DATA, None)
    if report_data is not None:
        report_data.title = html_fragments.report_title(scan)
    if scan is None:
        return
    by_status, by_section = html_fragments.summary_fragments(scan)
    prefix.append(by_status)
    postfix.append(by_section)


def _scan_of(config: pytest.Config) -> ScanRecords | None:
    return config.stash.get(SCAN_RECORDS, None)


def _after_result(cells: list[str], marker: str) -> int:
    for index, cell in enumerate(cells):
        if marker in cell:
            return index + 1
    return 0
