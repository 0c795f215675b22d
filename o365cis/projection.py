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

A dict costs about a kilobyte for a mailbox's two dozen properties, most of it hash table: 100,000 of them are
~100 MB. A projected object is therefore a `Row`, a read-only Mapping holding a tuple of its values and a key->index
dict shared by every row with the same present properties. It answers `[]`, `get`, `in`, iteration, `len`,
items/keys/values, equality with dicts and `dict(row)`; a property the object lacked is still absent (`in` is False,
`get` gives None), as the rules need. json.dumps does not know it: `json_default` is the hook where rows are written.

A property left out here is absent for the rules, which read absence as "not proven": a missing name changes
verdicts, and the verdict tests (tests/e2e/test_projection.py, test_verdict_identity.py) catch it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

#: The property names a read's rules and evidence use; None keeps objects whole.
Keep = tuple[str, ...] | None

#: Set (to anything but "" or "0") to read objects whole: to rule out the projection when a verdict looks wrong, or
#: to save a snapshot with every property. Read when a read starts, so a scan is one way or the other throughout.
KEEP_WHOLE_VARIABLE = "O365CIS_KEEP_WHOLE_OBJECTS"

#: Strings up to this length are interned (enums, names, ids, UPNs); longer ones (DNs, descriptions) rarely repeat.
_SHARED_LENGTH = 64


class Row(Mapping[str, Any]):
    """One projected object: read-only, its key->index dict shared with the rows of the same shape."""

    __slots__ = ("_index", "_values")

    def __init__(self, index: dict[str, int], values: tuple[Any, ...]) -> None:
        self._index = index
        self._values = values

    def __getitem__(self, key: str) -> Any:
        return self._values[self._index[key]]

    def get(self, key: str, default: Any = None) -> Any:
        position = self._index.get(key)
        return default if position is None else self._values[position]

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Row) and other._index is self._index:
            return self._values == other._values
        if not isinstance(other, Mapping):
            return NotImplemented
        return dict(self.items()) == dict(other.items())

    __hash__ = None  # type: ignore[assignment]  # equal to a dict, so unhashable like one

    def __repr__(self) -> str:
        return repr(dict(self))  # printed as the dict it stands for (evidence details, assertion messages)


def json_default(value: Any) -> Any:
    """json.dumps's `default=` for data that may hold rows: a row is written as the object it stands for."""
    if isinstance(value, Row):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class Projection:
    """Cuts the objects of one read to `keep`, interning short strings and sharing string lists across its pages."""

    def __init__(self, keep: Keep) -> None:
        self.keep = None if os.environ.get(KEEP_WHOLE_VARIABLE, "") not in ("", "0") else keep
        self._shared: dict[object, Any] = {}
        self._schemas: dict[tuple[str, ...], dict[str, int]] = {}

    def __call__(self, items: Iterable[Any]) -> list[Any]:
        """The items with only the `keep` properties (absent ones stay absent); non-objects pass unchanged."""
        keep = self.keep
        if keep is None:
            return list(items)
        return [self._row(item, keep) if isinstance(item, Mapping) else item for item in items]

    def _row(self, item: Mapping[str, Any], keep: tuple[str, ...]) -> Row:
        present = tuple(name for name in keep if name in item)
        index = self._schemas.get(present)
        if index is None:
            index = self._schemas[present] = {name: position for position, name in enumerate(present)}
        return Row(index, tuple(self._share(item[name]) for name in present))

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
