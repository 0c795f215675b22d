"""The one record per recommendation that every report (JSON, CSV, JUnit, HTML) is written from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from o365cis.config import Waiver
from o365cis.findings import Status


@dataclass
class CisRecord:
    """A recommendation's metadata (from the catalogue) joined with its finding."""

    id: str
    title: str
    section: str
    level: int
    license: str
    automated: bool
    status: Status
    reason: str
    evidence: list[dict[str, Any]] = field(default_factory=list)
    source: str = "none"
    remediation: str = ""
    nodeid: str = ""
    #: {reason, expires} of the config's waiver, on waived results and on non_compliant ones whose waiver expired.
    waiver: dict[str, str] | None = None
    #: With --cis-baseline: new, fixed, regressed, changed or unchanged, and the status in the baseline.
    change: str | None = None
    baseline_status: str | None = None

    def as_result(self) -> dict[str, Any]:
        """The `results[]` item of the results document (docs/CONCEPTS.md)."""
        result: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "section": self.section,
            "level": self.level,
            "license": self.license,
            "automated": self.automated,
            "status": self.status.value,
            "reason": self.reason,
            "evidence": self.evidence,
            "source": self.source,
            "remediation": self.remediation,
        }
        # Optional keys of the results document (docs/CONCEPTS.md): present only when they apply.
        if self.waiver is not None:
            result["waiver"] = self.waiver
        if self.change is not None:
            result["change"] = self.change
            result["baseline_status"] = self.baseline_status
        return result


@dataclass
class ScanRecords:
    """Everything the reporters need about the scan: tenant, timing, and the records in benchmark order."""

    tenant_id: str | None = None
    tenant_name: str | None = None
    started: str = ""
    finished: str = ""
    scanner_version: str = ""
    records: list[CisRecord] = field(default_factory=list)
    #: The tenant's initial *.onmicrosoft.com domain, when the organization could be read.
    tenant_domain: str | None = None
    #: The results document's `run` object (plugins.run_info) and, with --cis-baseline, its `baseline` block.
    run: dict[str, Any] = field(default_factory=dict)
    baseline: dict[str, Any] | None = None


#: config.stash key holding the ScanRecords of the run (set by plugins.cis_plugin).
SCAN_RECORDS = pytest.StashKey[ScanRecords]()


def record_of(report: Any) -> CisRecord | None:
    """The CisRecord a test report carries (set in pytest_runtest_makereport), if any."""
    return getattr(report, "cis_record", None)


def waiver_field(waiver: Waiver | None, status: Status) -> dict[str, str] | None:
    """The result's `waiver` object: on a waived result, and on a non_compliant one whose waiver expired."""
    if waiver is None or status not in (Status.WAIVED, Status.NON_COMPLIANT):
        return None
    return {"reason": waiver.reason, "expires": waiver.expires.isoformat()}
