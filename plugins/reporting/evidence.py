"""Evidence items as the reports print them: always the four keys type, id, name, detail."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

EVIDENCE_KEYS: tuple[str, ...] = ("type", "id", "name", "detail")


def evidence_rows(evidence: Iterable[Any]) -> list[dict[str, str]]:
    """Each evidence item (a dict or an Evidence) as four strings, missing values as ""."""
    rows = []
    for item in evidence:
        raw = item.as_dict() if hasattr(item, "as_dict") else dict(item)
        rows.append({key: _text(raw.get(key)) for key in EVIDENCE_KEYS})
    return rows


def evidence_summary(evidence: Iterable[Any]) -> str:
    """A one-cell reading of the evidence: `type:name [id] (detail); ...`, parts left out when empty."""
    parts = []
    for row in evidence_rows(evidence):
        text = row["type"] or "item"
        label = row["name"] or row["id"]
        if label:
            text += f":{label}"
        if row["name"] and row["id"]:
            text += f" [{row['id']}]"
        if row["detail"]:
            text += f" ({row['detail']})"
        parts.append(text)
    return "; ".join(parts)


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value.value) if hasattr(value, "value") else str(value)
