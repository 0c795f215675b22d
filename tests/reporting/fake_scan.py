"""Source of the throwaway plugin and fake recommendations that the end-to-end tests run with pytester.

The plugin does what plugins/reporting/reporter.py promises the reporters: a CisRecord on the report that
decides a test's outcome, the cis_* JUnit properties, the html plugin registered under --html, and the
JSON and CSV written at session end. Each fake recommendation ends in one of the six statuses.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]

# The fake plugin, and none of the installed plugins the reports do not need: the real o365-cis plugin
# (an entry point these tests must not depend on), and hypothesis and pytest-benchmark, whose
# start-up and summaries cost a run a second each.
ISOLATED_RUN: tuple[str, ...] = (
    "-p",
    "fake_scan_plugin",
    "-p",
    "no:plugins.cis_plugin",
    "-p",
    "no:cacheprovider",
    "-p",
    "no:hypothesispytest",
    "-p",
    "no:benchmark",
)

FAKE_TENANT_NAME = "Contoso <b>Ltd</b> & Co"
FAKE_TENANT_ID = "00000000-0000-0000-0000-00000000c0de"

FAKE_SCAN_PLUGIN = r"""
from __future__ import annotations

import pytest

from o365cis.findings import Status
from plugins.reporting.records import SCAN_RECORDS, CisRecord, ScanRecords
from plugins.reporting import html_report
from plugins.reporting.csv_report import write_csv
from plugins.reporting.document import write_json


def pytest_addoption(parser):
    parser.addoption("--fake-json")
    parser.addoption("--fake-csv")


def pytest_configure(config):
    config.addinivalue_line("markers", "cis(**facts): a fake recommendation and its finding")
    config.stash[SCAN_RECORDS] = ScanRecords(
        tenant_id="@TENANT_ID@", started="2025-01-01T10:00:00Z", scanner_version="0.0.0-test"
    )
    if config.getoption("htmlpath", None) and config.pluginmanager.hasplugin("html"):
        config.pluginmanager.register(html_report.CisHtmlReport(config), "o365cis-html")


def pytest_collection_finish(session):
    # Known only after pytest-html set its title at session start: the report must catch up.
    session.config.stash[SCAN_RECORDS].tenant_name = "@TENANT_NAME@"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    marker = item.get_closest_marker("cis")
    if marker is None or report.when == "teardown" or (report.when == "setup" and report.passed):
        return report
    facts = dict(marker.kwargs)
    record = CisRecord(status=Status(facts.pop("status")), nodeid=item.nodeid, **facts)
    report.cis_record = record
    properties = [("cis_id", record.id), ("cis_level", str(record.level)), ("cis_status", record.status.value)]
    # JUnit XML writes the teardown report's properties, which pytest copies from the item.
    item.user_properties.extend(properties)
    report.user_properties.extend(properties)
    item.config.stash[SCAN_RECORDS].records.append(record)
    return report


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session):
    config = session.config
    scan = config.stash[SCAN_RECORDS]
    scan.finished = "2025-01-01T10:05:00Z"
    if config.getoption("fake_json"):
        write_json(config.getoption("fake_json"), scan)
    if config.getoption("fake_csv"):
        write_csv(config.getoption("fake_csv"), scan)
""".replace("@TENANT_ID@", FAKE_TENANT_ID).replace("@TENANT_NAME@", FAKE_TENANT_NAME)

FAKE_SCAN_TESTS = r"""
import pytest

SECTION_1 = "1 Account / Authentication"
SCRIPT_NAME = "<script>document.title='pwned'</script>"
IMG_NAME = "<img src=x onerror=\"document.title='pwned'\">"


def cis(**facts):
    values = {"level": 1, "license": "E3", "automated": True, "source": "graph", "evidence": [],
              "remediation": "Change it in the admin center."}
    values.update(facts)
    return pytest.mark.cis(**values)


@pytest.fixture
def refused_read():
    raise RuntimeError("403 Authorization_RequestDenied: grant Policy.Read.All")


