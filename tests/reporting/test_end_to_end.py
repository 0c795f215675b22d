"""A fake scan run through pytest with every report on: JUnit properties, JSON, CSV and HTML agree."""

from __future__ import annotations

import csv
import html
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest

from .fake_scan import FAKE_TENANT_NAME, FakeScanRun

EXPECTED = [
    ("1.1.1", "1", "compliant"),
    ("1.1.3", "2", "non_compliant"),
    ("1.1.10", "1", "manual"),
    ("2.1", "1", "not_applicable"),
    ("4.2", "1", "error"),
    ("5.1", "1", "waived"),
]
TITLE = f"CIS Microsoft 365 Foundations v1.3.0 – {FAKE_TENANT_NAME}"


def report_blob(page: str) -> dict[str, Any]:
    """pytest-html 4.x keeps the rows as JSON in an attribute; its script renders them."""
    match = re.search(r'data-jsonblob="([^"]*)"', page)
    assert match, "the report has no data container"
    return json.loads(html.unescape(match.group(1)))


def rendered_rows(page: str) -> dict[str, dict[str, Any]]:
    """Each test's row data, by node id, as the report's script will render it."""
    return {nodeid: entries[-1] for nodeid, entries in report_blob(page)["tests"].items()}


@pytest.fixture
def scan(run_fake_scan: Callable[..., FakeScanRun]) -> FakeScanRun:
    """The fake scan with a self-contained HTML report."""
    return run_fake_scan("--self-contained-html")


def test_outcomes_follow_the_statuses(scan: FakeScanRun) -> None:
    scan.result.assert_outcomes(passed=1, failed=1, skipped=3, errors=1)
    assert scan.result.ret == pytest.ExitCode.TESTS_FAILED


def test_junit_has_the_cis_properties_of_every_test(scan: FakeScanRun) -> None:
    tree = ET.parse(scan.junit_path)

    found = []
    for case in tree.iter("testcase"):
        properties = {p.get("name"): p.get("value") for p in case.iter("property")}
        found.append((properties["cis_id"], properties["cis_level"], properties["cis_status"]))
    assert found == EXPECTED


def test_json_document_lists_every_result_in_order(scan: FakeScanRun) -> None:
    document = json.loads(scan.json_path.read_text(encoding="utf-8"))

    assert document["tenant"]["id"] == "00000000-0000-0000-0000-00000000c0de"
    assert document["tenant"]["name"] == FAKE_TENANT_NAME
    assert document["summary"] == dict.fromkeys(
        ["compliant", "non_compliant", "manual", "not_applicable", "error", "waived"], 1
    )
    assert [(r["id"], str(r["level"]), r["status"]) for r in document["results"]] == EXPECTED
    assert document["results"][1]["evidence"][1] == {
        "type": "user",
        "id": "u-1",
        "name": "zoë@contoso.com",
        "detail": "permanent assignment",
    }
    assert (document["started"], document["finished"]) == ("2025-01-01T10:00:00Z", "2025-01-01T10:05:00Z")


def test_csv_matches_the_json(scan: FakeScanRun) -> None:
    with scan.csv_path.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.DictReader(stream))

    assert [(r["id"], r["level"], r["status"]) for r in rows] == EXPECTED
    assert rows[4]["reason"] == "missing permission: grant Policy.Read.All"
    assert rows[1]["evidence"].endswith("user:zoë@contoso.com [u-1] (permanent assignment)")


def test_html_title_names_the_tenant_escaped(scan: FakeScanRun) -> None:
    page = scan.html_path.read_text(encoding="utf-8")

    escaped_title = html.escape(TITLE, quote=False)
    assert f'<title id="head-title">{escaped_title}</title>' in page
    assert f'<h1 id="title">{escaped_title}</h1>' in page
    assert report_blob(page)["title"] == TITLE


