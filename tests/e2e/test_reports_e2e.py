"""The reports of real scans through the real plugin: the results document (CONTRACT.md section 3), the CSV, the
JUnit XML and the HTML report as headless chromium renders it; and where a scan writes them by default."""

from __future__ import annotations

import csv
import datetime as dt
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from o365cis import __version__
from tests.fake_tenant.model import Scenario
from tests.harness.scan import FakeCloud
from tests.reporting.headless_browser import HeadlessChromium

from .conftest import (
    EXPIRED_WAIVER_ID,
    REFUSED_ID,
    STATUSES,
    WAIVED_ID,
    PytestRun,
    SavedScan,
    leaked_secrets,
    organisation_name,
    run_pytest,
)

DOCUMENT_KEYS = {"benchmark", "tenant", "scanner", "run", "started", "finished", "summary", "results"}
RUN_KEYS = {"mode", "data_as_of", "level", "license", "selected", "config_sha256", "catalogue_version"}
RESULT_KEYS = {
    "id",
    "title",
    "section",
    "level",
    "license",
    "automated",
    "status",
    "reason",
    "evidence",
    "source",
    "remediation",
}
EVIDENCE_KEYS = {"type", "id", "name", "detail"}
SOURCES = {"graph", "dns", "exchange", "teams", "sharepoint", "securescore", "config", "none"}
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$")
#: The JUnit child element each status's testcase carries (None: none, the test passed).
JUNIT_OUTCOME: dict[str, set[str | None]] = {
    "compliant": {None},
    "non_compliant": {"failure"},
    "error": {"error"},  # JUnit's <error>, as for fixture errors (the plugin rewrites pytest's <failure>)
    "manual": {"skipped"},
    "not_applicable": {"skipped"},
    "waived": {"skipped"},
}
SCANS = ["golden", "mixed"]
#: The run a user makes without any report option: the two recommendations picked stay quick.
DEFAULT_REPORTS = ("reports/report.html", "reports/junit.xml", "reports/results.json", "reports/results.csv")


@pytest.fixture(params=SCANS)
def scan(request: pytest.FixtureRequest, golden_scan: PytestRun) -> PytestRun:
    """The golden scan (compliant and manual) and the mixed one (every status but not_applicable)."""
    if request.param == "golden":
        return golden_scan
    saved: SavedScan = request.getfixturevalue("mixed_scan")
    return saved.run


# The results document ------------------------------------------------------------------------------------------


def test_document_has_exactly_the_contract_keys(scan: PytestRun) -> None:
    document = scan.document()

    assert set(document) == DOCUMENT_KEYS
    assert document["benchmark"] == {"name": "CIS Microsoft 365 Foundations Benchmark", "version": "1.3.0"}
    assert set(document["tenant"]) == {"id", "name", "initial_domain"} and set(document["scanner"]) == {"version"}
    assert set(document["run"]) == RUN_KEYS and document["run"]["mode"] == "live"
    # A live scan reads its data as it runs; only a snapshot's data is older than the scan.
    assert document["run"]["data_as_of"] == document["started"]
    assert re.fullmatch(r"[0-9a-f]{64}", document["run"]["config_sha256"])
    assert len(document["results"]) == 84
    for result in document["results"]:
        # `waiver` is on waived results (and non_compliant ones whose waiver expired) only.
        assert set(result) - {"waiver"} == RESULT_KEYS, result["id"]
        expired = result["id"] == EXPIRED_WAIVER_ID and result["status"] == "non_compliant"
        assert ("waiver" in result) == (result["status"] == "waived" or expired), result
        assert result["status"] in STATUSES and result["source"] in SOURCES
        assert result["level"] in (1, 2) and result["license"] in ("E3", "E5") and isinstance(result["automated"], bool)
        assert result["reason"] and result["remediation"] and result["title"] and result["section"]
        for item in result["evidence"]:
            assert set(item) == EVIDENCE_KEYS, (result["id"], item)


def test_summary_has_the_six_statuses_counted_from_the_results(scan: PytestRun) -> None:
    document = scan.document()

    assert list(document["summary"]) == list(STATUSES)
    for status in STATUSES:
        assert document["summary"][status] == sum(1 for r in document["results"] if r["status"] == status)


def test_document_names_the_tenant_and_the_scanner(golden_scan: PytestRun, golden: Scenario) -> None:
    document = golden_scan.document()

    assert document["tenant"]["id"] == golden.tenant_id
    assert document["tenant"]["name"] == organisation_name(golden)
    assert document["tenant"]["initial_domain"].endswith(".onmicrosoft.com")
    assert GUID.match(document["tenant"]["id"])
    assert document["scanner"] == {"version": __version__}