@cis(id="1.1.1", title="Ensure MFA for administrative roles", section=SECTION_1, status="compliant",
     reason="Every admin is covered",
     evidence=[{"type": "conditionalAccessPolicy", "id": "p-1", "name": SCRIPT_NAME, "detail": "enabled"}])
def test_admins_have_mfa():
    pass


@cis(id="1.1.3", title="Ensure between two and four global admins", section=SECTION_1, level=2,
     status="non_compliant", reason="5 global administrators, 2 to 4 expected",
     evidence=[{"type": "conditionalAccessPolicy", "id": "p-2", "name": IMG_NAME, "detail": "reportOnly"},
               {"type": "user", "id": "u-1", "name": "zoë@contoso.com", "detail": "permanent assignment"}])
def test_between_two_and_four_global_admins():
    assert False, "5 global administrators"


@cis(id="1.1.10", title="Ensure break-glass accounts are reviewed", section=SECTION_1, automated=False,
     status="manual", source="none", reason="Review the break-glass accounts")
def test_break_glass_reviewed():
    pytest.skip("manual: review the break-glass accounts")


@cis(id="2.1", title="Ensure hybrid password writeback", section="2 Application Permissions",
     status="not_applicable", reason="cloud-only tenant")
def test_password_writeback():
    pytest.skip("not applicable: cloud-only tenant")


@cis(id="4.2", title="Ensure mail forwarding is blocked", section="4 Email Security / Exchange Online",
     license="E5", status="error", source="none", reason="missing permission: grant Policy.Read.All")
def test_forwarding_blocked(refused_read):
    pass


@cis(id="5.1", title="Ensure audit log search is on", section="5 Auditing", status="waived",
     reason="waived until 2099-01-31: merger")
def test_audit_log_search_on():
    pytest.skip("waived: merger")
"""


@dataclass(frozen=True)
class FakeScanOutputs:
    """Where a fake scan writes its four reports."""

    json_path: Path
    csv_path: Path
    html_path: Path
    junit_path: Path

    @classmethod
    def under(cls, out: Path) -> FakeScanOutputs:
        """The reports' paths inside the folder out (the JSON one folder deeper, to need mkdir)."""
        return cls(out / "json" / "results.json", out / "results.csv", out / "report.html", out / "junit.xml")

    def arguments(self, *, html: bool = True) -> list[str]:
        """The pytest arguments that ask the fake scan for these reports."""
        html_args = [f"--html={self.html_path}"] if html else []
        return [
            *ISOLATED_RUN,
            *html_args,
            f"--junitxml={self.junit_path}",
            f"--fake-json={self.json_path}",
            f"--fake-csv={self.csv_path}",
        ]


@dataclass(frozen=True)
class FakeScanRun:
    """What a fake scan through pytest wrote: its outcome and the four report files."""

    result: pytest.RunResult
    json_path: Path
    csv_path: Path
    html_path: Path
    junit_path: Path


def write_fake_scan(directory: Path) -> None:
    """Write the fake plugin and the fake recommendations into directory."""
    (directory / "fake_scan_plugin.py").write_text(FAKE_SCAN_PLUGIN, encoding="utf-8")
    (directory / "test_fake_benchmark.py").write_text(FAKE_SCAN_TESTS, encoding="utf-8")


def run_fake_scan_subprocess(
    directory: Path, *extra_args: str
) -> tuple[subprocess.CompletedProcess[str], FakeScanOutputs]:
    """Run the fake scan with `python -m pytest` in directory, as a user would; every report turned on."""
    write_fake_scan(directory)
    outputs = FakeScanOutputs.under(directory / "out")
    python_path = os.pathsep.join(filter(None, [str(directory), str(REPOSITORY_ROOT), os.environ.get("PYTHONPATH")]))
    environment = {**os.environ, "PYTHONPATH": python_path}
    environment.pop("PYTEST_ADDOPTS", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *outputs.arguments(), *extra_args],
        cwd=directory,
        env=environment,
        capture_output=True,
        text=True,
        check=False,  # the fake scan fails by design: it has a non-compliant and an error result
        timeout=300,
    )
    return result, outputs
