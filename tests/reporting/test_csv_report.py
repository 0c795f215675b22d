"""The CSV report: one row per recommendation, quoted by the csv module, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from o365cis.findings import Status
from plugins.reporting.csv_report import CELL_LIMIT, CSV_COLUMNS, write_csv
from plugins.reporting.evidence import evidence_summary
from plugins.reporting.records import ScanRecords

from .samples import FORMULA_NAME, IMG_NAME, SCRIPT_NAME, make_record


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.DictReader(stream))


def test_header_and_one_row_per_recommendation_in_order(tmp_path: Path, sample_scan: ScanRecords) -> None:
    target = write_csv(tmp_path / "sub" / "results.csv", sample_scan)

    with target.open(encoding="utf-8-sig", newline="") as stream:
        header = next(csv.reader(stream))
    rows = read_rows(target)
    assert header == list(CSV_COLUMNS)
    assert header == [
        "id",
        "title",
        "section",
        "level",
        "license",
        "automated",
        "status",
        "source",
        "reason",
        "evidence",
        "remediation",
    ]
    assert [row["id"] for row in rows] == ["1.1.1", "1.1.9", "1.1.10", "2.1", "4.2", "4.3", "5.1"]
    assert [row["status"] for row in rows] == [
        "compliant",
        "manual",
        "non_compliant",
        "not_applicable",
        "error",
        "non_compliant",
        "waived",
    ]


def test_row_values(tmp_path: Path, sample_scan: ScanRecords) -> None:
    rows = read_rows(write_csv(tmp_path / "results.csv", sample_scan))

    mismatch = rows[2]
    assert mismatch["title"] == "Recommendation 1.1.10"
    assert mismatch["section"] == "1 Account / Authentication"
    assert (mismatch["level"], mismatch["license"], mismatch["automated"]) == ("2", "E5", "true")
    assert mismatch["source"] == "graph"
    assert mismatch["remediation"] == "Fix 1.1.10 in the admin center."
    assert rows[3]["automated"] == "false"


def test_commas_quotes_and_newlines_survive_a_round_trip(tmp_path: Path, sample_scan: ScanRecords) -> None:
    target = write_csv(tmp_path / "results.csv", sample_scan)

    rows = read_rows(target)
    assert rows[2]["reason"] == 'Policy "Block legacy auth", report-only\nno enforcement'
    assert '"Policy ""Block legacy auth"", report-only\nno enforcement"' in target.read_text(encoding="utf-8-sig")


def test_evidence_is_a_compact_readable_join(tmp_path: Path, sample_scan: ScanRecords) -> None:
    rows = read_rows(write_csv(tmp_path / "results.csv", sample_scan))

    assert rows[0]["evidence"] == f"conditionalAccessPolicy:{SCRIPT_NAME} [p-1] (enabled)"
    assert rows[2]["evidence"] == (
        f"conditionalAccessPolicy:{IMG_NAME} [p-2] (state: reportOnly); user:Zoë Café – admin [u-1]"
    )
    assert rows[1]["evidence"] == ""


def test_evidence_summary_leaves_out_missing_parts() -> None:
    assert (
        evidence_summary([{"type": "domain", "id": None, "name": "contoso.com", "detail": None}])
        == "domain:contoso.com"
    )
    assert evidence_summary([{"type": "user", "id": "u-9", "name": None, "detail": "no MFA"}]) == "user:u-9 (no MFA)"
    assert evidence_summary([]) == ""


def test_a_formula_from_the_tenant_stays_text(tmp_path: Path, sample_scan: ScanRecords) -> None:
    rows = read_rows(write_csv(tmp_path / "results.csv", sample_scan))

    # The cell starts with the type, so it is not a formula; a reason starting with "=" is neutralised.
    assert rows[5]["evidence"] == f"transportRule:{FORMULA_NAME} (forwards, externally)"
    scan = ScanRecords(records=[make_record("1.1.1", Status.NON_COMPLIANT, reason="=cmd|' /C calc'!A0")])
    row = read_rows(write_csv(tmp_path / "formula.csv", scan))[0]
    assert row["reason"] == "'=cmd|' /C calc'!A0"


def test_csv_is_utf8_with_a_byte_order_mark_for_excel(tmp_path: Path, sample_scan: ScanRecords) -> None:
    raw = write_csv(tmp_path / "results.csv", sample_scan).read_bytes()

    assert raw.startswith(b"\xef\xbb\xbf") and not raw[3:].startswith(b"\xef\xbb\xbf")
    assert "Zoë Café – admin".encode() in raw


def test_an_empty_scan_writes_only_the_header(tmp_path: Path) -> None:
    target = write_csv(tmp_path / "empty.csv", ScanRecords())

    assert target.read_text(encoding="utf-8-sig").splitlines() == [",".join(CSV_COLUMNS)]


def test_long_evidence_is_capped_below_excels_cell_limit(tmp_path: Path) -> None:
    evidence = [
        {"type": "user", "id": f"u-{i}", "name": f"user{i}@contoso.com", "detail": "x" * 40} for i in range(900)
    ]
    scan = ScanRecords(records=[make_record("1.1.2", Status.NON_COMPLIANT, evidence=evidence)])

    cell = read_rows(write_csv(tmp_path / "results.csv", scan))[0]["evidence"]

    assert len(evidence_summary(evidence)) > 32_767
    assert len(cell) <= CELL_LIMIT < 32_767
    assert cell.startswith("user:user0@contoso.com [u-0]")
    assert re.search(r" … \([\d,]+ more characters: see the JSON results\)$", cell)