def test_started_and_finished_are_iso_8601_utc(scan: PytestRun) -> None:
    document = scan.document()
    started, finished = document["started"], document["finished"]

    assert ISO_UTC.match(started) and ISO_UTC.match(finished), (started, finished)
    start = dt.datetime.fromisoformat(started.replace("Z", "+00:00"))
    end = dt.datetime.fromisoformat(finished.replace("Z", "+00:00"))
    assert start.utcoffset() == dt.timedelta(0)
    assert start <= end
    # Written during this test session, by this machine's clock: not in the future, not days old.
    assert dt.timedelta(0) <= dt.datetime.now(dt.UTC) - end < dt.timedelta(days=1)


# CSV and JUnit ---------------------------------------------------------------------------------------------------


def test_csv_has_one_row_per_result_with_the_same_status(scan: PytestRun) -> None:
    with scan.csv_path.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.DictReader(stream))
    results = scan.results()

    assert [row["id"] for row in rows] == list(results)
    for row in rows:
        result = results[row["id"]]
        assert (row["status"], row["source"], row["level"]) == (
            result["status"],
            result["source"],
            str(result["level"]),
        )
        assert row["title"] == result["title"]


def junit_records(run: PytestRun) -> dict[str, tuple[str, str, set[str | None]]]:
    """cis_id -> (cis_level, cis_status, outcome elements) of every testcase in the JUnit XML."""
    records: dict[str, tuple[str, str, set[str | None]]] = {}
    for case in ET.parse(run.junit_path).iter("testcase"):
        properties = {p.get("name"): p.get("value") for p in case.iter("property")}
        outcomes: set[str | None] = {child.tag for child in case if child.tag in ("failure", "error", "skipped")} or {
            None
        }
        cis_id = str(properties["cis_id"])
        assert cis_id not in records, f"{cis_id} appears twice"
        records[cis_id] = (str(properties["cis_level"]), str(properties["cis_status"]), outcomes)
    return records


def test_junit_testcases_carry_the_cis_properties_of_the_json(scan: PytestRun) -> None:
    records = junit_records(scan)
    results = scan.results()

    assert set(records) == set(results)
    for rec_id, (level, status, _) in records.items():
        assert (level, status) == (str(results[rec_id]["level"]), results[rec_id]["status"])


def test_junit_outcome_follows_the_status(scan: PytestRun) -> None:
    for rec_id, (_, status, outcomes) in junit_records(scan).items():
        assert outcomes <= JUNIT_OUTCOME[status] and len(outcomes) == 1, (rec_id, status, outcomes)


def test_mixed_scan_shows_error_and_waived_in_junit(mixed_scan: SavedScan) -> None:
    records = junit_records(mixed_scan.run)

    assert records[REFUSED_ID][1] == "error" and records[REFUSED_ID][2] == {"error"}
    assert records[WAIVED_ID][1:] == ("waived", {"skipped"})


def test_reports_hold_no_secret(golden_scan: PytestRun) -> None:
    assert len(golden_scan.written_files()) == 4
    assert leaked_secrets(golden_scan) == {}


# The HTML report, as a browser renders it -----------------------------------------------------------------------


class RenderedDom(HTMLParser):
    """The serialised DOM as elements (tag, attributes, all text inside), with the status badge of each row."""

    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"})

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.texts: list[str] = []
        self.row_badges: list[str] = []
        self._open: list[int] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        parent = self.elements[self._open[-1]] if self._open else ("", {})
        if (
            tag == "span"
            and "cis-badge" in attributes.get("class", "")
            and "col-cisStatus" in parent[1].get("class", "")
        ):
            self.row_badges.append(attributes["class"])
        self.elements.append((tag, attributes))
        self.texts.append("")
        if tag not in self.VOID:
            self._open.append(len(self.elements) - 1)

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            if self.elements[self._open.pop()][0] == tag:
                break

    def handle_data(self, data: str) -> None:
        for index in self._open:
            self.texts[index] += data

    def find(self, tag: str, css_class: str = "") -> list[int]:
        """Indexes of the `tag` elements whose class list holds `css_class`."""
        return [
            i
            for i, (name, attrs) in enumerate(self.elements)
            if name == tag and (not css_class or css_class in attrs.get("class", "").split())
        ]


@pytest.fixture(scope="module")
def rendered(mixed_scan: SavedScan, tmp_path_factory: pytest.TempPathFactory) -> RenderedDom:
    """The mixed scan's HTML report after pytest-html's script built it in headless chromium."""
    chromium = HeadlessChromium.for_tests(tmp_path_factory.mktemp("chromium"))
    return RenderedDom(chromium.dump_dom(mixed_scan.run.html_path))


