"""The results document (CONTRACT.md section 3) and the status counts."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from o365cis.findings import STATUS_ORDER, Status
from plugins.reporting.document import build_document, counts_by_section, summary_counts, write_json
from plugins.reporting.records import ScanRecords

from .samples import SCRIPT_NAME, make_record

SIX_STATUSES = ["compliant", "non_compliant", "manual", "not_applicable", "error", "waived"]
RESULT_KEYS = [
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
]


def test_document_has_exactly_the_contract_keys(sample_scan: ScanRecords) -> None:
    document = build_document(sample_scan)

    assert list(document) == ["benchmark", "tenant", "scanner", "run", "started", "finished", "summary", "results"]
    assert document["benchmark"] == {"name": "CIS Microsoft 365 Foundations Benchmark", "version": "1.3.0"}
    assert document["tenant"] == {
        "id": "00000000-0000-0000-0000-00000000c0de",
        "name": "Contoso <b>Ltd</b> & Co",
        "initial_domain": None,
    }
    assert document["scanner"] == {"version": "1.2.3"}
    assert (document["started"], document["finished"]) == ("2025-01-01T10:00:00Z", "2025-01-01T10:05:00Z")
    assert all(list(result) == RESULT_KEYS for result in document["results"])


def test_summary_counts_every_status(sample_scan: ScanRecords) -> None:
    document = build_document(sample_scan)

    assert list(document["summary"]) == SIX_STATUSES
    assert document["summary"] == {
        "compliant": 1,
        "non_compliant": 2,
        "manual": 1,
        "not_applicable": 1,
        "error": 1,
        "waived": 1,
    }


def test_results_keep_benchmark_order_and_values(sample_scan: ScanRecords) -> None:
    results = build_document(sample_scan)["results"]

    assert [r["id"] for r in results] == ["1.1.1", "1.1.9", "1.1.10", "2.1", "4.2", "4.3", "5.1"]
    mismatch = results[2]
    assert mismatch["status"] == "non_compliant"
    assert (mismatch["level"], mismatch["license"], mismatch["automated"]) == (2, "E5", True)
    assert mismatch["evidence"][0] == {
        "type": "conditionalAccessPolicy",
        "id": "p-2",
        "name": "<img src=x onerror=\"document.title='pwned'\">",
        "detail": "state: reportOnly",
    }
    assert results[3]["automated"] is False
    assert results[4]["source"] == "none"


def test_empty_scan_still_has_six_zero_counts() -> None:
    document = build_document(ScanRecords())

    assert document["summary"] == dict.fromkeys(SIX_STATUSES, 0)
    assert document["results"] == []
    assert document["tenant"] == {"id": None, "name": None, "initial_domain": None}
    # The product's own version stands in when the plugin did not set one.
    assert document["scanner"]["version"]


def test_counts_by_section_in_order_of_first_appearance(sample_scan: ScanRecords) -> None:
    sections = counts_by_section(sample_scan.records)

    assert list(sections) == [
        "1 Account / Authentication",
        "2 Application Permissions",
        "4 Email Security / Exchange Online",
        "5 Auditing",
    ]
    assert sections["1 Account / Authentication"] == {
        "compliant": 1,
        "non_compliant": 1,
        "manual": 1,
        "not_applicable": 0,
        "error": 0,
        "waived": 0,
    }
    assert sections["4 Email Security / Exchange Online"]["error"] == 1
    assert all(list(counts) == SIX_STATUSES for counts in sections.values())


def test_write_json_creates_folders_and_writes_utf8(tmp_path: Path, sample_scan: ScanRecords) -> None:
    target = tmp_path / "deep" / "er" / "results.json"

    written = write_json(target, sample_scan)

    raw = target.read_bytes()
    assert written == target
    assert json.loads(raw.decode("utf-8")) == build_document(sample_scan)
    # Non-ASCII stays readable, the layout is indented by two spaces, and markup is data, untouched.
    assert "Zoë Café – admin".encode() in raw
    assert raw.decode("utf-8").splitlines()[1].startswith('  "benchmark"')
    assert json.dumps(SCRIPT_NAME)[1:-1].encode() in raw


def test_write_json_accepts_a_string_path(tmp_path: Path) -> None:
    scan = ScanRecords(records=[make_record("1.1.1", Status.COMPLIANT)])

    write_json(str(tmp_path / "r.json"), scan)

    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["summary"]["compliant"] == 1


@given(st.lists(st.sampled_from(STATUS_ORDER), max_size=40))
def test_summary_always_has_six_keys_and_adds_up(statuses: list[Status]) -> None:
    records = [make_record(f"9.{index}", status) for index, status in enumerate(statuses)]

    counts = summary_counts(records)

    assert list(counts) == SIX_STATUSES
    assert sum(counts.values()) == len(records)
    assert all(counts[status.value] == statuses.count(status) for status in STATUS_ORDER)
    by_section = counts_by_section(records)
    assert sum(sum(c.values()) for c in by_section.values()) == len(records)
