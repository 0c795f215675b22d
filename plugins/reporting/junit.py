"""The JUnit XML as CI dashboards show it: each testcase named `<id> <title>`, its text the verdict, not the code.

pytest names a testcase after the test function and writes a skip's text as `path:line: message`, the path
being the plugin's own `pytest.skip` call; a dashboard reader needs the recommendation, the reason and what
to do. The file pytest wrote is rewritten in place after it was written, the properties left as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from xml.etree import ElementTree

from o365cis.findings import Status
from plugins.reporting.records import CisRecord


def testcase_name(record: CisRecord) -> str:
    """`1.1.1 Ensure multifactor authentication is enabled for all users in administrative roles`."""
    return f"{record.id} {record.title}"


def verdict_text(record: CisRecord) -> str:
    """The reason, then the remediation, as a failure's or skip's body text."""
    text = f"{Status(record.status).value}: {record.reason}"
    if record.remediation and Status(record.status) in (Status.NON_COMPLIANT, Status.ERROR, Status.WAIVED):
        text += f"\n\nRemediation: {record.remediation}"
    return text


def name_testcases_by_recommendation(path: Path, records: Iterable[CisRecord]) -> None:
    """Rename each CIS testcase and give its failure, error or skipped element the verdict as text."""
    by_id = {record.id: record for record in records}
    tree = ElementTree.parse(path)
    for case in tree.iter("testcase"):
        rec_id = next((p.get("value") for p in case.iter("property") if p.get("name") == "cis_id"), None)
        record = by_id.get(rec_id or "")
        if record is None:
            continue
        case.set("name", testcase_name(record))
        for outcome in ("failure", "error", "skipped"):
            element = case.find(outcome)
            if element is not None:
                element.set("message", f"{Status(record.status).value}: {record.reason}")
                element.text = verdict_text(record)
    tree.write(path, encoding="utf-8", xml_declaration=True)
