"""Run-to-run comparison: the change of each result, reading a baseline, and what fails a run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from o365cis.findings import Status
from plugins.reporting.baseline import (
    BaselineError,
    apply_baseline,
    change_counts,
    change_of,
    check_benchmark,
    check_tenant,
    fails_run,
    load_baseline,
)

from .samples import make_record


@pytest.mark.parametrize(
    ("before", "now", "change"),
    [
        (None, "compliant", "new"),
        ("non_compliant", "compliant", "fixed"),
        ("error", "waived", "fixed"),
        ("compliant", "non_compliant", "regressed"),
        ("compliant", "error", "regressed"),
        ("manual", "non_compliant", "changed"),  # not compliant before: got no worse by the contract's words
        ("waived", "non_compliant", "changed"),  # a waiver expired
        ("compliant", "manual", "changed"),
        ("non_compliant", "error", "changed"),
        ("manual", "manual", "unchanged"),
    ],
)
def test_change_follows_the_contract(before: str | None, now: str, change: str) -> None:
    assert change_of(before, now) == change


def write_document(path: Path, **overrides: object) -> Path:
    document = {
        "benchmark": {"name": "CIS Microsoft 365 Foundations Benchmark", "version": "1.3.0"},
        "tenant": {"id": "76B578AF-7142-45F6-87E5-691253EE57D0", "name": "Northwind"},
        "started": "2026-10-30T08:15:02Z",
        "results": [{"id": "1.1.1", "status": "compliant"}, {"id": "1.1.3", "status": "non_compliant"}],
        **overrides,
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_baseline_records_each_result_and_its_change(tmp_path: Path) -> None:
    baseline = load_baseline(write_document(tmp_path / "old.json"))
    records = [
        make_record("1.1.1", Status.NON_COMPLIANT),
        make_record("1.1.3", Status.COMPLIANT),
        make_record("1.1.4", Status.COMPLIANT),
    ]

    apply_baseline(records, baseline)

    assert [(r.change, r.baseline_status) for r in records] == [
        ("regressed", "compliant"),
        ("fixed", "non_compliant"),
        ("new", None),
    ]
    assert change_counts(records) == {"regressed": 1, "new": 1, "fixed": 1, "changed": 0, "unchanged": 0}
    assert fails_run(records, "regression") and not fails_run(records[1:], "regression")


def test_tenant_ids_compare_case_insensitively(tmp_path: Path) -> None:
    baseline = load_baseline(write_document(tmp_path / "old.json"))

    check_tenant(baseline, "76b578af-7142-45f6-87e5-691253ee57d0")
    with pytest.raises(BaselineError, match="is of tenant 76B578AF-.*, this scan of other-tenant"):
        check_tenant(baseline, "other-tenant")
    with pytest.raises(BaselineError, match="benchmark version 1.3.0, this scan of 3.0.0"):
        check_benchmark(baseline, "3.0.0")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read it"),
        ("{not json", "not JSON"),
        ('{"results": {}}', "not an o365-cis results document"),
        ("[]", "not an o365-cis results document"),
    ],
)
def test_an_unusable_baseline_is_one_line(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "baseline.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")

    with pytest.raises(BaselineError, match=message) as raised:
        load_baseline(path)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("statuses", "fail_on", "fails"),
    [
        ([Status.COMPLIANT, Status.MANUAL], "non-compliant", False),
        ([Status.COMPLIANT, Status.NON_COMPLIANT], "non-compliant", True),
        ([Status.ERROR], "non-compliant", True),
        ([Status.NON_COMPLIANT], "error", False),
        ([Status.NON_COMPLIANT, Status.ERROR], "error", True),
    ],
)
def test_fail_on_modes(statuses: list[Status], fail_on: str, fails: bool) -> None:
    records = [make_record(f"1.{i}", status) for i, status in enumerate(statuses, start=1)]

    assert fails_run(records, fail_on) is fails
