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
#: Excel refuses a cell longer than 32,767 characters; a long evidence list is cut well below, and says so.
CELL_LIMIT = 32_000
#: utf-8-sig writes the byte order mark by which Excel recognises UTF-8 (without it, names such as zoë break).
CSV_ENCODING = "utf-8-sig"


def csv_row(record: CisRecord) -> dict[str, str]:
    """One recommendation as the CSV's cells (free text guarded against formula injection)."""
    return {
        "id": record.id,
        "title": as_text(record.title),
        "section": record.section,
        "level": str(record.level),
        "license": record.license,
        "automated": "true" if record.automated else "false",
        "status": Status(record.status).value,
        "source": str(getattr(record.source, "value", record.source)),
        "reason": as_text(record.reason),
        "evidence": as_text(evidence_summary(record.evidence)),
        "remediation": as_text(record.remediation),
    }


def write_csv(path: str | os.PathLike[str], scan: ScanRecords) -> Path:
    """Write one CSV row per recommendation (UTF-8 with BOM), in benchmark order, with a header row."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    # newline="" lets the csv module write its own \r\n and keep newlines inside quoted cells.
    with target.open("w", encoding=CSV_ENCODING, newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=CSV_COLUMNS, quoting=csv.QUOTE_MINIMAL)
        writer.writeheader()
        for record in scan.records:
            writer.writerow(csv_row(record))
    return target


def capped(text: str, limit: int = CELL_LIMIT) -> str:
    """The text cut to fit one spreadsheet cell, ending with how much was left out."""
    if len(text) <= limit:
        return text
    kept = limit - 80  # room for the note
    return text[:kept] + f" … ({len(text) - kept:,} more characters: see the JSON results)"


def as_text(value: str) -> str:
    """A free-text cell: capped to one spreadsheet cell, guarded against formula injection (a leading quote)."""
    value = capped(value)
    return "'" + value if value.startswith(_FORMULA_STARTS) else value
