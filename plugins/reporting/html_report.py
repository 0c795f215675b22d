"""pytest-html 4.x hooks that make its page a benchmark report: the CIS header, columns, filters and details.

Register one `CisHtmlReport` per run when pytest-html is active (`--html`):
`config.pluginmanager.register(CisHtmlReport(config), "o365cis-html")`. The hooks are optional, so registering
it without pytest-html is harmless, but pointless. Every hook reads the one record per test
(`report.cis_record`) and the scan (`config.stash[SCAN_RECORDS]`).

pytest's own columns (result, test id, duration, links) give way to the recommendation's; the result cell stays
first, hidden by the page's stylesheet, because pytest-html's script marks a row's open or closed state on it.
"""

from __future__ import annotations

from typing import Any

import pytest

from plugins.reporting import html_fragments, html_page
from plugins.reporting.baseline import BASELINE
from plugins.reporting.records import SCAN_RECORDS, ScanRecords, record_of

_NO_LOG_PLACEHOLDER = "No log output captured."


class CisHtmlReport:
    """The pytest-html hooks of one run."""

    def __init__(self, config: pytest.Config) -> None:
        self._config = config
        # pytest-html's ReportData (the title lives there): the title hook runs at session start, before the
        # plugin may know the tenant's name, so the summary hook retitles it.
        self._report_data: Any = None
        baseline = config.stash.get(BASELINE, None)
        self._since = f"Since {(baseline.started or '')[:10] or 'baseline'}" if baseline is not None else None

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_report_title(self, report: Any) -> None:
        """Title the report after the benchmark and the tenant; rows in benchmark order, details closed."""
        self._report_data = report
        report.title = html_fragments.report_title(self._scan())
        report.set_data("initialSort", "cisId")
        report.set_data("renderCollapsed", ["all"])

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        """The result column (kept for pytest-html's script), then the recommendation's columns."""
        kept = [cell for cell in cells if 'data-column-type="result"' in cell]
        cells[:] = [*kept, *html_fragments.header_cells(self._since)]

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_row(self, report: Any, cells: list[str]) -> None:
        """Fill a row with the recommendation's cells (empty ones for a report that carries no record)."""
        kept = [cell for cell in cells if 'class="col-result"' in cell]
        cells[:] = [*kept, *html_fragments.row_cells(record_of(report), with_change=self._since is not None)]

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_html(self, report: Any, data: list[str]) -> None:
        """The detail row is the reason, the evidence table and the remediation, and nothing else.

        pytest's text of the outcome only repeats the reason (for a skip, as a tuple with the plugin's path).
        """
        record = record_of(report)
        if record is None:
            if data == [_NO_LOG_PLACEHOLDER]:
                data.clear()
            return
        data[:] = [html_fragments.detail_html(record)]

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_summary(
        self, prefix: list[str], summary: list[str], postfix: list[str], session: pytest.Session
    ) -> None:
        """The header above pytest-html's controls and the filter bar right above the table."""
        scan = self._scan()
        if self._report_data is not None:
            self._report_data.title = html_fragments.report_title(scan)
        if scan is None:
            return
        prefix.append(html_page.header_html(scan))
        postfix.append(html_page.filter_bar_html(scan))

    def _scan(self) -> ScanRecords | None:
        return self._config.stash.get(SCAN_RECORDS, None)
