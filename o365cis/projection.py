"""Keep only the properties the rules read, page by page, as a collection arrives.

A 100,000-user tenant has 100,000 users, registration rows and mailboxes; a Get-Mailbox object alone carries about
two hundred properties, of which the rules read a dozen. Holding them whole costs gigabytes, so each read that can
be large declares the properties its rules read (`keep`) and the pagers cut every page to them before it joins the
collection. Graph's `$select` already narrows what the service sends where a read supports it; Exchange's
InvokeCommand has no `$select`, so this is where its objects shrink.

The JSON decoder makes a new string for every value, so 100,000 mailboxes would also hold 100,000 copies of
"UserMailbox" and of each audit action list, and a user's id, name and UPN would be held once by /users, once by
its registration row and once by its mailbox. A projection interns strings of up to 64 characters (sys.intern: one
copy per process, dropped when nothing holds it any more) and shares equal string lists across the objects of one
read. Rules are pure (they never mutate what they are given), so sharing is invisible to them.

A property left out here is absent for the rules, which read absence as "not proven": a missing name changes
verdicts, and the verdict tests (tests/e2e/test_projection.py, test_verdict_identity.py) catch it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import Any

#: The property names a read's rules and evidence use; None keeps objects whole.
Keep = tuple[str, ...] | None

#: Set (to anything but "" or "0") to read objects whole: to rule out the projection when a verdict looks wrong, or
#: to save a snapshot with every property. Read when a read starts, so a scan is one way or the other throughout.
KEEP_WHOLE_VARIABLE = "O365CIS_KEEP_WHOLE_OBJECTS"

#: Strings up to this length are interned (enums, names, ids, UPNs); longer ones (DNs, descriptions) rarely repeat.
_SHARED_LENGTH = 64


class Projection:
    """Cuts the objects of one read to `keep`, interning short strings and sharing string lists across its pages."""

    def __init__(self, keep: Keep) -> None:
        self.keep = None if os.environ.get(KEEP_WHOLE_VARIABLE, "") not in ("", "0") else keep
        self._shared: dict[object, Any] = {}

    def __call__(self, items: Iterable[Any]) -> list[Any]:
        """The items with only the `keep` properties (absent ones stay absent); non-objects pass unchanged."""
        keep = self.keep
        if keep is None:
            return list(items)
        return [
            {name: self._share(item[name]) for name in keep if name in item} if isinstance(item, dict) else item
            for item in items
        ]

    def _share(self, value: Any) -> Any:
        if isinstance(value, str):
            return sys.intern(value) if len(value) <= _SHARED_LENGTH and type(value) is str else value
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            key = ("list", *value)
            shared = self._shared.get(key)
            if shared is None:
                shared = self._shared[key] = [self._share(v) for v in value]
            return shared
        return value


def project(items: Iterable[Any], keep: Keep) -> list[Any]:
    """One batch of objects cut to `keep` (a single page, or a replayed collection)."""
    return Projection(keep)(items)
