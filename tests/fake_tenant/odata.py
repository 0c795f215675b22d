"""Just enough OData for the scanner's reads: $filter, $select and opaque $skiptoken paging.

The filter grammar covers comparisons (eq, ne, gt, ge, lt, le) joined by and/or/not with parentheses,
lambda `any` over a collection (`groupTypes/any(c:c eq 'Unified')`) and `startswith`. Literals follow
https://learn.microsoft.com/graph/filter-query-parameter: quoted strings ('' escapes a quote),
unquoted DateTimeOffset and GUID values, numbers, true, false and null.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterable
from typing import Any


class ODataError(ValueError):
    """A query option the fake (or Graph) cannot accept; answered as 400 BadRequest."""


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^']|'')*')
      | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)
      | (?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<punct>[():,])
      | (?P<name>[A-Za-z_@][\w./@]*)
    )""",
    re.VERBOSE,
)

_COMPARISONS = {"eq", "ne", "gt", "ge", "lt", "le"}

Predicate = Callable[[Any], bool]


def _tokenize(text: str) -> list[tuple[str, Any]]:
    tokens: list[tuple[str, Any]] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise ODataError(f"Invalid filter clause: syntax error at position {position} in '{text}'.")
        position = match.end()
        kind = match.lastgroup or ""
        value: Any = match.group(kind)
        if kind == "string":
            value = value[1:-1].replace("''", "'")
        elif kind == "datetime":
            value = parse_datetime(value)
        elif kind == "number":
            value = float(value) if "." in value else int(value)
        elif kind == "name" and value in ("true", "false", "null"):
            kind, value = "literal", {"true": True, "false": False, "null": None}[value]
        tokens.append((kind, value))
    return tokens


def parse_datetime(text: str) -> dt.datetime:
    """Parse an ISO 8601 timestamp as Graph writes it (Z or offset; naive means UTC)."""
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _lookup(item: Any, path: str) -> Any:
    for part in path.split("/"):
        if not isinstance(item, dict):
            return None
        item = item.get(part)
    return item


