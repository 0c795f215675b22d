"""The `--cis-csv-evidence` report: one row per evidence item, for spreadsheets, pivot tables and SIEM imports.

A recommendation without evidence still gets one row (empty evidence cells), so every selected recommendation
and its status appear in the file.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from o365cis.findings import Status
from plugins.reporting.csv_report import CSV_ENCODING, as_text
from plugins.reporting.evidence import evidence_rows
from plugins.reporting.records import CisRecord, ScanRecords

EVIDENCE_CSV_COLUMNS: tuple[str, ...] = ("id", "status", "evidence_type", "object_id", "name", "detail")


def evidence_csv_rows(record: CisRecord) -> list[dict[str, str]]:
    """A recommendation's evidence items as CSV rows (one empty row when it has none)."""
    status = Status(record.status).value
    items = evidence_rows(record.evidence) or [dict.fromkeys(("type", "id", "name", "detail"), "")]
    return [
        {
            "id": record.id,
            "status": status,
            "evidence_type": as_text(item["type"]),
            "object_id": as_text(item["id"]),
            "name": as_text(item["name"]),
            "detail": as_text(item["detail"]),
        }
        for item in items
    ]


def write_evidence_csv(path: str | os.PathLike[str], scan: ScanRecords) -> Path:
    """Write the evidence rows of every recommendation, in benchmark order (UTF-8 with BOM, header row)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding=CSV_ENCODING, newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=EVIDENCE_CSV_COLUMNS)
        writer.writeheader()
        for record in scan.records:
            writer.writerows(evidence_csv_rows(record))
    return target
