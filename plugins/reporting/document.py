"""The results document (docs/CONCEPTS.md), and the status counts every report shows."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import o365cis
from o365cis.findings import STATUS_ORDER, Status
from o365cis.projection import Row, json_default
from plugins.reporting.records import CisRecord, ScanRecords


@functools.cache
def benchmark_info() -> dict[str, str]:
    """The benchmark's name and version, as the product's catalogue states them."""
    text = resources.files("o365cis").joinpath("catalogue.json").read_text(encoding="utf-8")
    benchmark = json.loads(text)["benchmark"]
    return {"name": str(benchmark["name"]), "version": str(benchmark["version"])}


def summary_counts(records: Iterable[CisRecord]) -> dict[str, int]:
    """How many records end in each status; all six statuses are always present."""
    counts = {status.value: 0 for status in STATUS_ORDER}
    for record in records:
        counts[Status(record.status).value] += 1
    return counts


def counts_by_section(records: Iterable[CisRecord]) -> dict[str, dict[str, int]]:
    """Status counts per section, sections in the order they first appear (benchmark order)."""
    sections: dict[str, dict[str, int]] = {}
    for record in records:
        counts = sections.setdefault(record.section, {status.value: 0 for status in STATUS_ORDER})
        counts[Status(record.status).value] += 1
    return sections


def build_document(scan: ScanRecords) -> dict[str, Any]:
    """The `--cis-json` document, exactly as docs/CONCEPTS.md lays it out."""
    return {
        "benchmark": benchmark_info(),
        "tenant": {"id": scan.tenant_id, "name": scan.tenant_name, "initial_domain": scan.tenant_domain},
        "scanner": {"version": scan.scanner_version or o365cis.__version__},
        "run": scan.run,
        **({"baseline": scan.baseline} if scan.baseline is not None else {}),
        "started": scan.started or None,
        "finished": scan.finished or None,
        "summary": summary_counts(scan.records),
        "results": [record.as_result() for record in scan.records],
    }


def write_json(path: str | os.PathLike[str], scan: ScanRecords) -> Path:
    """Write the results document as UTF-8 JSON (indent 2), creating missing parent folders."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(build_document(scan), indent=2, ensure_ascii=False, default=_json_default)
    target.write_text(text + "\n", encoding="utf-8")
    return target


def _json_default(value: Any) -> Any:
    # Evidence may still hold enum members (Status, Source), frozen Evidence objects or projected rows.
    if isinstance(value, Row):
        return json_default(value)
    if hasattr(value, "as_dict"):
        return value.as_dict()
    if hasattr(value, "value"):
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