def test_html_report_is_self_contained(mixed_scan: SavedScan) -> None:
    page = mixed_scan.run.html_path.read_text(encoding="utf-8")

    assert "<link" not in page and not re.search(r"<script[^>]+src=", page)
    assert not (mixed_scan.run.out / "assets").exists()


def test_rendered_report_has_the_cis_columns_and_a_row_per_result(rendered: RenderedDom, mixed_scan: SavedScan) -> None:
    results = mixed_scan.run.results()
    columns = [rendered.elements[i][1].get("data-column-type") for i in rendered.find("th", "sortable")]

    assert columns == ["result", "cisId", "cisTitle", "cisLevel", "cisStatus", "cisSource"]
    row_ids = [rendered.texts[i].strip() for i in rendered.find("td", "col-cisId")]
    assert sorted(row_ids) == sorted(results)
    levels = [rendered.texts[i].strip() for i in rendered.find("td", "col-cisLevel")]
    assert levels == [str(results[rec_id]["level"]) for rec_id in row_ids]


def test_rendered_rows_show_each_status_as_a_badge(rendered: RenderedDom, mixed_scan: SavedScan) -> None:
    results = mixed_scan.run.results()
    row_ids = [rendered.texts[i].strip() for i in rendered.find("td", "col-cisId")]

    assert rendered.row_badges == [f"cis-badge cis-badge--{results[rec_id]['status']}" for rec_id in row_ids]
    shown = {badge.rsplit("--", 1)[1] for badge in rendered.row_badges}
    assert shown == {"compliant", "non_compliant", "manual", "error", "waived"}


def test_rendered_report_has_the_chart_and_the_counts(rendered: RenderedDom, mixed_scan: SavedScan) -> None:
    summary = mixed_scan.run.document()["summary"]
    charts = rendered.find("svg", "cis-chart")

    assert len(charts) == 1
    assert rendered.elements[charts[0]][1]["role"] == "img"
    label = rendered.elements[charts[0]][1]["aria-label"]
    assert f"{summary['compliant']} compliant" in label and f"{summary['waived']} waived" in label
    assert rendered.find("rect", "cis-chart-segment")
    tiles = [rendered.texts[i].strip() for i in rendered.find("span", "cis-count-tile__number")]
    assert tiles == [str(summary[s]) for s in STATUSES]


def test_rendered_details_hold_the_evidence_table(rendered: RenderedDom, mixed_scan: SavedScan) -> None:
    results = mixed_scan.run.results()
    details = {rendered.elements[i][1].get("data-cis-id"): i for i in rendered.find("div", "cis-detail")}
    tables = " ".join(rendered.texts[i] for i in rendered.find("table", "cis-evidence"))

    assert set(details) == set(results)
    assert tables
    for item in results["1.1.1"]["evidence"]:
        assert item["name"] in tables and item["id"] in tables
    assert results[WAIVED_ID]["reason"].split(":")[0] in rendered.texts[details[WAIVED_ID]]


def test_rendered_title_names_the_tenant(rendered: RenderedDom, mixed_scan: SavedScan) -> None:
    titles = [rendered.texts[i] for i in rendered.find("h1")]
    assert any(str(mixed_scan.run.document()["tenant"]["name"]) in title for title in titles)


# Default report locations -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def default_reports_run(
    cloud: FakeCloud, golden: Scenario, golden_config_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> PytestRun:
    """A scan given no report option, run from a folder of its own."""
    where = tmp_path_factory.mktemp("default-reports")
    return run_pytest(
        [*cloud.args(golden), f"--cis-config={golden_config_file}", "-k", "forms or office_store"],
        out=where / "reports",
        cwd=where,
        env=cloud.env(golden),
    )


def test_scan_without_report_options_writes_all_four_under_reports(default_reports_run: PytestRun) -> None:
    run = default_reports_run

    assert run.returncode == pytest.ExitCode.OK, run.describe()
    for relative in DEFAULT_REPORTS:
        assert (run.cwd / relative).is_file(), relative
    assert sorted(run.written_files()) == sorted(run.cwd / relative for relative in DEFAULT_REPORTS)
    assert list(run.statuses()) == ["2.9", "2.10"]
    assert set(junit_records(run)) == {"2.9", "2.10"}
    assert leaked_secrets(run) == {}


def _fieldnames(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.DictReader(stream).fieldnames or [])


def test_default_csv_names_its_columns(default_reports_run: PytestRun) -> None:
    fields: list[Any] = _fieldnames(default_reports_run.csv_path)
    assert {"id", "title", "status", "source", "reason"} <= set(fields)
