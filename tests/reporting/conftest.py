"""Fixtures for the reporting tests: a hand-built scan, a fake scan run through pytester, a browser."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from plugins.reporting.records import ScanRecords

from .fake_scan import FakeScanOutputs, FakeScanRun, write_fake_scan
from .headless_browser import HeadlessChromium
from .samples import sample_records


def pytest_configure(config: pytest.Config) -> None:
    # pytester is needed here only; `pytest_plugins` is refused in a conftest below the rootdir.
    if not config.pluginmanager.has_plugin("pytester"):
        config.pluginmanager.import_plugin("pytester")


@pytest.fixture
def sample_scan() -> ScanRecords:
    """A finished scan of a tenant whose name needs escaping."""
    return ScanRecords(
        tenant_id="00000000-0000-0000-0000-00000000c0de",
        tenant_name="Contoso <b>Ltd</b> & Co",
        started="2025-01-01T10:00:00Z",
        finished="2025-01-01T10:05:00Z",
        scanner_version="1.2.3",
        records=sample_records(),
    )


@pytest.fixture
def run_fake_scan(pytester: pytest.Pytester) -> Callable[..., FakeScanRun]:
    """Run six fake recommendations (one per status) through pytest with every report turned on.

    A throwaway plugin stands in for plugins/reporting/reporter.py, doing what it promises: records on the
    reports, JUnit properties, the html plugin registered under --html, JSON and CSV at session end.
    """
    write_fake_scan(pytester.path)
    pytester.syspathinsert()

    def run(*extra_args: str, html: bool = True) -> FakeScanRun:
        outputs = FakeScanOutputs.under(pytester.path / "out")
        result = pytester.runpytest(*outputs.arguments(html=html), *extra_args)
        return FakeScanRun(result, outputs.json_path, outputs.csv_path, outputs.html_path, outputs.junit_path)

    return run


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> HeadlessChromium:
    """Headless chromium with one throwaway profile (skips, or fails under O365CIS_REQUIRE_BROWSER=1)."""
    return HeadlessChromium.for_tests(tmp_path_factory.mktemp("chromium"))
