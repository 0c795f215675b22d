"""The scan's reporter: one record per recommendation, its pytest outcome, the summary and the report files.

Registered by plugins/cis_plugin.py for a scan (never on an xdist worker) and kept in the config's stash,
as `_pytest/junitxml.py` keeps its LogXML. Every report reads the same records: JSON, CSV, JUnit (through
the reports' user_properties) and HTML (plugins/reporting/html_report.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Generator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from o365cis import __version__
from o365cis.catalogue import sort_key
from o365cis.findings import Finding, Source, Status
from o365cis.scan import ScanContext
from plugins.collection import recommendation_of
from plugins.fixtures import FINDING, SCAN_CONTEXT, NonCompliant, RecommendationError
from plugins.reporting.baseline import compare, gate_exit_status
from plugins.reporting.csv_report import write_csv
from plugins.reporting.document import write_json
from plugins.reporting.evidence_csv import write_evidence_csv
from plugins.reporting.junit import name_testcases_by_recommendation
from plugins.reporting.records import SCAN_RECORDS, CisRecord, ScanRecords, waiver_field
from plugins.reporting.terminal import verbose_word, write_changes, write_gate, write_summary

_LETTERS = {
    Status.COMPLIANT: ".",
    Status.NON_COMPLIANT: "F",
    Status.ERROR: "E",
    Status.MANUAL: "m",
    Status.NOT_APPLICABLE: "n",
    Status.WAIVED: "w",
}
_CATEGORIES = {Status.COMPLIANT: "passed", Status.NON_COMPLIANT: "failed", Status.ERROR: "error"}


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _one_line(text: str, limit: int = 400) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class CisReporter:
    """Collects the records of a scan and writes them out at its end."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.records = ScanRecords(scanner_version=__version__)
        # The HTML hooks (plugins/reporting/html_report.py) read the records from the stash.
        config.stash[SCAN_RECORDS] = self.records

    def scan_opened(self, context: ScanContext) -> None:
        """Name the tenant and start the clock once the scan is connected."""
        self.records.tenant_id = context.tenant_id
        self.records.tenant_name = context.tenant_name
        self.records.started = _now()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """Join the catalogue's metadata and the finding into the test's record and its reported outcome."""
        report = yield
        recommendation = recommendation_of(item)
        if recommendation is None or report.when == "teardown":
            return report
        finding = item.stash.get(FINDING, None)
        if finding is None:
            finding = self._finding_without_verdict(report, call)
            if finding is None:
                return report
        elif report.when != "call":
            return report
        record = CisRecord(
            id=recommendation.id,
            title=recommendation.title,
            section=recommendation.section,
            level=recommendation.level,
            license=recommendation.license,
            automated=recommendation.automated,
            status=finding.status,
            reason=finding.reason,
            evidence=[e.as_dict() for e in finding.evidence],
            source=finding.source.value if finding.source else Source.NONE.value,
            remediation=recommendation.remediation,
            nodeid=item.nodeid,
        )
        context = self.config.stash.get(SCAN_CONTEXT, None)
        if context is not None:
            record.waiver = waiver_field(context.config.waiver_for(record.id), record.status)
        compare(self.config, [record])  # the change is known as the row is made: the HTML row shows it
        report.cis_record = record  # type: ignore[attr-defined]
        # FAILURES sections are headed by the location's last part: the recommendation, not the function.
        report.location = (report.location[0], report.location[1], f"{record.id} {record.title}")
        properties = [("cis_id", record.id), ("cis_level", str(record.level)), ("cis_status", record.status.value)]
        # JUnit XML writes the teardown report's properties, which pytest copies from the item.
        item.user_properties.extend(properties)
        report.user_properties.extend(properties)
        if not any(r.id == record.id for r in self.records.records):
            self.records.records.append(record)
        if record.status is Status.ERROR and report.when == "call":
            report.outcome = "failed"
        if report.failed and isinstance(
            call.excinfo.value if call.excinfo else None, (NonCompliant, RecommendationError)
        ):
            # The verdict is the message: no traceback of the plugin's own frames in terminal, JUnit or HTML.
            report.longrepr = f"{record.status.value}: {record.reason}"
        return report

    @staticmethod
    def _finding_without_verdict(report: pytest.TestReport, call: pytest.CallInfo[None]) -> Finding | None:
        """A test that failed before cis.evaluate concluded, or ended without calling it, is an error."""
        if report.failed:
            message = call.excinfo.exconly() if call.excinfo is not None else str(report.longrepr)
            return Finding(Status.ERROR, f"{report.when} failed: {_one_line(message)}")
        if report.when == "call" and report.passed:
            return Finding(Status.ERROR, "the test ended without a verdict (no cis.evaluate call)")
        return None

    def pytest_report_teststatus(self, report: pytest.TestReport, config: pytest.Config) -> tuple[str, str, str] | None:
        """Show the contract's status words: COMPLIANT, NON_COMPLIANT, MANUAL, ... (and count errors as errors)."""
        record: CisRecord | None = getattr(report, "cis_record", None)
        if record is None:
            return None
        # The closing line counts the skipped statuses by name: "21 manual, 1 waived", not "22 skipped".
        category = _CATEGORIES.get(record.status, record.status.value)
        if config.get_verbosity() > 0:
            return category, _LETTERS[record.status], verbose_word(record)
        return category, _LETTERS[record.status], record.status.value.upper()

    @pytest.hookimpl(trylast=True)  # after junitxml has written its file
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """Write the results document, the CSV, and JUnit's <error> elements for `error` recommendations."""
        if not self.records.started:  # no scan was opened (--collect-only)
            return
        if not session.items:  # nothing selected: exit 5, and the reports of an earlier run stay as they were
            return
        option = self.config.option
        self.records.finished = _now()
        self.records.records.sort(key=lambda r: sort_key(r.id))
        gate_exit_status(session, self.records.records)
        if option.cis_json:
            write_json(option.cis_json, self.records)
        if option.cis_csv:
            write_csv(option.cis_csv, self.records)
        if option.cis_csv_evidence:
            write_evidence_csv(option.cis_csv_evidence, self.records)
        xmlpath = getattr(option, "xmlpath", None)
        if xmlpath and Path(xmlpath).is_file():
            junit_errors_as_errors(Path(xmlpath))
            name_testcases_by_recommendation(Path(xmlpath), self.records.records)

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
        """Count the recommendations by status and name the report files."""
        if not self.records.records:
            return
        counts = {status: 0 for status in Status}
        for record in self.records.records:
            counts[record.status] += 1
        tenant = self.records.tenant_name or self.records.tenant_id or "?"
        terminalreporter.write_sep("=", f"CIS Microsoft 365 Foundations v1.3.0: {tenant}")
        terminalreporter.write_line(", ".join(f"{n} {s.value}" for s, n in counts.items()))
        write_changes(terminalreporter, self.records)
        write_gate(terminalreporter, config, self.records.records)
        write_summary(terminalreporter, config, self.records.records)
        for label, path in (
            ("JSON", config.option.cis_json),
            ("CSV", config.option.cis_csv),
            ("HTML", getattr(config.option, "htmlpath", None)),
            ("JUnit", getattr(config.option, "xmlpath", None)),
        ):
            if path:
                terminalreporter.write_line(f"{label}: {path}")


def junit_errors_as_errors(path: Path) -> None:
    """Give `error` recommendations JUnit's <error> element, as pytest does for fixture errors.

    pytest writes <error> only for setup and teardown failures; a recommendation that could not be evaluated
    fails in its call, so CI dashboards would count it among the non-compliant ones without this.
    """
    tree = ElementTree.parse(path)
    changed = False
    for suite in tree.iter("testsuite"):
        moved = 0
        for case in suite.iter("testcase"):
            status = next((p.get("value") for p in case.iter("property") if p.get("name") == "cis_status"), None)
            failure = case.find("failure")
            if status == Status.ERROR.value and failure is not None:
                failure.tag = "error"
                moved += 1
        if moved:
            changed = True
            suite.set("failures", str(int(suite.get("failures", "0")) - moved))
            suite.set("errors", str(int(suite.get("errors", "0")) + moved))
    if changed:
        tree.write(path, encoding="utf-8", xml_declaration=True)