def test_html_has_sortable_cis_columns_after_the_result(scan: FakeScanRun) -> None:
    page = scan.html_path.read_text(encoding="utf-8")

    headers = re.findall(r'<th class="sortable" data-column-type="(\w+)">', page)
    # pytest's test id, duration and links give way; the result column stays for pytest-html's script.
    assert headers == ["result", "cisId", "cisTitle", "cisLevel", "cisStatus", "cisSource"]
    rows = rendered_rows(page)
    row = rows["test_fake_benchmark.py::test_between_two_and_four_global_admins"]
    assert row["cisId"].endswith("1.1.3") and row["cisLevel"] == "2"
    assert 'class="cis-badge cis-badge--non_compliant"' in row["cisStatus"]
    assert row["resultsTableRow"][1].startswith('<td class="col-cisId" data-status="non_compliant"')
    error_row = rows["test_fake_benchmark.py::test_forwarding_blocked"]
    assert error_row["result"] == "Error" and "cis-badge--error" in error_row["cisStatus"]


def test_html_detail_rows_hold_reason_evidence_and_remediation(scan: FakeScanRun) -> None:
    rows = rendered_rows(scan.html_path.read_text(encoding="utf-8"))

    log = rows["test_fake_benchmark.py::test_between_two_and_four_global_admins"]["log"]
    assert log.startswith('<div class="cis-detail" data-cis-id="1.1.3">')
    assert "5 global administrators, 2 to 4 expected" in log
    assert '<table class="cis-evidence">' in log and "<td>zoë@contoso.com</td>" in log
    assert "Change it in the admin center." in log
    # pytest's own failure text would only repeat the reason: the detail is the CIS block alone.
    assert "AssertionError" not in log and log.endswith("</div>")
    # The tenant's names arrive as text, never as markup.
    assert "&lt;img src=x onerror=&quot;document.title=&#x27;pwned&#x27;&quot;&gt;" in log
    compliant = rows["test_fake_benchmark.py::test_admins_have_mfa"]["log"]
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in compliant
    assert "No log output captured." not in compliant
    for row in rows.values():
        assert "<script" not in row["log"] and "<img" not in row["log"]


def test_html_summary_has_counts_chart_and_sections(scan: FakeScanRun) -> None:
    page = scan.html_path.read_text(encoding="utf-8")

    for status in ["compliant", "non_compliant", "manual", "not_applicable", "error", "waived"]:
        assert f'data-status="{status}" aria-pressed="false"' in page
        assert re.search(rf'data-status="{status}"[^>]*>[^<]*<span class="cis-count-tile__number">1</span>', page)
    assert page.count("<svg") == 1 and 'class="cis-chart"' in page
    assert '<option value="4">4 Email Security / Exchange Online</option>' in page
    # Self-contained: the stylesheets are inline and nothing is fetched.
    assert "<link" not in page and not (scan.html_path.parent / "assets").exists()
    assert page.count("<script") == 2  # pytest-html's own and the filter script, nothing from the data


def test_html_without_self_contained_keeps_the_cis_parts(run_fake_scan: Callable[..., FakeScanRun]) -> None:
    scan = run_fake_scan()

    page = scan.html_path.read_text(encoding="utf-8")
    assert (scan.html_path.parent / "assets" / "style.css").is_file()
    assert 'data-column-type="cisStatus"' in page and 'class="cis-chart"' in page
    assert "cis-badge--waived" in rendered_rows(page)["test_fake_benchmark.py::test_audit_log_search_on"]["cisStatus"]


def test_without_html_the_other_reports_are_still_written(run_fake_scan: Callable[..., FakeScanRun]) -> None:
    scan = run_fake_scan(html=False)

    scan.result.assert_outcomes(passed=1, failed=1, skipped=3, errors=1)
    assert json.loads(scan.json_path.read_text(encoding="utf-8"))["summary"]["waived"] == 1
    assert len(scan.csv_path.read_text(encoding="utf-8-sig").splitlines()) == 7
    assert scan.junit_path.is_file()
    assert not scan.html_path.exists()
