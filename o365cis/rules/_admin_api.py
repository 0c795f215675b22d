"""Private helpers of the rules over the Teams and SharePoint admin APIs: shapes and case-insensitive names.

The Teams admin API is undocumented by Microsoft: its answers are taken in the shapes peers have seen (the object,
or a one-element array holding it) and anything else is named, so the rule can say it cannot decide.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from o365cis.rules._types import Json


def shape(value: Any) -> str:
    """A JSON value's shape as a reviewer reads it: "an object", "a list of 2 items", "a string", "null"."""
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "an object" if value else "an empty object"
    if isinstance(value, list):
        return "an empty list" if not value else f"a list of {len(value)} item{'s' if len(value) != 1 else ''}"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return type(value).__name__


def single_object(body: Any) -> Json | None:
    """The configuration object of an answer: the object itself, or the one object of a one-element array."""
    if isinstance(body, Mapping):
        return body
    if isinstance(body, list) and len(body) == 1 and isinstance(body[0], Mapping):
        return body[0]
    return None


def find(obj: Json, name: str) -> tuple[bool, Any]:
    """(present, value) of a property matched case-insensitively (AllowDropBox / AllowDropbox)."""
    wanted = name.lower()
    for key, value in obj.items():
        if isinstance(key, str) and key.lower() == wanted:
            return True, value
    return False, None
