"""Readers of the audit events, alerts and rows the manual reviews of section 5 summarise."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from o365cis.findings import Evidence, EvidenceType
from o365cis.rules._types import Json, JsonList


def rows_of(data: JsonList | Mapping[str, Any] | None) -> list[Json]:
    """A Graph collection as its rows: the `value` list of a response, a list, or one object."""
    if isinstance(data, Mapping):
        value = data.get("value")
        return [r for r in value if isinstance(r, Mapping)] if isinstance(value, list) else [data]
    return [r for r in data or () if isinstance(r, Mapping)]


def filled(value: Any, default: str = "?") -> str:
    """A value for a review note: `default` when it is null or empty."""
    return default if value is None or value == "" else str(value)


def newest_first(rows: list[Json], field: str) -> list[Json]:
    """The rows sorted on the timestamp `field`, newest first (rows without it last)."""
    return sorted(rows, key=lambda r: str(r.get(field) or ""), reverse=True)


def counts(counter: Counter[str]) -> str:
    """ "key n, key n" from the most common down, or "none"."""
    return ", ".join(f"{key} {count}" for key, count in counter.most_common()) or "none"


def unquote(value: Any) -> str:
    """A modifiedProperties value without its JSON quotes."""
    # modifiedProperties values are JSON-encoded strings, e.g. "\"Global Administrator\"".
    return str(value or "").strip().strip('"')


def role_of(event: Json) -> str:
    """The directory role an audit event changed (its target, or the modified role name), or "?"."""
    for target in targets(event):
        if str(target.get("type") or "").lower() == "role":
            return filled(target.get("displayName") or target.get("id"))
        for prop in target.get("modifiedProperties") or []:
            if isinstance(prop, Mapping) and prop.get("displayName") in (
                "Role.DisplayName",
                "RoleDefinition.DisplayName",
            ):
                role = unquote(prop.get("newValue")) or unquote(prop.get("oldValue"))
                if role:
                    return role
    return "?"


def alert_evidence(rows: list[Json]) -> list[Evidence]:
    """Alerts as evidence items, newest first."""
    return [
        Evidence(
            EvidenceType.ALERT,
            filled(a.get("id"), "") or None,
            filled(a.get("title")),
            f"severity {filled(a.get('severity'))}, status {filled(a.get('status'))}, "
            f"created {filled(a.get('createdDateTime'))}",
        )
        for a in newest_first(rows, "createdDateTime")
    ]


def targets(event: Json) -> list[Json]:
    """An audit event's targetResources."""
    return [t for t in event.get("targetResources") or [] if isinstance(t, Mapping)]
