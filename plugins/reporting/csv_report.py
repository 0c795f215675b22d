"""The `--cis-csv` report: one row per recommendation, for spreadsheets and ticketing imports."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from o365cis.findings import Status
from plugins.reporting.evidence import evidence_summary
from plugins.reporting.records import CisRecord, ScanRecords

CSV_COLUMNS: tuple[str, ...] = (
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
)

# A spreadsheet runs a cell that starts with one of these as a formula; policy and group names
# are chosen by tenant users, so a name such as "=HYPERLINK(...)" must stay text (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_row(record: CisRecord) -> dict[str, str]:
    """One recommendation as the CSV's cells (free text guarded against formula injection)."""
    return {
        "id": record.id,
        "title": _as_text(record.title),
        "section": record.section,
        "level": str(record.level),
        "license": record.license,
        "automated": "true" if record.automated else "false",
        "status": Status(record.status).value,
        "source": str(getattr(record.source, "value", record.source)),
        "reason": _as_text(record.reason),
        "evidence": _as_text(evidence_summary(record.evidence)),
        "remediation": _as_text(record.remediation),
    }


def write_csv(path: str | os.PathLike[str], scan: ScanRecords) -> Path:
    """Write one UTF-8 CSV row per recommendation, in benchmark order, with a header row."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    # newline="" lets the csv module write its own \r\n and keep newlines inside quoted cells.
    with target.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=CSV_COLUMNS, quoting=csv.QUOTE_MINIMAL)
        writer.writeheader()
        for record in scan.records:
            writer.writerow(csv_row(record))
    return target


def _as_text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value
