"""Small JSON-patch-like edits of a scenario, so each failing case is a visible diff of the golden tenant.

Paths are JSON pointers (RFC 6901: "~1" stands for "/", "~0" for "~") whose first token is a
Scenario field, e.g. "/graph/~1v1.0~1policies~1identitySecurityDefaultsEnforcementPolicy/isEnabled".
In a list, a token is an index, "-" (the end, for "add") or "key=value": the first dict element whose
`key` equals `value` (e.g. "id=1f0c...") so a patch does not depend on list order.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any

from .certificates import AppCertificate
from .model import ClientApp, Scenario

#: ("replace" | "add", pointer, value) or ("remove", pointer).
PatchOp = tuple[Any, ...]


class PatchError(ValueError):
    """A patch operation does not fit the scenario (missing path, bad index, unknown op)."""


def pointer_tokens(pointer: str) -> list[str]:
    """Split a JSON pointer into unescaped tokens."""
    if not pointer.startswith("/"):
        raise PatchError(f"JSON pointer must start with '/': {pointer!r}")
    return [token.replace("~1", "/").replace("~0", "~") for token in pointer[1:].split("/")]


def escape_token(token: str) -> str:
    """One JSON pointer token, escaped (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


def graph_pointer(graph_path: str, *rest: str) -> str:
    """The pointer to a Graph path in `Scenario.graph`, plus optional further tokens."""
    return "/graph/" + "/".join(escape_token(token) for token in (graph_path, *rest))


def cmdlet_pointer(cmdlet: str, *rest: str) -> str:
    """The pointer to a cmdlet's output in the fake Exchange data (list tokens may be `Name=<name>`)."""
    return "/extra/exchange/cmdlets/" + "/".join(escape_token(token) for token in (cmdlet, *rest))


def _list_index(container: list[Any], token: str, *, for_add: bool) -> int:
    if token == "-":
        if not for_add:
            raise PatchError("'-' only names the end of a list for 'add'")
        return len(container)
    if "=" in token:
        key, _, wanted = token.partition("=")
        for index, item in enumerate(container):
            if isinstance(item, dict) and str(item.get(key)) == wanted:
                return index
        raise PatchError(f"no list element with {key} == {wanted!r}")
    try:
        index = int(token)
    except ValueError:
        raise PatchError(f"not a list index: {token!r}") from None
    limit = len(container) + (1 if for_add else 0)
    if not 0 <= index < limit:
        raise PatchError(f"list index {index} out of range ({len(container)} elements)")
    return index


def _child(container: Any, token: str) -> Any:
    if isinstance(container, dict):
        if token not in container:
            raise PatchError(f"no key {token!r}")
        return container[token]
    if isinstance(container, list):
        return container[_list_index(container, token, for_add=False)]
    if dataclasses.is_dataclass(container) and not isinstance(container, type):
        if not hasattr(container, token):
            raise PatchError(f"{type(container).__name__} has no field {token!r}")
        return getattr(container, token)
    raise PatchError(f"cannot descend into {type(container).__name__} with {token!r}")


def _apply(target: Scenario, op: PatchOp) -> None:
    if not op or op[0] not in ("replace", "add", "remove"):
        raise PatchError(f"unknown patch operation: {op!r}")
    name, pointer = op[0], op[1]
    if name in ("replace", "add") and len(op) != 3:
        raise PatchError(f"{name} needs (op, pointer, value): {op!r}")
    tokens = pointer_tokens(pointer)
    parent: Any = target
    for token in tokens[:-1]:
        parent = _child(parent, token)
    last = tokens[-1]
    value = copy.deepcopy(op[2]) if len(op) > 2 else None
    if isinstance(parent, list):
        index = _list_index(parent, last, for_add=name == "add")
        if name == "add":
            parent.insert(index, value)
        elif name == "replace":
            parent[index] = value
        else:
            del parent[index]
    elif isinstance(parent, dict):
        if name != "add" and last not in parent:
            raise PatchError(f"no key {last!r} to {name}")
        if name == "remove":
            del parent[last]
        else:
            parent[last] = value
    elif dataclasses.is_dataclass(parent) and not isinstance(parent, type):
        if name == "remove" or not hasattr(parent, last):
            raise PatchError(f"cannot {name} field {last!r} of {type(parent).__name__}")
        setattr(parent, last, value)
    else:
        raise PatchError(f"cannot {name} {pointer!r}")


def patch(scenario: Scenario, ops: Iterable[PatchOp]) -> Scenario:
    """A deep copy of `scenario` with the operations applied in order (the original is untouched)."""
    result = copy.deepcopy(scenario)
    for op in ops:
        _apply(result, op)
    return result


def without_roles(scenario: Scenario, *permissions: str) -> Scenario:
    """A copy whose Graph and Exchange tokens no longer carry these application permissions."""
    drop = {permission.lower() for permission in permissions}
    result = copy.deepcopy(scenario)
    result.granted_roles = [role for role in result.granted_roles if role.lower() not in drop]
    result.exchange_roles = [role for role in result.exchange_roles if role.lower() not in drop]
    return result


def with_roles(scenario: Scenario, roles: Sequence[str], exchange_roles: Sequence[str] | None = None) -> Scenario:
    """A copy with exactly these Graph roles granted (and Exchange roles, when given)."""
    result = copy.deepcopy(scenario)
    result.granted_roles = list(roles)
    if exchange_roles is not None:
        result.exchange_roles = list(exchange_roles)
    return result


def with_error(scenario: Scenario, path: str, status: int, code: str, message: str) -> Scenario:
    """A copy in which Graph answers `path` (no query) with this error."""
    result = copy.deepcopy(scenario)
    result.errors[path] = (status, code, message)
    return result


def with_certificate(scenario: Scenario, certificate: AppCertificate, client_id: str | None = None) -> Scenario:
    """A copy whose app registration (the first one, or `client_id`) also accepts this certificate."""
    result = copy.deepcopy(scenario)
    if client_id is None:
        client_id = next(iter(result.clients))
    app = result.clients.get(client_id) or ClientApp()
    result.clients[client_id] = dataclasses.replace(app, certificate_pem=certificate.certificate_pem)
    return result
