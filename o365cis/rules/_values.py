"""Value helpers shared by the rules of every section: counted nouns and values as a reviewer reads them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from o365cis.rules._types import Json


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """`count` and the noun, in the plural unless count is 1 ("1 policy", "2 policies", "3 mailboxes")."""
    if count == 1:
        return f"{count} {noun}"
    if plural_form is not None:
        return f"{count} {plural_form}"
    return f"{count} {noun[:-1]}ies" if noun.endswith("y") else f"{count} {noun}s"


def json_text(value: Any) -> str:
    """A Graph value as the JSON a reviewer would see: true, false, null, or the value itself."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    return str(value)


def lowered(value: Any) -> str:
    """A Graph string compared case-insensitively (Graph spells enum values "member", "Member", "MEMBER" alike)."""
    return str(value or "").strip().lower()


def lowered_id(value: Any) -> str:
    """A Graph object id compared case-insensitively."""
    return str(value or "").lower()


def index_by_id(rows: Sequence[Json] | None) -> dict[str, Json]:
    """Graph objects by lowered id (rows without an id are left out)."""
    return {lowered_id(r.get("id")): r for r in rows or [] if isinstance(r, Mapping) and r.get("id")}


def json_int(value: Any) -> int | None:
    """A Graph integer; None for anything else (JSON true is no number, though Python's bool is an int)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None