def _compare(left: Any, op: str, right: Any) -> bool:
    if isinstance(right, dt.datetime):
        if not isinstance(left, str):
            return False
        try:
            left = parse_datetime(left)
        except ValueError:
            return False
    elif isinstance(right, str) and isinstance(left, str):
        # Directory string comparisons are case-insensitive.
        left, right = left.lower(), right.lower()
    if op == "eq":
        return bool(left == right)
    if op == "ne":
        return bool(left != right)
    if left is None or right is None:
        return False
    try:
        return bool(
            {
                "gt": left > right,
                "ge": left >= right,
                "lt": left < right,
                "le": left <= right,
            }[op]
        )
    except TypeError:
        return False


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.position = 0

    def parse(self) -> Predicate:
        predicate = self._or()
        if self.position != len(self.tokens):
            raise self._error("unexpected text after the expression")
        return predicate

    def _error(self, what: str) -> ODataError:
        return ODataError(f"Invalid filter clause: {what} in '{self.text}'.")

    def _peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self) -> tuple[str, Any]:
        token = self._peek()
        if token is None:
            raise self._error("unexpected end")
        self.position += 1
        return token

    def _keyword(self, word: str) -> bool:
        token = self._peek()
        if token and token[0] == "name" and token[1].lower() == word:
            self.position += 1
            return True
        return False

    def _expect(self, punct: str) -> None:
        kind, value = self._take()
        if kind != "punct" or value != punct:
            raise self._error(f"expected '{punct}'")

    def _or(self) -> Predicate:
        parts = [self._and()]
        while self._keyword("or"):
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else (lambda item: any(p(item) for p in parts))

    def _and(self) -> Predicate:
        parts = [self._unary()]
        while self._keyword("and"):
            parts.append(self._unary())
        return parts[0] if len(parts) == 1 else (lambda item: all(p(item) for p in parts))

    def _unary(self) -> Predicate:
        if self._keyword("not"):
            inner = self._unary()
            return lambda item: not inner(item)
        token = self._peek()
        if token == ("punct", "("):
            self.position += 1
            inner = self._or()
            self._expect(")")
            return inner
        return self._comparison()

    def _literal(self) -> Any:
        kind, value = self._take()
        if kind not in ("string", "datetime", "guid", "number", "literal"):
            raise self._error(f"expected a literal, found '{value}'")
        return value

    def _comparison(self) -> Predicate:
        kind, name = self._take()
        if kind != "name":
            raise self._error(f"expected a property, found '{name}'")
        if name.lower() == "startswith":
            self._expect("(")
            _, prop = self._take()
            self._expect(",")
            prefix = str(self._literal()).lower()
            self._expect(")")
            return lambda item: str(_lookup(item, prop) or "").lower().startswith(prefix)
        if name.lower().endswith("/any") and self._peek() == ("punct", "("):
            return self._lambda_any(name[: -len("/any")])
        kind, op = self._take()
        if kind != "name" or op.lower() not in _COMPARISONS:
            raise self._error(f"expected a comparison operator after '{name}'")
        right = self._literal()
        op = op.lower()
        return lambda item: _compare(_lookup(item, name), op, right)

    def _lambda_any(self, collection: str) -> Predicate:
        self._expect("(")
        _, variable = self._take()
        self._expect(":")
        kind, subject = self._take()
        if kind != "name" or not (subject == variable or subject.startswith(variable + "/")):
            raise self._error(f"the lambda body must use its variable '{variable}'")
        inner_path = subject[len(variable) + 1 :]
        _, op = self._take()
        if op.lower() not in _COMPARISONS:
            raise self._error("expected a comparison operator in the lambda")
        right = self._literal()
        self._expect(")")

        def predicate(item: Any) -> bool:
            values = _lookup(item, collection) or []
            return any(_compare(_lookup(v, inner_path) if inner_path else v, op.lower(), right) for v in values)

        return predicate


def compile_filter(text: str) -> Predicate:
    """Compile an OData $filter expression into a predicate over Graph JSON objects."""
    return _Parser(text).parse()


def select_fields(item: Any, names: Iterable[str]) -> Any:
    """Keep only the named properties, plus `id` and OData annotations (as Graph does for $select)."""
    if not isinstance(item, dict):
        return item
    wanted = {name.strip().lower() for name in names if name.strip()}
    return {
        key: value for key, value in item.items() if key.lower() in wanted or key == "id" or key.startswith("@odata.")
    }


class SkipTokens:
    """Opaque, tamper-evident $skiptoken values that encode the next offset for one path."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def encode(self, path: str, offset: int) -> str:
        """The token for resuming `path` at `offset`."""
        payload = json.dumps({"o": offset, "p": path.lower()}, separators=(",", ":")).encode()
        mac = hmac.new(self._key, payload, hashlib.sha256).digest()[:8]
        return "RFNwd" + base64.urlsafe_b64encode(mac + payload).rstrip(b"=").decode("ascii")

    def decode(self, path: str, token: str) -> int:
        """The offset a token encodes; ODataError if it was not issued for this path."""
        try:
            if not token.startswith("RFNwd"):
                raise ValueError(token)
            raw = base64.urlsafe_b64decode(token[5:] + "=" * (-len(token[5:]) % 4))
            mac, payload = raw[:8], raw[8:]
            if not hmac.compare_digest(mac, hmac.new(self._key, payload, hashlib.sha256).digest()[:8]):
                raise ValueError(token)
            data = json.loads(payload)
            if data["p"] != path.lower():
                raise ValueError(token)
            return int(data["o"])
        except (ValueError, KeyError, binascii.Error, json.JSONDecodeError):
            raise ODataError("Invalid $skiptoken: the token is malformed or was issued for another request.") from None
