"""Hand-built records for the reporting tests: all six statuses, and names that must be escaped."""

from __future__ import annotations

from typing import Any

from o365cis.findings import Status
from plugins.reporting.records import CisRecord

#: Tenant-chosen names that would run script if a report forgot to escape them.
SCRIPT_NAME = "<script>document.title='pwned'</script>"
IMG_NAME = "<img src=x onerror=\"document.title='pwned'\">"
FORMULA_NAME = '=HYPERLINK("http://127.0.0.1/","open me")'


def make_record(
    record_id: str,
    status: Status,
    *,
    section: str = "1 Account / Authentication",
    evidence: list[dict[str, Any]] | None = None,
    reason: str = "",
    **overrides: Any,
) -> CisRecord:
    """A CisRecord with plausible defaults for everything a test does not care about."""
    fields: dict[str, Any] = {
        "title": f"Recommendation {record_id}",
        "level": 1,
        "license": "E3",
        "automated": True,
        "source": "graph",
        "remediation": f"Fix {record_id} in the admin center.",
        "nodeid": f"cis_tests/test_x.py::test_{record_id.replace('.', '_')}",
    }
    fields.update(overrides)
    return CisRecord(
        id=record_id,
        section=section,
        status=status,
        reason=reason or f"{status.value} because of {record_id}",
        evidence=evidence or [],
        **fields,
    )


def sample_records() -> list[CisRecord]:
    """Seven records over four sections, covering all six statuses and hostile names."""
    return [
        make_record(
            "1.1.1",
            Status.COMPLIANT,
            reason="Every admin is covered by an MFA policy",
            evidence=[{"type": "conditionalAccessPolicy", "id": "p-1", "name": SCRIPT_NAME, "detail": "enabled"}],
        ),
        make_record("1.1.9", Status.MANUAL, source="none", reason="Review the break-glass accounts by hand"),
        make_record(
            "1.1.10",
            Status.NON_COMPLIANT,
            level=2,
            license="E5",
            reason='Policy "Block legacy auth", report-only\nno enforcement',
            evidence=[
                {"type": "conditionalAccessPolicy", "id": "p-2", "name": IMG_NAME, "detail": "state: reportOnly"},
                {"type": "user", "id": "u-1", "name": "Zoë Café – admin", "detail": None},
            ],
        ),
        make_record("2.1", Status.NOT_APPLICABLE, section="2 Application Permissions", automated=False),
        make_record(
            "4.2",
            Status.ERROR,
            section="4 Email Security / Exchange Online",
            source="none",
            reason="missing permission: grant Exchange.ManageAsApp",
        ),
        make_record(
            "4.3",
            Status.NON_COMPLIANT,
            section="4 Email Security / Exchange Online",
            source="exchange",
            evidence=[{"type": "transportRule", "id": None, "name": FORMULA_NAME, "detail": "forwards, externally"}],
        ),
        make_record("5.1", Status.WAIVED, section="5 Auditing", reason="waived until 2099-01-31: merger"),
    ]
