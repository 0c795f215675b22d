"""Snapshots: every response a scan read, keyed by request, in one JSON file that replays offline."""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from o365cis.projection import json_default

FORMAT = "o365cis-snapshot"
VERSION = 1


class SnapshotError(ValueError):
    """The snapshot file is unreadable or not a snapshot; the message is one line."""


@dataclass
class RecordedResponse:
    """One answer as the scan saw it: status and JSON body (error bodies included)."""

    status: int
    body: Any


@dataclass
class Snapshot:
    """What a scan read from one tenant. Holds no token and no secret: only responses and granted roles."""

    tenant_id: str | None = None
    tenant_name: str | None = None
    created: str = ""
    graph_roles: frozenset[str] = frozenset()
    exchange_roles: frozenset[str] | None = None
    responses: dict[str, RecordedResponse] = field(default_factory=dict)
    dns: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def record(self, key: str, status: int, body: Any) -> None:
        with self._lock:
            self.responses[key] = RecordedResponse(status, body)

    def record_dns(self, key: str, outcome: Any) -> None:
        with self._lock:
            self.dns[key] = outcome

    def lookup(self, key: str) -> RecordedResponse | None:
        return self.responses.get(key)

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            responses = {k: {"status": v.status, "body": v.body} for k, v in sorted(self.responses.items())}
        return {
            "format": FORMAT,
            "version": VERSION,
            "created": self.created or dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "tenant": {"id": self.tenant_id, "name": self.tenant_name},
            "roles": {
                "graph": sorted(self.graph_roles),
                "exchange": None if self.exchange_roles is None else sorted(self.exchange_roles),
            },
            "responses": responses,
            "dns": self.dns,
        }

    def save(self, path: str | Path) -> None:
        """Write the snapshot readable by its owner only (0600): it describes the tenant's security posture."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".tmp")
        write_private(tmp, json.dumps(self.to_json(), indent=1, sort_keys=False, default=json_default))
        tmp.replace(target)


def write_private(path: str | Path, text: str) -> None:
    """Write `text` to `path` with mode 0600 from the first byte (an existing file is truncated and narrowed)."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(handle, 0o600)
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text)


def load_snapshot(path: str | Path) -> Snapshot:
    """Read a snapshot file written by --snapshot-save (or the bundled demo)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise SnapshotError(f"cannot read snapshot {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise SnapshotError(f"snapshot {path} is not valid JSON (line {exc.lineno})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SnapshotError(f'{path} is not an o365-cis snapshot (no "format": "{FORMAT}")')
    if data.get("version") != VERSION:
        raise SnapshotError(
            f"snapshot {path} has version {data.get('version')!r}; this scanner reads version {VERSION}"
        )
    roles = _field(path, data, "roles", dict, {})
    tenant = _field(path, data, "tenant", dict, {})
    responses = _field(path, data, "responses", dict, {})
    for key, value in responses.items():
        if not isinstance(value, dict) or type(value.get("status")) is not int:
            raise SnapshotError(f'snapshot {path}: responses["{key[:80]}"] must be an object with an integer "status"')
    exchange_roles = _field(path, roles, "exchange", list, None, "roles.")
    return Snapshot(
        tenant_id=_field(path, tenant, "id", str, None, "tenant."),
        tenant_name=_field(path, tenant, "name", str, None, "tenant."),
        created=_field(path, data, "created", str, ""),
        graph_roles=frozenset(_strings(path, _field(path, roles, "graph", list, [], "roles."), "roles.graph")),
        exchange_roles=None if exchange_roles is None else frozenset(_strings(path, exchange_roles, "roles.exchange")),
        responses={k: RecordedResponse(v["status"], v.get("body")) for k, v in responses.items()},
        dns=_field(path, data, "dns", dict, {}),
    )


def _field(path: str | Path, data: dict[str, Any], name: str, kind: type, default: Any, prefix: str = "") -> Any:
    """data[name] when it has the expected JSON type; `default` when absent or null; else a one-line SnapshotError."""
    value = data.get(name)
    if value is None:
        return default
    if not isinstance(value, kind):
        names: dict[type, str] = {dict: "an object", list: "a list", str: "a string"}
        expected = names.get(kind) or kind.__name__
        raise SnapshotError(f'snapshot {path}: "{prefix}{name}" must be {expected}, not {type(value).__name__}')
    return value


def _strings(path: str | Path, values: list[Any], name: str) -> list[str]:
    if not all(isinstance(value, str) for value in values):
        raise SnapshotError(f'snapshot {path}: "{name}" must be a list of strings')
    return values
