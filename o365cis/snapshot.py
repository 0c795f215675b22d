"""Snapshots: every response a scan read, keyed by request, in one JSON file that replays offline."""

from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=1, sort_keys=False), encoding="utf-8")
        tmp.replace(target)


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
    roles = data.get("roles") or {}
    exchange_roles = roles.get("exchange")
    tenant = data.get("tenant") or {}
    return Snapshot(
        tenant_id=tenant.get("id"),
        tenant_name=tenant.get("name"),
        created=data.get("created", ""),
        graph_roles=frozenset(roles.get("graph") or ()),
        exchange_roles=None if exchange_roles is None else frozenset(exchange_roles),
        responses={k: RecordedResponse(v["status"], v.get("body")) for k, v in (data.get("responses") or {}).items()},
        dns=data.get("dns") or {},
    )
