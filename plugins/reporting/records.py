"""The one record per recommendation that every report (JSON, CSV, JUnit, HTML) is written from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

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

    def as_result(self) -> dict[str, Any]:
        """The `results[]` item of the results document (docs/CONCEPTS.md)."""
        return {
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


@dataclass
class ScanRecords:
    """Everything the reporters need about the scan: tenant, timing, and the records in benchmark order."""

    tenant_id: str | None = None
    tenant_name: str | None = None
    started: str = ""
    finished: str = ""
    scanner_version: str = ""
    records: list[CisRecord] = field(default_factory=list)


#: config.stash key holding the ScanRecords of the run (set by plugins.cis_plugin).
SCAN_RECORDS = pytest.StashKey[ScanRecords]()


def record_of(report: Any) -> CisRecord | None:
    """The CisRecord a test report carries (set in pytest_runtest_makereport), if any."""
    return getattr(report, "cis_record", None)
