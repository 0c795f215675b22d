"""Evidence lists shared by every rule: long ones are capped, with a count of what was left out."""

from __future__ import annotations

from collections.abc import Sequence

from o365cis.findings import Evidence, EvidenceType

#: Enough for a reviewer to act on; the reason always carries the exact counts.
EVIDENCE_CAP = 50


def capped(items: Sequence[Evidence], noun: str, limit: int = EVIDENCE_CAP) -> list[Evidence]:
    """The first `limit` items, plus one item saying how many more were left out."""
    shown = list(items[:limit])
    if len(items) > limit:
        shown.append(
            Evidence(
                type=EvidenceType.COUNT,
                name=f"more {noun}",
                detail=f"{len(items) - limit} more {noun} not listed ({len(items)} in all)",
            )
        )
    return shown
